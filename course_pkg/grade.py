"""Grade a class: ``python -m course_pkg.grade SUBMISSIONS --exercise NAME|all [options]``.

See :mod:`course_pkg.grading.cli` (options) and the book's "For instructors" page.
"""
import sys

from course_pkg.grading.cli import main

if __name__ == "__main__":
    sys.exit(main())
