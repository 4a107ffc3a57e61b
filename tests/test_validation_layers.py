"""Bad calls to the recurrent layers and cells (RNN, LSTM, GRU and their cells), on both back-ends.

Also what torch.nn does with edge cases that are not errors: an empty batch (N = 0) gives
empty results, no time steps (T = 0) is an error, and single-layer dropout warns.
"""
import numpy as np
import pytest
import torch
from test_keras_conversion import CASES as KERAS_CASES
from test_validation_docs import bad, check, ids

import course_pkg as cp
from course_pkg.layers import CellBase, ModuleBase, RNNBase

FAMILIES = ["RNN", "LSTM", "GRU"]
BACKENDS = ["numpy", "torch"]


def zeros(backend, shape, dtype="float32", device="cpu"):
    if backend == "torch":
        return torch.zeros(shape, dtype=getattr(torch, dtype), device=device)
    return np.zeros(shape, dtype=dtype)


def other(backend, shape, dtype="float32"):
    """An array of the other back-end."""
    return zeros("numpy" if backend == "torch" else "torch", shape, dtype)


def kind(backend):
    return "torch.Tensor" if backend == "torch" else "numpy.ndarray"


def state(family, backend, shape, dtype="float32"):
    h = zeros(backend, shape, dtype)
    return (h, zeros(backend, shape, dtype)) if family == "LSTM" else h


def layer(family, backend="numpy", **kw):
    return getattr(cp, family)(5, 6, backend=backend, **kw)


def ran(family, backend="numpy", **kw):
    """A layer after one forward pass on ``(T, N, D) = (3, 2, 5)``."""
    model = layer(family, backend, **kw)
    model(zeros(backend, (3, 2, 5), kw.get("dtype", "float32")))
    return model


def constructor_cases(family):
    cls = getattr(cp, family)
    rows = [
        (TypeError, "Expected input_size to be an int, got str", lambda: cls("5", 6)),
        (TypeError, "Expected input_size to be an int, got float", lambda: cls(5.0, 6)),
        (TypeError, "Expected input_size to be an int, got bool", lambda: cls(True, 6)),
        (ValueError, "Expected input_size >= 1, got 0", lambda: cls(0, 6)),
        (ValueError, "Expected hidden_size >= 1, got -3", lambda: cls(5, -3)),
        (TypeError, "Expected hidden_size to be an int, got NoneType", lambda: cls(5, None)),
        (TypeError, "Expected num_layers to be an int, got str", lambda: cls(5, 6, num_layers="2")),
        (ValueError, "Expected num_layers >= 1, got 0", lambda: cls(5, 6, num_layers=0)),
        (TypeError, "Expected dropout to be a number, got str", lambda: cls(5, 6, dropout="0.5")),
        (TypeError, "Expected dropout to be a number, got bool", lambda: cls(5, 6, dropout=True)),
        (ValueError, r"Expected dropout in \[0, 1\], got 1.5", lambda: cls(5, 6, dropout=1.5)),
        (ValueError, r"Expected dropout in \[0, 1\], got -0.1", lambda: cls(5, 6, dropout=-0.1)),
        (ValueError, "Expected dropout to be a finite number, got nan", lambda: cls(5, 6, dropout=float("nan"))),
        (TypeError, "Expected bias to be a bool, got str", lambda: cls(5, 6, bias="yes")),
        (TypeError, "Expected batch_first to be a bool, got int", lambda: cls(5, 6, batch_first=1)),
        (TypeError, "Expected bidirectional to be a bool, got NoneType", lambda: cls(5, 6, bidirectional=None)),
        (TypeError, "Expected explicit_backward to be a bool, got int", lambda: cls(5, 6, explicit_backward=0)),
        (ValueError, r"Expected backend in \['numpy', 'torch'\], got 'jax'", lambda: cls(5, 6, backend="jax")),
        (TypeError, r"Expected backend in \['numpy', 'torch'\], got NoneType", lambda: cls(5, 6, backend=None)),
        (TypeError, "Expected dtype float32 or float64, got int64", lambda: cls(5, 6, dtype="int64")),
        (TypeError, "Expected dtype float32 or float64, got float16", lambda: cls(5, 6, dtype=np.float16)),
        (TypeError, "Expected dtype float32 or float64, got int32", lambda: cls(5, 6, dtype=torch.int32)),
        (ValueError, "Expected device None or 'cpu' for the numpy backend, got 'cuda'",
         lambda: cls(5, 6, device="cuda")),
        (ValueError, "Expected device like 'cpu', 'cuda' or 'cuda:0', got 'gpu'",
         lambda: cls(5, 6, backend="torch", device="gpu")),
        (TypeError, "Expected device to be None, a str, an int or a torch.device, got float",
         lambda: cls(5, 6, backend="torch", device=1.5)),
        (ValueError, "Expected seed >= 0, got -1", lambda: cls(5, 6, seed=-1)),
        (TypeError, "Expected seed to be an int or None, got str", lambda: cls(5, 6, seed="abc")),
        (TypeError, "Expected seed to be an int or None, got float", lambda: cls(5, 6, seed=2.5)),
        (TypeError, r"Expected proj_size=0 \(torch.nn's default\): course_pkg does not support LSTM "
                    r"projections of h_t to proj_size features, got proj_size=2", lambda: cls(5, 6, proj_size=2)),
        (TypeError, "unexpected keyword argument 'projection'", lambda: cls(5, 6, projection=2)),
    ]
    if family == "RNN":
        rows += [(ValueError, r"Expected nonlinearity in \['tanh', 'relu'\], got 'sigmoid'",
                  lambda: cls(5, 6, nonlinearity="sigmoid")),
                 (TypeError, r"Expected nonlinearity in \['tanh', 'relu'\], got NoneType",
                  lambda: cls(5, 6, nonlinearity=None))]
    return [bad(cls, *row) for row in rows]


def forward_cases(family, backend):
    fwd = RNNBase.forward
    x = zeros(backend, (3, 2, 5))
    rows = [
        (TypeError, f"Expected input to be a {kind(backend)} \\(backend='{backend}'\\), got list",
         lambda: layer(family, backend)([[0.0] * 5] * 3)),
        (TypeError, f"Expected input to be a {kind(backend)}", lambda: layer(family, backend)(None)),
        (TypeError, f"Expected input to be a {kind(backend)}",
         lambda: layer(family, backend)(other(backend, (3, 2, 5)))),
        (TypeError, r"Expected input of dtype float32 \(the parameters' dtype\), got float64",
         lambda: layer(family, backend)(zeros(backend, (3, 2, 5), "float64"))),
        (TypeError, r"Expected input of dtype float64 \(the parameters' dtype\), got float32",
         lambda: layer(family, backend, dtype="float64")(x)),
        (TypeError, "Expected input of dtype float32 .*, got int64",
         lambda: layer(family, backend)(zeros(backend, (3, 2, 5), "int64"))),
        (ValueError, r"Expected input with 2 \(unbatched\) or 3 dimensions, got 4",
         lambda: layer(family, backend)(zeros(backend, (3, 2, 1, 5)))),
        (ValueError, r"Expected input with 2 \(unbatched\) or 3 dimensions, got 1",
         lambda: layer(family, backend)(zeros(backend, (5,)))),
        (ValueError, r"Expected input.shape\[-1\] == input_size = 5, got 4",
         lambda: layer(family, backend)(zeros(backend, (3, 2, 4)))),
        (ValueError, f"Expected sequence length to be larger than 0 in {family}, got input of shape \\(0, 2, 5\\)",
         lambda: layer(family, backend)(zeros(backend, (0, 2, 5)))),
        (ValueError, "Expected sequence length to be larger than 0",
         lambda: layer(family, backend, batch_first=True)(zeros(backend, (2, 0, 5)))),
        (ValueError, "Expected sequence length to be larger than 0",
         lambda: layer(family, backend)(zeros(backend, (0, 5)))),
        (ValueError, r"Expected hidden size \(1, 2, 6\), got \(1, 3, 6\)",
         lambda: layer(family, backend)(x, state(family, backend, (1, 3, 6)))),
        (ValueError, r"Expected hidden size \(2, 2, 6\), got \(1, 2, 6\)",
         lambda: layer(family, backend, num_layers=2)(x, state(family, backend, (1, 2, 6)))),
        (TypeError, r"Expected hx of dtype float32 \(the parameters' dtype\), got float64",
         lambda: layer(family, backend)(x, state(family, backend, (1, 2, 6), "float64"))),
        (ValueError, r"Expected lengths in \[1, 3\], got min 0 and max 2",
         lambda: layer(family, backend)(x, lengths=[0, 2])),
        (ValueError, r"Expected lengths in \[1, 3\], got min 1 and max 4",
         lambda: layer(family, backend)(x, lengths=[4, 1])),
        (ValueError, r"Expected lengths to be 2 integers, got shape \(3,\)",
         lambda: layer(family, backend)(x, lengths=[1, 2, 3])),
        (ValueError, "Expected lengths to be 2 integers, got shape .* of dtype float64",
         lambda: layer(family, backend)(x, lengths=[1.0, 2.0])),
        (ValueError, "Expected lengths to be 2 integers, got shape \\(\\)",
         lambda: layer(family, backend)(x, lengths="ab")),
        (ValueError, "Expected batched input with lengths, got unbatched input",
         lambda: layer(family, backend)(zeros(backend, (3, 5)), lengths=[3])),
    ]
    if family == "LSTM":
        rows += [(TypeError, r"Expected hx to be a tuple \(h_0, c_0\), got " + ("Tensor" if backend == "torch" else "ndarray"),
                  lambda: layer(family, backend)(x, zeros(backend, (1, 2, 6)))),
                 (TypeError, r"Expected hx to be a tuple \(h_0, c_0\), got tuple of length 3",
                  lambda: layer(family, backend)(x, (zeros(backend, (1, 2, 6)),) * 3)),
                 (TypeError, f"Expected hx to be a {kind(backend)}",
                  lambda: layer(family, backend)(x, (zeros(backend, (1, 2, 6)), None)))]
    else:
        rows += [(TypeError, f"Expected hx to be a {kind(backend)} .*, got list",
                  lambda: layer(family, backend)(x, [[[0.0] * 6] * 2]))]
    if backend == "torch":
        meta = zeros(backend, (1, 2, 6), device="meta")
        rows += [(ValueError, "Expected hx on device cpu, got meta",
                  lambda: layer(family, backend)(x, (meta, meta) if family == "LSTM" else meta)),
                 (ValueError, "Expected input on device cpu, got meta",
                  lambda: layer(family, backend)(zeros(backend, (3, 2, 5), device="meta")))]
    return [bad(fwd, *row) for row in rows]


def backward_cases(family, backend):
    bwd = RNNBase.backward
    g = zeros(backend, (3, 2, 6))
    rows = [
        (RuntimeError, r"Expected forward\(\) to be called before backward\(\)",
         lambda: layer(family, backend).backward(g)),
        (TypeError, f"Expected grad_output to be a {kind(backend)} .*, got list",
         lambda: ran(family, backend).backward([[[0.0] * 6] * 2] * 3)),
        (TypeError, f"Expected grad_output to be a {kind(backend)} .*, got NoneType",
         lambda: ran(family, backend).backward(None)),
        (TypeError, f"Expected grad_output to be a {kind(backend)}",
         lambda: ran(family, backend).backward(other(backend, (3, 2, 6)))),
        (TypeError, r"Expected grad_output of dtype float32 \(the parameters' dtype\), got float64",
         lambda: ran(family, backend).backward(zeros(backend, (3, 2, 6), "float64"))),
        (ValueError, r"Expected grad_output of shape \(3, 2, 6\), got \(2, 3, 6\)",
         lambda: ran(family, backend).backward(zeros(backend, (2, 3, 6)))),
        (TypeError, r"Expected grad_h_n of dtype float32 \(the parameters' dtype\), got float64",
         lambda: ran(family, backend).backward(g, zeros(backend, (1, 2, 6), "float64"))),
        (TypeError, "Expected grad_h_n to be a", lambda: ran(family, backend).backward(g, [[[0.0] * 6] * 2])),
        (ValueError, r"Expected a gradient of h_n of shape \(1, 2, 6\), got \(2, 6\)",
         lambda: ran(family, backend).backward(g, zeros(backend, (2, 6)))),
        (ValueError, "Expected at most", lambda: ran(family, backend).backward(g, None, None, None)),
    ]
    if family == "LSTM":
        rows += [(ValueError, r"Expected a gradient of c_n of shape \(1, 2, 6\), got \(1, 2, 5\)",
                  lambda: ran(family, backend).backward(g, None, zeros(backend, (1, 2, 5)))),
                 (TypeError, "Expected grad_c_n of dtype float32",
                  lambda: ran(family, backend).backward(g, None, zeros(backend, (1, 2, 6), "float64")))]
    return [bad(bwd, *row) for row in rows]


def cell_cases(family, backend):
    cls = getattr(cp, family + "Cell")
    x, h = zeros(backend, (2, 3)), zeros(backend, (2, 4))

    def cell(**kw):
        return cls(3, 4, backend=backend, **kw)

    def ran_cell():
        c = cell()
        c(x)
        return c
    rows = [
        (cls, TypeError, "Expected input_size to be an int, got str", lambda: cls("3", 4)),
        (cls, ValueError, "Expected hidden_size >= 1, got 0", lambda: cls(3, 0)),
        (cls, TypeError, "Expected bias to be a bool, got int", lambda: cls(3, 4, bias=0)),
        (cls, ValueError, "Expected seed >= 0, got -5", lambda: cls(3, 4, seed=-5)),
        (cls, TypeError, "Expected dtype float32 or float64", lambda: cls(3, 4, dtype="int8")),
        (CellBase.forward, TypeError, f"Expected input to be a {kind(backend)}", lambda: cell()([0.0, 1.0, 2.0])),
        (CellBase.forward, TypeError, "Expected input of dtype float32 .*, got float64",
         lambda: cell()(zeros(backend, (2, 3), "float64"))),
        (CellBase.forward, ValueError, r"Expected input of shape \(N, 3\) or \(3,\), got \(2, 5\)",
         lambda: cell()(zeros(backend, (2, 5)))),
        (CellBase.forward, ValueError, r"Expected input of shape \(N, 3\) or \(3,\), got \(1, 2, 3\)",
         lambda: cell()(zeros(backend, (1, 2, 3)))),
        (CellBase.forward, ValueError, r"Expected hx\[0\] of shape \(2, 4\), got \(3, 4\)",
         lambda: cell()(x, (zeros(backend, (3, 4)),) * 2 if family == "LSTM" else zeros(backend, (3, 4)))),
        (CellBase.forward, TypeError, "Expected hx of dtype float32",
         lambda: cell()(x, (zeros(backend, (2, 4), "float64"),) * 2 if family == "LSTM"
                        else zeros(backend, (2, 4), "float64"))),
        (CellBase.backward, RuntimeError, r"Expected forward\(\) to be called before backward\(\)",
         lambda: cell().backward(h)),
        (CellBase.backward, TypeError, f"Expected grad_state\\[0\\] to be a {kind(backend)}",
         lambda: ran_cell().backward([[0.0] * 4] * 2)),
        (CellBase.backward, TypeError, r"Expected grad_state\[0\] of dtype float32 .*, got float64",
         lambda: ran_cell().backward(zeros(backend, (2, 4), "float64"))),
        (CellBase.backward, ValueError, r"Expected a state gradient of shape \(2, 4\), got \(4,\)",
         lambda: ran_cell().backward(zeros(backend, (4,)))),
        (CellBase.backward, ValueError, "Expected 1 to .* state gradient",
         lambda: ran_cell().backward(h, h, h)),
        (CellBase.backward, ValueError, "Expected 1 to .* state gradient", lambda: ran_cell().backward()),
    ]
    if family == "LSTM":
        rows += [(CellBase.forward, TypeError, r"Expected hx to be a tuple \(h_0, c_0\)", lambda: cell()(x, h))]
    if family == "RNN":
        rows += [(cls, ValueError, r"Expected nonlinearity in \['tanh', 'relu'\], got 'gelu'",
                  lambda: cls(3, 4, nonlinearity="gelu"))]
    return [bad(*row) for row in rows]


def state_dict_cases(family, backend):
    load = ModuleBase.load_state_dict
    sd = lambda: {k: zeros("numpy", tuple(v.shape)) for k, v in layer(family).state_dict().items()}  # noqa: E731
    rows = [
        (TypeError, "Expected state_dict to be a dict name -> array, got list",
         lambda: layer(family, backend).load_state_dict(list(sd().values()))),
        (TypeError, "Expected state_dict to be a dict name -> array, got NoneType",
         lambda: layer(family, backend).load_state_dict(None)),
        (TypeError, r"Expected state_dict\['weight_ih_l0'\] to be a numpy.ndarray or torch.Tensor, got NoneType",
         lambda: layer(family, backend).load_state_dict({**sd(), "weight_ih_l0": None})),
        (TypeError, r"Expected state_dict\['bias_hh_l0'\] to be a numpy.ndarray or torch.Tensor, got list",
         lambda: layer(family, backend).load_state_dict({**sd(), "bias_hh_l0": [0.0]})),
        (TypeError, r"Expected state_dict\['bias_hh_l0'\] of a real dtype, got complex",
         lambda: layer(family, backend).load_state_dict({**sd(), "bias_hh_l0": sd()["bias_hh_l0"] + 0j})),
        (TypeError, r"Expected state_dict\['bias_ih_l0'\] of a real dtype, got <U1",
         lambda: layer(family, backend).load_state_dict({**sd(), "bias_ih_l0": np.array(["a"] * 6)})),
        (ValueError, r"missing \['bias_hh_l0'\] and unexpected \[\]",
         lambda: layer(family, backend).load_state_dict({k: v for k, v in sd().items() if k != "bias_hh_l0"})),
        (ValueError, r"missing \[\] and unexpected \['extra'\]",
         lambda: layer(family, backend).load_state_dict({**sd(), "extra": np.zeros(1)})),
        (ValueError, r"Expected weight_ih_l0 of shape \(\d+, 5\), got \(5, \d+\)",
         lambda: layer(family, backend).load_state_dict({**sd(), "weight_ih_l0": sd()["weight_ih_l0"].T})),
    ]
    return [bad(load, *row) for row in rows]


def from_torch_cases(family):
    cls = getattr(cp, family)
    others = [f for f in FAMILIES if f != family]
    rows = [
        (TypeError, f"Expected module to be a torch.nn.{family}, got {others[0]}",
         lambda: cls.from_torch_nn(getattr(torch.nn, others[0])(5, 6))),
        (TypeError, f"Expected module to be a torch.nn.{family}, got Linear",
         lambda: cls.from_torch_nn(torch.nn.Linear(5, 6))),
        (TypeError, f"Expected module to be a torch.nn.{family}, got OrderedDict",
         lambda: cls.from_torch_nn(getattr(torch.nn, family)(5, 6).state_dict())),
        (TypeError, r"Expected keyword arguments among \['backend', 'device', 'dtype', 'seed', "
                    r"'explicit_backward'\], got \['hidden_size'\]",
         lambda: cls.from_torch_nn(getattr(torch.nn, family)(5, 6), hidden_size=3)),
        (ValueError, "Expected seed >= 0, got -1", lambda: cls.from_torch_nn(getattr(torch.nn, family)(5, 6), seed=-1)),
        (ValueError, r"Expected backend in \['numpy', 'torch'\], got 'cupy'",
         lambda: cls.from_torch_nn(getattr(torch.nn, family)(5, 6), backend="cupy")),
    ]
    if family == "LSTM":
        rows += [(ValueError, "Expected a module with proj_size=0",
                  lambda: cls.from_torch_nn(torch.nn.LSTM(5, 6, proj_size=2)))]
    return [bad(cls.from_torch_nn, *row) for row in rows]


def module_cases():
    rows = [
        (ModuleBase.train, TypeError, "Expected mode to be a bool, got str", lambda: cp.RNN(2, 3).train("eval")),
        (ModuleBase.train, TypeError, "Expected mode to be a bool, got int", lambda: cp.GRUCell(2, 3).train(0)),
        (ModuleBase.to, ValueError, "Expected device None or 'cpu' for the numpy backend, got 'cuda'",
         lambda: cp.RNN(2, 3).to("cuda")),
        (ModuleBase.to, ValueError, "Expected device like 'cpu', 'cuda' or 'cuda:0', got 'tpu'",
         lambda: cp.LSTM(2, 3, backend="torch").to("tpu")),
        (ModuleBase.to, TypeError, "Expected device to be None, a str, an int or a torch.device, got list",
         lambda: cp.LSTM(2, 3, backend="torch").to(["cpu"])),
        (ModuleBase.add_module, TypeError, "Expected name to be a str, got int",
         lambda: cp.RNN(2, 3).add_module(3, cp.RNN(2, 3))),
        (ModuleBase.add_module, ValueError, "Expected a module name without '.' and not a parameter's, got 'a.b'",
         lambda: cp.RNN(2, 3).add_module("a.b", cp.RNN(2, 3))),
        (ModuleBase.add_module, ValueError, "not a parameter's, got 'weight_ih_l0'",
         lambda: cp.RNN(2, 3).add_module("weight_ih_l0", cp.RNN(2, 3))),
        (ModuleBase.add_module, TypeError, "Expected module to be a course_pkg module, got Linear",
         lambda: cp.RNN(2, 3).add_module("head", torch.nn.Linear(2, 3))),
    ]
    if not torch.cuda.is_available():
        rows += [(ModuleBase.to, ValueError, "Expected an available CUDA device",
                  lambda: cp.RNN(2, 3, backend="torch").to("cuda"))]
    return [bad(*row) for row in rows]


CASES = ([c for f in FAMILIES for c in constructor_cases(f) + from_torch_cases(f)]
         + [c for f in FAMILIES for b in BACKENDS
            for c in forward_cases(f, b) + backward_cases(f, b) + cell_cases(f, b) + state_dict_cases(f, b)]
         + module_cases() + KERAS_CASES)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)


# -- what torch.nn does instead of an error ---------------------------------------------------------
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_empty_batch_gives_empty_results_like_torch(family, backend, bidirectional):
    ours = getattr(cp, family)(5, 6, num_layers=2, bidirectional=bidirectional, backend=backend, seed=0)
    theirs = ours.to_torch_nn()
    out, state = ours(zeros(backend, (4, 0, 5)))
    ref_out, ref_state = theirs(torch.zeros(4, 0, 5))
    assert tuple(out.shape) == tuple(ref_out.shape) == (4, 0, 12 if bidirectional else 6)
    states = state if family == "LSTM" else (state,)
    ref_states = ref_state if family == "LSTM" else (ref_state,)
    assert [tuple(s.shape) for s in states] == [tuple(s.shape) for s in ref_states]
    dx, dhx, grads = ours.backward(zeros(backend, tuple(out.shape)))
    assert tuple(dx.shape) == (4, 0, 5)
    assert all(float(np.abs(np.asarray(g.detach() if backend == "torch" else g)).max(initial=0)) == 0
               for g in grads.values())


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_batch_with_lengths_and_cells(backend):
    out, _ = cp.GRU(5, 6, batch_first=True, backend=backend)(zeros(backend, (0, 3, 5)), lengths=np.zeros(0, int))
    assert tuple(out.shape) == (0, 3, 6)
    h, c = cp.LSTMCell(3, 4, backend=backend)(zeros(backend, (0, 3)))
    assert tuple(h.shape) == tuple(c.shape) == (0, 4)


def test_no_time_steps_is_torchs_error():
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
        torch.nn.RNN(5, 6)(torch.zeros(0, 2, 5))
    with pytest.raises(ValueError, match="Expected sequence length to be larger than 0"):
        cp.RNN(5, 6)(np.zeros((0, 2, 5), np.float32))


@pytest.mark.parametrize("family", FAMILIES)
def test_single_layer_dropout_warns_like_torch(family):
    with pytest.warns(UserWarning) as ref:
        getattr(torch.nn, family)(5, 6, dropout=0.5)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1") as ours:
        getattr(cp, family)(5, 6, dropout=0.5)
    assert str(ours[0].message) == str(ref[0].message)
    assert ours[0].filename == __file__                      # points at the caller's line


def test_no_warning_for_stacked_dropout_or_none(recwarn):
    cp.LSTM(5, 6, num_layers=2, dropout=0.5)
    cp.LSTM(5, 6, dropout=0.0)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("make", [lambda: cp.LSTM(5, 6, proj_size=0),
                                  lambda: cp.Embedding(5, 2, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                                                    sparse=False)], ids=["lstm", "embedding"])
def test_torch_defaults_of_unsupported_arguments_are_accepted(make):
    """Code written for torch.nn that spells out a default runs unchanged."""
    make()
