"""Notebook tooling on top of the package: execute notebooks, build exercises, check and grade them.

Layers, from the learner's side to the instructor's: :mod:`~course_pkg.grading.loader` (read a
notebook, run its cells) and :mod:`~course_pkg.grading.harness` (make the rubric's calls, send
plain data back) run beside the learner's code; :mod:`~course_pkg.grading.wire` is the data
between them and the grader; :mod:`~course_pkg.grading.rubric` and
:mod:`~course_pkg.grading.rubrics` say what to call and how to judge;
:mod:`~course_pkg.grading.process` and :mod:`~course_pkg.grading.judge` run a child and
judge what it sent; :mod:`~course_pkg.grading.check` is ``course_pkg.check``;
:mod:`~course_pkg.grading.gradebook` and :mod:`~course_pkg.grading.cli` grade a class.
Nothing in ``course_pkg``'s numerics imports this package.
"""
