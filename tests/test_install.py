"""The install's index choice (course_pkg/_install.py, run by make before anything is installed)."""
import subprocess
import sys
from pathlib import Path

import pytest

from course_pkg import _install

INDEX = "https://download.pytorch.org/whl/cpu"


@pytest.mark.parametrize("system, answers, expected", [
    ("Linux", True, ["--extra-index-url", INDEX]),      # PyPI's Linux wheel is the CUDA build
    ("Linux", False, []),                                # unreachable: install without it
    ("Darwin", True, []),                                # PyPI's macOS wheel is the CPU build
    ("Windows", True, []),
])
def test_the_cpu_index_only_on_linux_and_only_when_it_answers(system, answers, expected):
    asked = []

    def probe(url):
        asked.append(url)
        return answers
    assert _install.index_args(INDEX, system, probe) == expected
    assert asked == ([INDEX + "/torch/"] if system == "Linux" else [])


def test_no_index_when_turned_off():
    assert _install.index_args("", "Linux", lambda url: True) == []


def test_an_unreachable_index_answers_at_once():
    """A refused connection on this machine's loopback is a 'no', not a wait."""
    assert _install.reachable("http://127.0.0.1:9/torch/", timeout=2.0) is False


def test_the_script_runs_with_the_standard_library_alone():
    """make runs it before course_pkg is installed, with python -I (no site, no course_pkg)."""
    script = Path(_install.__file__)
    out = subprocess.run([sys.executable, "-I", str(script), ""], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
