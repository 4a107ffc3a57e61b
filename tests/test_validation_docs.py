"""The battery of bad calls, and the docstrings: every public entry point says what it raises.

Each ``tests/test_validation_<module>.py`` holds a table ``CASES`` of bad calls, built with
:func:`bad`: the entry point (the class for a constructor, the function or method
otherwise), the call, and the exception type and message fragment it must give. This file
holds the helpers they share and two checks over all tables:

- every exception type the battery sees an entry point raise is listed in the ``Raises:``
  section of that entry point's docstring (a constructor's is its class docstring);
- every public function, class and method of ``course_pkg`` (the names in a module's
  ``__all__``, or without one its functions and classes whose names do not start with ``_``,
  and the public methods of those classes) has at least one bad call in the battery, or is
  listed in ``UNCHECKED`` with the reason it has none.
"""
from __future__ import annotations

import importlib
import inspect
import re
from collections import defaultdict
from typing import Callable, NamedTuple

import pytest

BATTERIES = ["layers", "functional", "heads", "attention", "seq2seq", "losses", "optim", "train",
             "data", "tools", "mingru"]
# The modules of the README's table. scan (the recurrence, run per time step) and backend (array
# plumbing) have no __all__: their callers, the entry points below, check what reaches them.
MODULES = ["course_pkg", "course_pkg.layers", "course_pkg.rnn", "course_pkg.lstm", "course_pkg.gru",
           "course_pkg.heads", "course_pkg.attention", "course_pkg.seq2seq", "course_pkg.losses",
           "course_pkg.optim", "course_pkg.train", "course_pkg.metrics", "course_pkg.gradcheck",
           "course_pkg.baselines", "course_pkg.data", "course_pkg.mingru"]


class Bad(NamedTuple):
    """One bad call: ``call()`` must raise ``exc`` with a message matching ``match``."""

    entry: object
    call: Callable
    exc: type
    match: str


def bad(entry, exc, match, call):
    """A row of a battery (``entry``: the class of a constructor, else the function or method)."""
    return Bad(entry, call, exc, match)


def name_of(entry):
    func = getattr(entry, "__func__", entry)
    return f"{func.__module__}.{func.__qualname__}"


def ids(cases):
    """Test ids ``<entry>-<n>``, numbered per entry point."""
    seen = defaultdict(int)
    out = []
    for case in cases:
        name = name_of(case.entry).replace("course_pkg.", "")
        seen[name] += 1
        out.append(f"{name}-{seen[name]}")
    return out


def check(case):
    """Run one bad call and compare the exception with the table."""
    with pytest.raises(case.exc, match=case.match):
        case.call()


def all_cases():
    return [case for battery in BATTERIES
            for case in importlib.import_module(f"test_validation_{battery}").CASES]


# -- the Raises: sections ---------------------------------------------------------------------
def raises_section(doc):
    """The exception names listed under ``Raises:`` in a Google-style docstring."""
    lines = inspect.cleandoc(doc or "").splitlines()
    names, inside, indent = set(), False, None
    for line in lines:
        if line.strip() == "Raises:":
            inside, indent = True, None
            continue
        if not inside or not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:
            inside = False
            continue
        indent = depth if indent is None else indent
        item = re.match(r"\s*([A-Z]\w*(?:\s*,\s*[A-Z]\w*)*)\s*:", line)
        if depth == indent and item:
            names.update(n.strip() for n in item.group(1).split(","))
    return names


def documented(entry):
    """The docstring that documents ``entry``: the class's for a constructor."""
    return getattr(entry, "__func__", entry).__doc__


def test_every_raised_type_is_documented():
    seen = defaultdict(set)
    for case in all_cases():
        seen[case.entry].add(case.exc.__name__)
    missing = {name_of(e): sorted(types - raises_section(documented(e))) for e, types in seen.items()}
    assert {k: v for k, v in missing.items() if v} == {}


def test_raises_sections_are_parsed():
    import course_pkg as cp
    assert raises_section(cp.RNN.__doc__) == {"ValueError", "TypeError"}
    assert raises_section(cp.LSTM.__doc__) == {"ValueError", "TypeError"}
    assert raises_section(cp.heads.Linear.backward.__doc__) == {"RuntimeError", "TypeError", "ValueError"}


# -- coverage of the public API ---------------------------------------------------------------
UNCHECKED = {
    # no arguments, or only the object itself: nothing to validate
    "course_pkg.layers.ModuleBase.state_dict": "no arguments",
    "course_pkg.layers.ModuleBase.parameters": "no arguments",
    "course_pkg.layers.ModuleBase.named_parameters": "no arguments",
    "course_pkg.layers.ModuleBase.eval": "no arguments",
    "course_pkg.layers.ModuleBase.child_kwargs": "no arguments",
    "course_pkg.layers.RNNBase.to_torch_nn": "no arguments",
    "course_pkg.optim.Optimizer.zero_grad": "no arguments",
    "course_pkg.optim.Optimizer.hparams": "no arguments",
    "course_pkg.optim.Optimizer.state_dict": "no arguments",
    "course_pkg.train.History.as_dict": "no arguments",
    "course_pkg.data.vocab.Vocab.to_dict": "no arguments",
    "course_pkg.data.digits.load_digit_images": "no arguments",
    "course_pkg.baselines.MajorityTagger": "no arguments",
    # abstract bases: their constructors' checks are in the battery through every subclass
    "course_pkg.layers.ModuleBase": "abstract base (through Linear, RNN, ... in the battery)",
    "course_pkg.layers.CellBase": "abstract base (through RNNCell, LSTMCell, GRUCell)",
    "course_pkg.layers.RNNBase": "abstract base (through RNN, LSTM, GRU)",
    "course_pkg.optim.Optimizer": "abstract base (through SGD, Adam, AdamW)",
    # internal machinery with a public name: its callers validate, once per call
    "course_pkg.layers.ModuleBase.gather_grads": "called by backward methods with their own gradients",
    "course_pkg.train.EarlyStopping.improved": "called by fit with the values it logged",
    "course_pkg.data.series.ForecastData": "built by make_forecasting_data, which is in the battery",
    "course_pkg.heads.final_features": "a step of SequenceClassifier/Seq2Seq forward, on states they made",
    "course_pkg.heads.final_features_backward": "a step of SequenceClassifier/Seq2Seq backward",
    "course_pkg.heads.initial_state": "a step of SequenceGenerator/Seq2Seq forward, on states they made",
    "course_pkg.heads.initial_state_backward": "a step of SequenceGenerator/Seq2Seq backward",
    "course_pkg.data.poetry.load_poetry": "takes no arguments",
    "course_pkg.data.series.ForecastData.inverse_y": "the inverse of the Scaler, whose methods are in the battery",
}


def hot_path(name):
    """A family's element-wise core (``core_forward``/``core_backward``), run per time step by the scan."""
    return "_core_" in name


def public_api():
    """``{qualified name: object}`` of every public function, class and method."""
    api = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None) or [
            n for n, o in vars(module).items()
            if not n.startswith("_") and getattr(o, "__module__", None) == module_name]
        for name in names:
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, BaseException):
                continue
            if inspect.isclass(obj) and obj.__module__.startswith("course_pkg"):
                api[name_of(obj)] = obj
                for member in vars_with_bases(obj).values():
                    api[name_of(member)] = member
            elif inspect.isfunction(obj) and obj.__module__.startswith("course_pkg"):
                api[name_of(obj)] = obj
    return api


def vars_with_bases(cls):
    """The public methods of ``cls`` and its course_pkg bases, by name."""
    out = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("course_pkg"):
            continue
        for attr, member in vars(klass).items():
            func = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
            if not attr.startswith("_") and inspect.isfunction(func):
                out[attr] = func
    return out


def test_every_public_entry_point_is_in_the_battery():
    covered = {name_of(case.entry) for case in all_cases()}
    api = public_api()
    missing = sorted(n for n in api if n not in covered and n not in UNCHECKED and not hot_path(n))
    assert missing == []
    stale = sorted(n for n in UNCHECKED if n not in api)
    assert stale == []


def test_battery_size():
    """The battery's size, for the record (see the report of issue 14)."""
    cases = all_cases()
    assert len(cases) >= 300
    assert len({name_of(c.entry) for c in cases}) >= 100
