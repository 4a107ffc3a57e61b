"""The grader's side of the child process: start it, feed it, drain it, stop it.

The child (:func:`course_pkg.grading.harness.main`) gets a pipe of its own for its results
(``pass_fds``): the parent closes its copy of the write end at once, and accepts from the
read end only frames that carry this run's random token (:func:`course_pkg.grading.wire.read_frames`).
The child's stdout and stderr, which the learner's code owns, are drained and discarded
(the last few KiB are kept, to explain a crash). The child runs in a new session in an
empty temporary folder; at the end its whole process group is killed, so learner code
that forked cannot outlive the grading. :func:`stop_all` (Ctrl-C, SIGTERM) kills every child
still running and lets no new one start.
"""
from __future__ import annotations

import json
import os
import secrets
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from course_pkg.grading import wire

CHILD = "import sys; from course_pkg.grading.harness import main; main()"
MAX_RESULT_BYTES = 64 * 1024 * 1024
OUTPUT_TAIL = 4096
GRACE_S = 0.5
STOPPING = threading.Event()      # set by stop_all: no child starts, the running ones are killed
_LIVE, _LIVE_LOCK = set(), threading.Lock()
STOPPED = "grading was stopped (Ctrl-C or SIGTERM) before this notebook finished"


@dataclass
class ChildRun:
    """What came back from one child process.

    Attributes:
        messages: the messages of the valid frames, in order.
        problem: ``None``, or what was wrong with the result channel.
        returncode: the child's exit status (negative: killed by that signal).
        timed_out: whether it was stopped by the overall time limit.
        output: the last bytes the child wrote to stdout and stderr, decoded.
    """

    messages: list = field(default_factory=list)
    problem: str | None = None
    returncode: int | None = None
    timed_out: bool = False
    output: str = ""


def child_env():
    """The child's environment: this process's, with its ``sys.path``, one BLAS thread, no bytecode writes."""
    env = dict(os.environ)
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(PYTHONHASHSEED="0", MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    return env


def feed(stream, data):
    """Write ``data`` to the child's stdin and close it (in a thread: the child may never read)."""
    def write():
        try:
            stream.write(data)
            stream.close()
        except OSError:
            pass
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def run_child(spec, timeout):
    """Run the harness on ``spec`` (without its token, which this adds) for at most ``timeout`` s.

    Args:
        spec: JSON-ready dict for :func:`course_pkg.grading.harness.main`.
        timeout: wall-clock seconds for the whole child, start-up included.

    Returns:
        A :class:`ChildRun`.
    """
    token = secrets.token_hex(16)
    read_end, write_end = os.pipe()
    with tempfile.TemporaryDirectory(prefix="grade-") as cwd:
        try:
            with _LIVE_LOCK:
                if STOPPING.is_set():
                    os.close(read_end)
                    return ChildRun(problem=STOPPED)
                proc = subprocess.Popen([sys.executable, "-c", CHILD, str(write_end)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(write_end,),
                                        cwd=cwd, env=child_env(), start_new_session=True)
                _LIVE.add(proc)
        finally:
            os.close(write_end)
        feed(proc.stdin, json.dumps({**spec, "token": token}).encode("utf-8"))
        try:
            result, run = drain(proc, read_end, time.monotonic() + timeout)
        finally:
            os.close(read_end)
            stop(proc)
            with _LIVE_LOCK:
                _LIVE.discard(proc)
    run.returncode = proc.returncode
    run.messages, problem = wire.read_frames(result, token)
    run.problem = run.problem or problem
    return run


def drain(proc, read_end, deadline):
    """Read the result pipe and the child's output until both close, the child ends, or ``deadline``.

    Returns:
        ``(result bytes, ChildRun)``, the run with ``timed_out``, ``output`` and ``problem`` set.
    """
    result, output, run = bytearray(), bytearray(), ChildRun()
    sel = selectors.DefaultSelector()
    sel.register(read_end, selectors.EVENT_READ, "result")
    sel.register(proc.stdout, selectors.EVENT_READ, "output")
    ended_at = None
    while sel.get_map() and run.problem is None:
        if STOPPING.is_set():
            run.problem = STOPPED
            break
        now = time.monotonic()
        if now >= deadline:
            run.timed_out = True
            break
        if ended_at is None and proc.poll() is not None:
            ended_at = now
        if ended_at is not None and now - ended_at > GRACE_S:
            break                         # a forked grandchild keeps the pipes open: stop waiting
        for key, _ in sel.select(timeout=min(0.1, deadline - now)):
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fileobj)
            elif key.data == "output":
                output = (output + chunk)[-OUTPUT_TAIL:]
            elif len(result) + len(chunk) > MAX_RESULT_BYTES:
                run.problem = f"more than {MAX_RESULT_BYTES >> 20} MiB on the result channel"
            else:
                result += chunk
    sel.close()
    run.output = output.decode("utf-8", "replace")
    return bytes(result), run


def stop_all():
    """Stop grading: no new child starts, and every running one is killed with what it forked."""
    with _LIVE_LOCK:
        STOPPING.set()
        for proc in _LIVE:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def stop(proc):
    """Kill the child's process group (it and whatever it forked), and reap the child."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    proc.stdout.close()
