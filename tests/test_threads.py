"""``import course_pkg`` gives NumPy's BLAS one thread unless the environment chooses.

A learner who starts ``jupyter lab`` (or Colab) without ``make lab`` has no
``OPENBLAS_NUM_THREADS=1``; OpenBLAS's threads, spinning beside torch's on the course's
small matrices, made one chapter's training several times slower. Each case runs in a
fresh interpreter, since the limit is set at import.
"""
import json
import os
import subprocess
import sys

import pytest

from course_pkg import backend

PROBE = """
import json
import numpy
from threadpoolctl import threadpool_info
def blas():
    return sorted(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
before = blas()
import course_pkg
print(json.dumps({"before": before, "after": blas()}))
"""


def probe(**env_vars):
    env = {k: v for k, v in os.environ.items() if k not in backend.THREAD_VARIABLES}
    env.update(env_vars)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         check=True, timeout=120).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_import_gives_blas_one_thread_when_the_environment_is_silent():
    threads = probe()
    assert threads["after"] and set(threads["after"]) == {1}, threads


@pytest.mark.parametrize("name", backend.THREAD_VARIABLES)
def test_a_thread_variable_in_the_environment_is_kept(name):
    threads = probe(**{name: "2"})
    assert threads["after"] == threads["before"], threads


def test_limit_blas_threads_reads_the_given_environment():
    assert backend.limit_blas_threads({"OMP_NUM_THREADS": "4"}) is None
    limits = backend.limit_blas_threads({})
    try:
        assert limits is not None
    finally:
        limits.restore_original_limits()
