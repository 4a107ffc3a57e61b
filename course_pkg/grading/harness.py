"""The learner's side: run the notebook's cells and the planned calls, and send back plain data.

This is the only grading code that runs beside the learner's code, and it judges nothing:
it executes (:func:`run_tests`) and reports what came back, encoded by
:mod:`course_pkg.grading.wire`. It never imports a rubric.

As a child process (:func:`main`, started by :mod:`course_pkg.grading.process`):

1. it reads its spec (cells, planned calls, limits and the run's random token) from stdin,
   then closes stdin;
2. it sets its memory limit (``resource.setrlimit``), then runs the cells
   (:func:`course_pkg.grading.loader.exec_cells`) and the calls;
3. it writes one frame per step (``loaded``, one ``test`` frame per test, ``done``) to the
   result pipe whose number it got on its command line: never to stdout or stderr, which
   belong to the learner and are drained and discarded by the grader.

``course_pkg.check`` runs the same :func:`run_tests` in the learner's kernel.
"""
from __future__ import annotations

import inspect
import json
import os
import sys

from course_pkg.grading import loader, wire

SKIPPED = {"timeout": "not run: an earlier call of {name} took too long",
           "memory": "not run: an earlier call of {name} ran out of memory"}


def describe_functions(namespace, names):
    """What the namespace holds under each graded name: ``{name: {"callable", "module", "params"}}``."""
    out = {}
    for name in names:
        fn = namespace.get(name)
        entry = {"callable": callable(fn), "module": None, "params": None}
        if callable(fn):
            entry["module"] = loader.sanitize(getattr(fn, "__module__", None) or "", 100)
            try:
                entry["params"] = [loader.sanitize(p, 40) for p in inspect.signature(fn).parameters][:20]
            except (TypeError, ValueError):
                pass
        out[name] = entry
    return out


def error(kind, message, type_name=""):
    """An error record of a call: ``{"kind", "type", "message"}``."""
    return {"kind": kind, "type": type_name, "message": loader.sanitize(message)}


def resolve(arg, earlier):
    """An argument ready for the call: a fresh copy of planned data, or an earlier result.

    Returns:
        ``(value, None)``, or ``(None, error record)`` when a referenced call failed.
    """
    if not isinstance(arg, wire.Ref):
        return arg, None
    if not 0 <= arg.call < len(earlier):
        return None, error("skipped", f"not run: the plan refers to call {arg.call}, which does not exist")
    source = earlier[arg.call]
    if "error" in source:
        return None, error("skipped", f"not run: needs what {source['function']} returns, and it failed")
    if arg.item is None:
        return source["raw"], None
    try:
        return source["raw"][arg.item], None
    except Exception:  # noqa: BLE001 - whatever the learner returned
        return None, error("skipped", f"not run: needs item {arg.item} of what {source['function']} "
                                      f"returns, got {wire.type_name(source['raw'])}")


def run_call(call, earlier, namespace, timeout, given_up, unrun=None):
    """Make one planned call of a learner's function; return its record (with the raw result).

    ``given_up`` maps a function that ran out of time or memory once to ``"timeout"`` or
    ``"memory"``: it is not called again, and the call's record says why. ``unrun`` (see
    :class:`~course_pkg.grading.loader.LoadResult`) explains a ``NameError`` of a name that
    only a cell the grader does not run assigns.
    """
    name = call["function"]
    fn = namespace.get(name)
    if not callable(fn):
        return {"function": name, "error": error("missing", f"{name} is not defined "
                                                            "(is its cell still in the notebook?)")}
    if name in given_up:
        kind = given_up[name]
        return {"function": name, "error": error("timeout" if kind == "timeout" else "skipped",
                                                 SKIPPED[kind].format(name=name),
                                                 "MemoryError" if kind == "memory" else "")}
    try:
        with loader.learner_code(timeout):
            return call_and_encode(fn, call, earlier)
    except loader.TimeLimitExceeded as err:
        given_up[name] = "timeout"
        return {"function": name, "error": error("timeout", f"{name} {err}", "TimeLimitExceeded")}
    except BaseException as err:  # noqa: BLE001 - SystemExit, KeyboardInterrupt: all the learner's
        if isinstance(err, MemoryError):
            given_up[name] = "memory"
        message = "" if isinstance(err, NotImplementedError) else str(err)
        message += loader.explain_name_error(err, unrun or {})
        return {"function": name, "error": error("raised", message, type(err).__name__[:80])}


def call_and_encode(fn, call, earlier):
    """Resolve the arguments, call ``fn`` and encode what it returned (all of it learner code)."""
    record, args = {"function": call["function"]}, []
    for arg in call["args"]:
        value, problem = resolve(arg, earlier)
        if problem:
            return {**record, "error": problem}
        args.append(value)
    record["raw"] = fn(*args)
    if call["send"]:
        record["value"] = wire.encode(record["raw"])
    if call["keep_args"]:
        record["args"] = [wire.encode(a) for a in args]
    return record


def decode_plan(tests):
    """The planned tests with their arguments decoded (fresh arrays, and refs)."""
    return [{"calls": [{**c, "args": [wire.decode(a, allow_refs=True) for a in c["args"]]}
                       for c in t["calls"]]} for t in tests]


def run_tests(tests, namespace, timeout, unrun=None):
    """Run every planned test's calls in order; yield one ``test`` message per test.

    Args:
        tests: the plan (from :func:`course_pkg.grading.rubric.plan`), still encoded.
        namespace: the learner's names.
        timeout: seconds allowed to each call; after one call of a function ran out of
            time or memory, the other calls of that function are not made.
        unrun: as for :func:`run_call`.

    Yields:
        ``{"kind": "test", "index", "calls": [records]}``, JSON-ready.
    """
    given_up = {}
    for index, test in enumerate(decode_plan(tests)):
        earlier = []
        for call in test["calls"]:
            earlier.append(run_call(call, earlier, namespace, timeout, given_up, unrun))
        yield {"kind": "test", "index": index,
               "calls": [{k: v for k, v in r.items() if k != "raw"} for r in earlier]}


def loaded_message(load, namespace, names):
    """The first message: the cells' errors and what the graded names hold."""
    return {"kind": "loaded", "cell_errors": load.errors[:50], "memory_error": load.memory_error,
            "timed_out": load.timed_out, "functions": describe_functions(namespace, names)}


# --------------------------------------------------------------------------- child process

def write_all(fd, data):
    """Write all of ``data`` to ``fd`` (a pipe), however many writes it takes."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def limit_memory(megabytes):
    """Cap this process's address space at ``megabytes`` MiB, its files at 64 MiB, no core dumps."""
    import resource
    limit = int(megabytes) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))


def main():
    """Child entry point: ``python -c "...harness import main; main()" RESULT_FD`` with the spec on stdin."""
    fd = int(sys.argv[1])
    spec = json.loads(sys.stdin.buffer.read())
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    token = spec["token"]
    limit_memory(spec["memory_mb"])
    load = loader.exec_cells(spec["cells"], spec["label"], spec["call_timeout"])
    namespace = load.namespace
    write_all(fd, wire.frame(token, loaded_message(load, namespace, spec["functions"])))
    for message in run_tests(spec["tests"], namespace, spec["call_timeout"], load.unrun):
        write_all(fd, wire.frame(token, message))
    write_all(fd, wire.frame(token, {"kind": "done"}))
    os._exit(0)   # skip interpreter teardown: learner threads or atexit hooks cannot hang it
