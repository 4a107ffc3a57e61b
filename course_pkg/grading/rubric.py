"""Rubrics as data and pure functions: which calls to make, and how to judge what came back.

A :class:`Rubric` lists :class:`Test`\\ s. A test names the :class:`Call`\\ s to make of the
learner's functions, with inputs written out as plain data (arrays, numbers, dicts, and
``course_pkg.grading.wire.Ref`` to an earlier call's result, such as a cache), and a
``judge``: a pure function, run in the grader's own process, that receives the calls and
what came back (:class:`CallResult`) and raises :class:`CheckFailed` with a one-line hint
when the answer is wrong. The learner's process only runs the calls
(``course_pkg.grading.harness``); it never sees a judge or a reference value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Real
from typing import Callable

import numpy as np

from course_pkg.gradcheck import rel_error
from course_pkg.grading import wire


class CheckFailed(AssertionError):
    """Raised by a judge when the learner's answer is wrong; its message is the hint."""


def expect(condition, hint):
    """Raise :class:`CheckFailed` with ``hint`` (one line for the learner) unless ``condition``."""
    if not condition:
        raise CheckFailed(hint)


def _require(condition, exc, message):
    if not condition:
        raise exc(message)


@dataclass(frozen=True)
class Call:
    """One call of a learner's function: ``function(*args)``.

    Attributes:
        function: the function's name in the learner's notebook.
        args: positional arguments, as plain data or a ``course_pkg.grading.wire.Ref``.
        send: send back the returned value (``False``: only whether it raised).
        keep_args: also send back the arguments after the call (to see if it changed them).
    """

    function: str
    args: tuple
    send: bool = True
    keep_args: bool = False

    def __post_init__(self):
        _require(isinstance(self.function, str) and self.function.isidentifier(), TypeError,
                 f"Expected function to be a name, got {self.function!r}")
        _require(isinstance(self.args, tuple), TypeError,
                 f"Expected args to be a tuple, got {type(self.args).__name__}")

    def plan(self):
        """This call as the JSON the learner's process receives."""
        return {"function": self.function, "args": [wire.encode(a) for a in self.args],
                "send": self.send, "keep_args": self.keep_args}


@dataclass(frozen=True)
class Test:
    """One test of a rubric.

    Attributes:
        id: a short identifier, unique in its rubric (the gradebook's column).
        grade_id: the graded part it scores (the ``metadata.course.grade_id`` of a cell).
        name: what it tests, shown to the learner.
        points: awarded when ``judge`` returns, 0 when it raises.
        calls: the calls to make, in order.
        judge: ``judge(calls, results)``, pure; raises :class:`CheckFailed` when wrong.
        hidden: run by the grader only, not by ``course_pkg.check``.
    """

    __test__ = False       # not a pytest test class, whatever its name

    id: str
    grade_id: str
    name: str
    points: float
    calls: tuple
    judge: Callable
    hidden: bool = False

    def __post_init__(self):
        for attr in ("id", "grade_id", "name"):
            value = getattr(self, attr)
            _require(isinstance(value, str) and value, TypeError,
                     f"Expected {attr} to be a non-empty str, got {value!r}")
        _require(not isinstance(self.points, bool) and isinstance(self.points, Real) and self.points > 0,
                 ValueError, f"Expected points to be a positive number, got {self.points!r}")
        _require(isinstance(self.calls, tuple) and self.calls and all(isinstance(c, Call) for c in self.calls),
                 TypeError, f"Expected calls to be a non-empty tuple of Call, got {self.calls!r:.80}")
        _require(callable(self.judge), TypeError,
                 f"Expected judge to be callable, got {type(self.judge).__name__}")


@dataclass(frozen=True)
class Answer:
    """A written answer, read and marked by hand: the cell holding ``YOUR ANSWER HERE``.

    Attributes:
        id: the id of that cell (kept by ``make exercises`` and by JupyterLab).
        name: what it asks, in a few words.
    """

    id: str
    name: str


@dataclass(frozen=True)
class Rubric:
    """Everything needed to grade one exercise.

    Attributes:
        exercise: the notebook's name without ``.ipynb``, e.g. ``"ex01_rnn_step"``.
        signatures: ``{function name: parameter names}`` of the graded functions.
        tests: the tests, in the order they are reported.
        answers: the written answers, marked by hand.
        check_seconds: seconds each call may take in ``course_pkg.check`` (in the learner's
            kernel; 2 by default). An exercise whose functions train a model asks for more;
            the grader's own limit is set per class (``--timeout``).
    """

    exercise: str
    signatures: dict
    tests: tuple
    answers: tuple = field(default=())
    check_seconds: float = 2.0

    def __post_init__(self):
        _require(isinstance(self.tests, tuple) and self.tests and all(isinstance(t, Test) for t in self.tests),
                 TypeError, f"Expected tests to be a non-empty tuple of Test, got {self.tests!r:.80}")
        ids = [t.id for t in self.tests] + [a.id for a in self.answers]
        _require(len(set(ids)) == len(ids), ValueError, f"Expected unique test and answer ids, got {ids}")
        unknown = sorted({c.function for t in self.tests for c in t.calls} - set(self.signatures))
        _require(not unknown, ValueError, f"Expected calls of the functions in signatures, got {unknown}")
        _require(not isinstance(self.check_seconds, bool) and isinstance(self.check_seconds, Real)
                 and self.check_seconds > 0, ValueError,
                 f"Expected check_seconds to be a positive number, got {self.check_seconds!r}")

    @property
    def max_points(self):
        """The points of all tests (written answers are marked by hand, outside this total)."""
        return float(sum(t.points for t in self.tests))

    def public(self):
        """The tests ``course_pkg.check`` runs (those not hidden)."""
        return tuple(t for t in self.tests if not t.hidden)


def plan(tests):
    """What the learner's process must run for ``tests``: a JSON-ready list, one entry a test."""
    return [{"calls": [c.plan() for c in t.calls]} for t in tests]


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class CallResult:
    """What one call did, as decoded in the grader's process.

    Attributes:
        function: the function called.
        value: what it returned (``None`` when it raised or was not sent).
        args: the arguments after the call (when the call had ``keep_args``).
        error: ``None``, or ``{"kind", "type", "message"}`` where kind is ``"raised"``,
            ``"timeout"``, ``"missing"`` or ``"skipped"``.
        signature: the learner's parameter names, when known.
        expected: the parameter names the rubric expects.
        module: the ``__module__`` of the learner's function, when known.
    """

    function: str
    value: object = None
    args: tuple = ()
    error: dict | None = None
    signature: tuple | None = None
    expected: tuple | None = None
    module: str | None = None


def failure_hint(result):
    """The one-line hint for a call that did not return: what it raised, or why it did not run."""
    error, name = result.error, result.function
    if error["kind"] in ("missing", "skipped", "timeout"):
        return error["message"]
    if error["type"] == "NotImplementedError":
        return "not implemented yet"
    expected = result.expected
    if (error["type"] == "TypeError" and expected is not None and result.signature is not None
            and len(result.signature) != len(expected)):
        return (f"expected {name}({', '.join(expected)}), "
                f"got {name}({', '.join(result.signature)})")
    return f"{name} raised {error['type']}: {error['message']}"


def returned(result):
    """The value a call returned, or :class:`CheckFailed` with :func:`failure_hint`."""
    if result.error is not None:
        raise CheckFailed(failure_hint(result))
    return result.value


def judge_beside_forward(check, judge_forward, forward, fix, calls, results, *args):
    """Run the backward judge ``check(calls, results, *args)``, where ``calls[0]`` ran the learner's
    own forward step and its cache fed the backward step being judged.

    When the gradients are wrong and the forward step is wrong too (``judge_forward`` fails on
    the first call), the hint says that the forward's cache may be the cause and to fix
    ``fix`` first, rather than blame a backward step that may well be right.

    Raises:
        CheckFailed: if the forward call failed, or the backward's results are wrong.
    """
    if results[0].error is not None:
        raise CheckFailed(f"needs {forward}, which failed: {failure_hint(results[0])}")
    try:
        check(calls, results, *args)
    except CheckFailed as err:
        try:
            judge_forward(calls[:1], results[:1])
        except CheckFailed:
            raise CheckFailed(f"{err}; but {forward} is wrong too, and its cache feeds this step: "
                              f"fix {fix} first") from None
        raise


def own_output(result, n=None):
    """What the learner's own function returned (as ``n`` items if given).

    Raises:
        CheckFailed: if the call failed, if the function is course_pkg's reference itself
            (imported under the graded name), or if the value is not ``n`` items.
    """
    expect(not (result.module or "").startswith("course_pkg"),
           f"expected your own {result.function}, got course_pkg's reference")
    value = returned(result)
    return value if n is None else items(value, n, result.function)


def items(value, n, what):
    """``value`` as a tuple of ``n`` items; :class:`CheckFailed` if it is not a tuple or list of n."""
    if isinstance(value, (tuple, list)) and len(value) == n:
        return tuple(value)
    length = f" of {len(value)} items" if isinstance(value, (tuple, list)) else ""
    raise CheckFailed(f"expected {what} to return a tuple of {n} items, got {describe_value(value)}{length}")


def compare_gradients(grads, returned_arrays, want, names, shapes, tol):
    """Compare the named gradients of a learner's backward step with the reference's.

    Args:
        grads: the learner's gradient dict, keyed like the parameters.
        returned_arrays: the gradients returned beside it, by name (``{"dx": dx, ...}``).
        want: the reference's gradients, every name in one dict.
        names: the names to compare: keys of ``grads`` (shown as ``grads['bias_ih']``) or
            of ``returned_arrays``.
        shapes, tol: as for :func:`compare_array` (``shapes`` by name).

    Raises:
        CheckFailed: if ``grads`` is not a dict or lacks a named key, or if an array differs
            in shape or value.
    """
    expect(isinstance(grads, dict), f"expected grads to be a dict, got {describe_value(grads)}")
    for name in names:
        if name in returned_arrays:
            compare_array(name, returned_arrays[name], want[name], shapes[name], tol)
            continue
        expect(name in grads, f"grads has no key {name!r} (its keys: {sorted(map(str, grads))})")
        compare_array(f"grads[{name!r}]", grads[name], want[name], shapes[name], tol)


def expect_inputs_unchanged(function, names, call, result):
    """The learner's ``function`` left every array argument of ``call`` as it was: the
    arguments ``names`` (in order), and each array of a dict argument (``params['bias_ih']``).
    ``call`` must keep its arguments (``Call(..., keep_args=True)``).

    Raises:
        CheckFailed: naming the first argument that was modified, or a dict whose keys changed.
    """
    for name, before, after in zip(names, call.args, result.args):
        if isinstance(before, dict):
            expect(isinstance(after, dict) and set(after) == set(before),
                   f"expected {function} to leave the keys of {name} unchanged")
            pairs = [(f"{name}[{k!r}]", before[k], after[k]) for k in before]
        else:
            pairs = [(name, before, after)]
        for label, want, got in pairs:
            expect(isinstance(got, np.ndarray) and np.array_equal(got, want),
                   f"expected {label} unchanged by {function}, got it modified")


def returned_state_dict(state, where, keys=(), model="the model"):
    """A learner's returned ``model.state_dict()`` as a plain dict, or :class:`CheckFailed`.

    Args:
        state: the decoded value (an ``OrderedDict`` or a tensor arrives as an opaque stand-in).
        where: what returned it, for the hint (``"train_ner_tagger"``, ``"state_dict"``).
        keys: names that must hold NumPy arrays, e.g. ``("rnn.weight_ih_l0",)``.
        model: what the state_dict should be of, for the hint on a missing key.
    """
    expect(not (isinstance(state, wire.Opaque) and state.type_name == "OrderedDict"),
           f"{where} is an OrderedDict, which does not travel to the grader: return dict(model.state_dict())")
    expect(isinstance(state, dict), f"expected {where} to be model.state_dict() as a dict of arrays, "
                                    f"got {describe_value(state)}")
    tensors = sorted(k for k, v in state.items() if isinstance(v, wire.Opaque))
    expect(not tensors, f"state_dict[{tensors[0] if tensors else ''!r}] is not a NumPy array: return "
                        "{k: v.detach().numpy() for k, v in model.state_dict().items()} from torch")
    for key in keys:
        expect(key in state and isinstance(state[key], np.ndarray),
               f"expected the state_dict of {model}: no array {key!r}")
    return state


def describe_value(value):
    """A learner-facing name for a decoded value's type: ``"a tuple"``, ``"a Tensor"``, ..."""
    if isinstance(value, wire.Opaque):
        return str(value)
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def compare_array(label, got, want, shape_names, tol):
    """Fail with a hint unless ``got`` is an array of ``want``'s shape, finite and within ``tol``.

    Args:
        label: what the array is, for the hint (``"h_next"``, ``"grads['bias_hh']"``).
        got: the learner's value, decoded.
        want: the reference array.
        shape_names: the shape in symbols, e.g. ``"(N, H)"``.
        tol: the largest relative error (:func:`course_pkg.gradcheck.rel_error`) accepted.

    Raises:
        CheckFailed: naming the shapes, NaNs or the size of the error; never ``want``'s values.
    """
    if isinstance(got, (wire.Opaque, dict, str)) or got is None:
        raise CheckFailed(f"expected {label} to be an array, got {describe_value(got)}")
    try:
        got = np.asarray(got)
        expect(got.dtype.kind in "biuf", f"expected {label} to hold real numbers, got dtype {got.dtype}")
        got = got.astype(np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"expected {label} to be an array of numbers, got {describe_value(got)}") from None
    expect(got.shape == want.shape,
           f"expected {label} of shape {shape_names} = {want.shape}, got {got.shape}")
    expect(np.isfinite(got).all(), f"{label} holds NaN or infinite values")
    err = rel_error(got, want)
    expect(err < tol, f"{label}: values off by up to {np.abs(got - want).max():.2g} "
                      f"(relative error {err:.1e}, allowed {tol:g})")
