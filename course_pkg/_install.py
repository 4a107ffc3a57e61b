"""Which package index gives the CPU build of torch: run by ``make`` before anything is installed.

PyPI's Linux wheel of ``torch==2.13.0`` is the CUDA build (gigabytes with its NVIDIA
packages); PyTorch's own CPU index serves ``2.13.0+cpu``, which pip then prefers (a local
version sorts above the plain one). On macOS and Windows PyPI's wheel is the CPU build. So on
Linux, and only if the index answers within a few seconds, ``make`` adds it with
``--extra-index-url``; where it cannot be reached (an offline mirror, a firewall) the install
goes on without it instead of stalling. ``make TORCH_INDEX=`` turns the extra index off (for
a CUDA build of torch installed by hand).

Standard library only: this runs with the ``.venv`` Python before ``course_pkg`` is installed::

    .venv/bin/python course_pkg/_install.py https://download.pytorch.org/whl/cpu
"""
from __future__ import annotations

import platform
import sys
import urllib.request

TIMEOUT = 5.0


def reachable(url, timeout=TIMEOUT):
    """Whether ``url`` answers within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except Exception:            # no network, DNS failure, HTTP error, time-out: not usable
        return False


def index_args(index, system=None, probe=reachable):
    """pip's arguments for the CPU index: ``["--extra-index-url", index]`` or ``[]``.

    Args:
        index: the index URL (``""`` for none).
        system: ``platform.system()`` (``"Linux"``, ``"Darwin"``, ``"Windows"``); ``None``
            asks the platform.
        probe: ``url -> bool``, whether the index answers.
    """
    system = platform.system() if system is None else system
    if not index or system != "Linux" or not probe(index.rstrip("/") + "/torch/"):
        return []
    return ["--extra-index-url", index]


if __name__ == "__main__":
    print(" ".join(index_args(sys.argv[1] if len(sys.argv) > 1 else "")))
