"""A class of 30 submissions of exercise 1: honest, wrong in designed ways, and hostile.

Every submission is made from ``solutions/ex01_rnn_step.ipynb`` by an edit that must apply
(an edit whose text is not found stops with an error, so the fixtures follow the solution).
``CLASS`` maps each student to ``(builder, expected)``, where ``expected`` is the status and
the score the grader must give. ``python tests/grading_fixtures.py DIR`` writes the class to
``DIR/<student>/ex01_rnn_step.ipynb``, e.g. for ``make grade SUBMISSIONS=DIR EXERCISE=ex01_rnn_step``.

The edits touch Parts 1 and 2 (the step forward and backward); Part 3, the detector set by
hand, stays the solution's and is judged on its own, so a submission broken in Parts 1 and 2
keeps Part 3's 20 points of 30, a hostile call in the forward step included: the grader takes
only what depends on the broken function. The tamper submissions replace the detector too, so
that a tamper that reached the judge would show as points.
"""
import copy
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
EX01 = "ex01_rnn_step"
SOLUTION, EXERCISE = ROOT / "solutions" / f"{EX01}.ipynb", ROOT / "exercises" / f"{EX01}.ipynb"
FORWARD_TESTS = ("forward_one", "forward_batch", "forward_square", "forward_pure")
BACKWARD_TESTS = ("dx", "dh_prev", "dweight_ih", "dweight_hh", "dbias", "backward_one")
DETECTOR_TESTS = ("detector_pairs", "detector_start", "detector_fours", "detector_long")

WRONG_FORWARD = '''
def rnn_step_forward(x, h_prev, params):
    h_next = np.zeros((x.shape[0], params["weight_hh"].shape[0]))
    return h_next, (x, h_prev, params, h_next)


def rnn_step_backward(dh_next, cache):
    x, h_prev, params, _ = cache
    return np.zeros_like(x), np.zeros_like(h_prev), {k: np.zeros_like(v) for k, v in params.items()}


def ab_detector():
    return {"weight_ih": np.zeros((1, 3)), "weight_hh": np.zeros((1, 1)), "bias_ih": np.zeros(1),
            "bias_hh": np.zeros(1)}
'''

FORGED = '''
import json, os, sys
forged = json.dumps({"kind": "done", "score": 10, "max_score": 10, "status": "ok"})
print("RESULT", forged)
sys.stdout.flush()
os.write(1, forged.encode() + b"\\n")
os.write(2, forged.encode() + b"\\n")
frame = f"{'0' * 32} {len(forged)}\\n{forged}\\n".encode()
for fd in range(3, 64):
    try:
        os.write(fd, frame)
    except OSError:
        pass
os._exit(0)
'''

CODE_OBJECT_TAMPER = '''
import gc, types
import course_pkg.grading.rubrics.ex01_rnn_step  # the rubric's checks, if they were here


def _passes(*args, **kwargs):
    return None


for _obj in gc.get_objects():
    if isinstance(_obj, types.FunctionType) and (getattr(_obj, "__module__", None) or "").startswith("course_pkg"):
        try:
            _obj.__code__ = _passes.__code__
        except ValueError:
            pass
'''

GRADER_TAMPER = '''
import course_pkg.gradcheck, course_pkg.rnn
import course_pkg.grading.judge as judge
import course_pkg.grading.rubric as rubric
import course_pkg.grading.rubrics.ex01_rnn_step as ex01
course_pkg.rnn.rnn_step_forward = ex01.reference_forward = rnn_step_forward
course_pkg.rnn.rnn_step_backward = ex01.reference_backward = rnn_step_backward
course_pkg.gradcheck.rel_error = lambda a, b: 0.0
rubric.compare_array = ex01.compare_array = lambda *args, **kwargs: None
judge.judge_test = lambda test, results: judge.TestResult(test, float(test.points))
'''

NUMPY_TAMPER = '''
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.abs = np.absolute = lambda x, *args, **kwargs: np.zeros_like(x)
np.linalg.norm = lambda *args, **kwargs: 0.0
'''

BUILTINS_TAMPER = '''
import builtins
builtins.isinstance = lambda obj, kind: True
builtins.max = lambda *args, **kwargs: 0.0
builtins.abs = lambda x: 0.0
builtins.float = lambda *args: 0.0
'''

# 16 GiB in blocks of 256 MiB. The blocks are not written to (page faults are slow on small
# machines), so without the grader's address-space limit this would end, wrongly, in an answer.
MEMORY_BOMB = '''    blocks = []
    for _ in range(64):
        blocks.append(np.empty(2 ** 25))
'''


def solution():
    """A fresh copy of the solution notebook."""
    return nbformat.read(SOLUTION, as_version=4)


def solution_cell(solution_path, grade_id):
    """The source of the graded cell ``grade_id`` of a solution notebook."""
    nb = nbformat.read(solution_path, as_version=4)
    return next(c.source for c in nb.cells if c.get("metadata", {}).get("course", {}).get("grade_id") == grade_id)


def variant(solution_path, grade_id, old, new):
    """The solution's graded cell ``grade_id`` with ``old`` replaced (once) by ``new``."""
    source = solution_cell(solution_path, grade_id)
    assert source.count(old) == 1, f"{old!r} is not once in {grade_id}: the solution changed"
    return source.replace(old, new)


def edited_cell(solution_path, grade_id, edits, source=None):
    """The solution's graded cell ``grade_id`` (or ``source``) with each ``(old, new)`` of ``edits``
    applied; each ``old`` must be there exactly once."""
    source = solution_cell(solution_path, grade_id) if source is None else source
    for old, new in edits:
        assert source.count(old) == 1, f"{old!r} is not once in {grade_id}: the solution changed"
        source = source.replace(old, new)
    return source


def with_edits(tmp_path, solution_path, edits):
    """The solution with each ``(cell id, old, new)`` of ``edits`` applied once; its path."""
    nb = nbformat.read(solution_path, as_version=4)
    for cell_id, old, new in edits:
        edit(nb, cell_id, old, new)
    path = Path(tmp_path) / Path(solution_path).name
    nbformat.write(nb, path)
    return path


def submission(tmp_path, solution_path, sources):
    """The solution with the graded cells of ``sources`` (grade id -> source) replaced; its path
    (several mistakes in different functions share one graded run)."""
    path = solution_path
    for i, (grade_id, source) in enumerate(sources.items()):
        folder = Path(tmp_path) / str(i)
        folder.mkdir()
        path = with_graded_cell(folder, path, grade_id, source)
    return path


def assert_odd_return_gets_a_hint(rubric, test_id, value):
    """The judge of ``test_id``, given ``value`` as what every call returned, answers with a hint
    (``CheckFailed``), never an error of its own."""
    import pytest

    from course_pkg.grading.rubric import CallResult, CheckFailed
    test = next(t for t in rubric.tests if t.id == test_id)
    with pytest.raises(CheckFailed):
        test.judge(test.calls, [CallResult(c.function, value=value) for c in test.calls])


def grade_in_process(path, rubric, grade_ids=None):
    """Grade the tests of ``grade_ids`` (all when ``None``; hidden ones included) of the notebook
    ``path`` in this process: the grader's cells, harness, wire and judges, without its child
    Python (for many cases at little cost; the child is tested by the graded runs)."""
    import json

    from course_pkg.grading import harness, loader
    from course_pkg.grading.judge import score
    from course_pkg.grading.rubric import plan
    loaded = loader.exec_cells(loader.read_cells(path), Path(path).name)
    tests = tuple(t for t in rubric.tests if grade_ids is None or t.grade_id in grade_ids)
    messages = [harness.loaded_message(loaded, loaded.namespace, list(rubric.signatures)),
                *harness.run_tests(plan(tests), loaded.namespace, 10.0, loaded.unrun), {"kind": "done"}]
    return score(rubric, tests, json.loads(json.dumps(messages)))


def with_graded_cell(tmp_path, solution_path, grade_id, source):
    """Write ``solution_path`` with its graded cell ``grade_id`` replaced by ``source``; its path."""
    nb = nbformat.read(solution_path, as_version=4)
    cells = [c for c in nb.cells if c.get("metadata", {}).get("course", {}).get("grade_id") == grade_id]
    assert len(cells) == 1, grade_id
    cells[0].source = source.strip("\n")
    path = Path(tmp_path) / Path(solution_path).name
    nbformat.write(nb, path)
    return path


def graded_ok(path, rubric):
    """Grade ``path``; the submission must have run (status ``ok``)."""
    from course_pkg.grading.judge import grade_notebook
    result = grade_notebook(path, rubric)
    assert result.status == "ok", (result.status, result.reason)
    return result


def failed_ids(result):
    """The ids of the tests a graded submission failed."""
    return {r.test.id for r in result.results if not r.passed}


def assert_designed_score(path, rubric, fails, score, hints=None):
    """Grade the wrong submission ``path``: every cell must run, and it must fail exactly the
    tests ``fails``, score exactly ``score`` out of the rubric's full marks, and each hint of
    ``hints`` (test id -> fragment) must contain its fragment. Returns the result."""
    result = graded_ok(path, rubric)
    assert result.cell_errors == []
    assert failed_ids(result) == set(fails)
    assert (result.score, result.max_score) == (score, rubric.max_points)
    hint = {r.test.id: r.hint for r in result.results}
    assert {t: hint[t] for t, fragment in (hints or {}).items() if fragment not in hint[t]} == {}
    return result


def cell(nb, cell_id):
    """The cell of ``nb`` with id ``cell_id``."""
    return next(c for c in nb.cells if c.get("id") == cell_id)


def edit(nb, cell_id, old, new, count=1):
    """Replace ``old`` by ``new`` in one cell's source; fail if ``old`` is not there ``count`` times."""
    c = cell(nb, cell_id)
    if c.source.count(old) != count:
        raise ValueError(f"Expected {old!r} {count} time(s) in cell {cell_id!r}, got {c.source.count(old)}")
    c.source = c.source.replace(old, new)
    return nb


def append(nb, cell_id, code):
    """Add ``code`` at the end of a cell."""
    c = cell(nb, cell_id)
    c.source = c.source.rstrip("\n") + "\n" + code
    return nb


def prepend(nb, cell_id, code):
    """Add ``code`` at the start of a cell."""
    c = cell(nb, cell_id)
    c.source = code + "\n" + c.source
    return nb


def new_code(source, cell_id, tags=()):
    c = nbformat.v4.new_code_cell(source)
    c.id = cell_id
    if tags:
        c.metadata["tags"] = list(tags)
    return c


# --------------------------------------------------------------------------- honest

def dict_cache():
    nb = edit(solution(), "forward", "cache = (x, h_prev, params, h_next)",
              'cache = {"x": x, "h_prev": h_prev, "params": params, "h_next": h_next}')
    return edit(nb, "backward", "x, h_prev, params, h_next = cache",
                'x, h_prev, params, h_next = (cache[k] for k in ("x", "h_prev", "params", "h_next"))')


def moved_split_renamed():
    """Forward moved to the end, untagged and renamed; a helper split out; a scratch cell that loops."""
    nb = solution()
    forward = cell(nb, "forward")
    nb.cells.remove(forward)
    forward.id, forward.metadata = "my-forward", {}
    edit(nb, "backward", "da = dh_next * (1 - h_next * h_next)", "da = tanh_backward(dh_next, h_next)")
    at = nb.cells.index(cell(nb, "backward"))
    nb.cells.insert(at, new_code("def tanh_backward(dh, h):\n    return dh * (1 - h * h)\n", "helper"))
    scratch = new_code("print('experiments')\nwhile True:\n    pass\n", "scratch")
    nb.cells += [scratch, forward]
    return nb


def noisy():
    nb = append(solution(), "setup", "import os, sys\nfor i in range(200000):\n    print(i)\n"
                "for _ in range(20):\n    os.write(1, b'x' * 2 ** 20)\n    os.write(2, b'y' * 2 ** 16)\n"
                "sys.__stderr__.write('warning ' * 1000)\n")
    return edit(nb, "forward", "    return h_next, cache", "    print('forward', x.shape)\n    return h_next, cache")


def sys_exit_in_cell():
    return append(solution(), "backward", "import sys\nsys.exit(0)\n")


# --------------------------------------------------------------------------- wrong, with designed partial marks

def blank():
    return nbformat.read(EXERCISE, as_version=4)


def forward_only():
    nb = solution()
    c = cell(nb, "backward")
    start, end = c.source.index("    ### BEGIN SOLUTION"), c.source.index("    ### END SOLUTION")
    c.source = c.source[:start] + '    raise NotImplementedError("Write your code here")\n' + c.source[end:]
    return nb


def transposed_weights():
    nb = edit(solution(), "backward", "da.T @ x,", "x.T @ da,")
    return edit(nb, "backward", "da.T @ h_prev,", "h_prev.T @ da,")


def missing_bias_gradient():
    return edit(solution(), "backward", '"bias_hh": da.sum(axis=0)}', "}")


def off_by_one_in_time():
    return edit(solution(), "backward", "da.T @ h_prev,", "da.T @ h_next,")


def bias_mean():
    return edit(solution(), "backward", '"bias_hh": da.sum(axis=0)', '"bias_hh": da.mean(axis=0)')


def wrong_signature():
    nb = edit(solution(), "backward", "def rnn_step_backward(dh_next, cache):",
              "def rnn_step_backward(dh_next, cache, params):")
    return nb


def nan_results():
    return edit(solution(), "forward", "    return h_next, cache", "    return h_next + np.nan, cache")


def reference_copied():
    return append(solution(), "forward", "from course_pkg import rnn_step_forward\n")


# --------------------------------------------------------------------------- hostile

def infinite_loop():
    return edit(solution(), "forward", "    ### BEGIN SOLUTION",
                "    while True:\n        pass\n    ### BEGIN SOLUTION")


def ignores_alarm():
    return append(solution(), "setup", "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                  "time.sleep(3600)\n")


def sys_exit_in_call():
    return edit(solution(), "forward", "    ### BEGIN SOLUTION",
                "    import sys\n    sys.exit(3)\n    ### BEGIN SOLUTION")


def os_exit():
    return prepend(solution(), "forward", "import os\nos._exit(3)\n")


def segfault_at_import():
    return append(solution(), "setup", "import ctypes\nctypes.string_at(0)\n")


def memory_bomb():
    return edit(solution(), "forward", "    ### BEGIN SOLUTION", MEMORY_BOMB + "    ### BEGIN SOLUTION")


def forged_result():
    return append(solution(), "backward", FORGED)


def malformed_json():
    return b'{"cells": [{"cell_type": "code", "source": "def rnn_step_forward(x'


def empty_notebook():
    return nbformat.v4.new_notebook()


def missing_function():
    nb = solution()
    nb.cells.remove(cell(nb, "backward"))
    return nb


def wrong_with(code, where="backward"):
    """The wrong functions of :data:`WRONG_FORWARD`, then ``code``, in the graded cells."""
    def build():
        nb = solution()
        cell(nb, "forward").source = WRONG_FORWARD
        cell(nb, "backward").source = "# the backward step is defined with the forward one\n"
        cell(nb, "detector").source = "# so is the detector\n"
        return append(nb, where, code)
    return build


def loop_after_definition():
    """The function is defined, then its cell never ends: nbgrader gave this full marks."""
    return append(solution(), "forward", "while True:\n    pass\n")


def no_notebook():
    return None


def ok(score=30.0):
    return {"status": "ok", "score": score}


CLASS = {
    "honest_solution": (solution, ok()),
    "honest_dict_cache": (dict_cache, ok()),
    "honest_moved_split_renamed": (moved_split_renamed, ok()),
    "honest_noisy_output": (noisy, ok()),
    "honest_sys_exit_in_cell": (sys_exit_in_cell, ok()),
    "wrong_blank": (blank, {"status": "not_implemented", "score": 0.0}),
    "wrong_forward_only": (forward_only, {"status": "not_implemented", "score": 24.0}),
    "wrong_transposed_weights": (transposed_weights, ok(27.0)),
    "wrong_missing_bias_gradient": (missing_bias_gradient, ok(28.0)),
    "wrong_off_by_one_in_time": (off_by_one_in_time, ok(28.0)),
    "wrong_bias_mean": (bias_mean, ok(29.0)),
    "wrong_signature": (wrong_signature, ok(24.0)),
    "wrong_nan_results": (nan_results, ok(26.0)),
    "wrong_reference_copied": (reference_copied, ok(20.0)),
    "hostile_infinite_loop": (infinite_loop, {"status": "timeout", "score": 20.0}),
    "hostile_ignores_alarm": (ignores_alarm, {"status": "timeout", "score": 0.0}),
    "hostile_sys_exit_in_call": (sys_exit_in_call, ok(20.0)),
    "hostile_os_exit": (os_exit, {"status": "crashed", "score": 0.0}),
    "hostile_segfault_at_import": (segfault_at_import, {"status": "crashed", "score": 0.0}),
    "hostile_memory_bomb": (memory_bomb, {"status": "memory", "score": 20.0}),
    "hostile_output_flood_forged_result": (forged_result, {"status": "crashed", "score": 0.0}),
    "hostile_malformed_json": (malformed_json, {"status": "malformed", "score": 0.0}),
    "hostile_loop_after_definition": (loop_after_definition, {"status": "timeout", "score": 20.0}),
    "hostile_empty_notebook": (empty_notebook, {"status": "missing", "score": 0.0}),
    "hostile_missing_function": (missing_function, {"status": "missing", "score": 24.0}),
    "hostile_numpy_tamper": (wrong_with(NUMPY_TAMPER, "setup"), ok(0.0)),
    "hostile_builtins_tamper": (wrong_with(BUILTINS_TAMPER), {"status": "crashed", "score": 0.0}),
    "hostile_grader_tamper": (wrong_with(GRADER_TAMPER), ok(0.0)),
    "hostile_code_object_tamper": (wrong_with(CODE_OBJECT_TAMPER), {"status": "crashed", "score": 0.0}),
    "hostile_no_notebook": (no_notebook, {"status": "missing", "score": 0.0}),
}


def write_submission(folder, student, builder):
    """Write one student's notebook (or bytes, or nothing) under ``folder/student/``."""
    (Path(folder) / student).mkdir(parents=True, exist_ok=True)
    content = builder()
    path = Path(folder) / student / f"{EX01}.ipynb"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        nbformat.write(copy.deepcopy(content), path)
    return path


def write_class(folder, students=None):
    """Write the submissions of ``students`` (default: all of :data:`CLASS`) under ``folder``."""
    for student in students or CLASS:
        write_submission(folder, student, CLASS[student][0])
    return Path(folder)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python tests/grading_fixtures.py DIR")
    print(f"wrote {len(CLASS)} submissions to {write_class(sys.argv[1])}")
