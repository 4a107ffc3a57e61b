"""One driver for every recurrent layer: parameters, layers, directions, batch-first, dropout.

torch.nn's ``rnn.py`` repeats this logic for each class; here :class:`RNNBase` holds it
once and a family (:mod:`course_pkg.rnn`, ...) supplies only its element-wise core and
its number of gate blocks ``G`` (1 for the plain RNN, 4 for the LSTM, 3 for the GRU).
Parameter names, shapes, order and initialisation are torch.nn's, so ``state_dict()``
loads into a torch.nn module and back.
"""
from __future__ import annotations

import functools
import math
import warnings
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from . import _validate as V
from . import backend as B
from . import scan


def length_mask(lengths, N, T):
    """The padding mask of a batch: ``mask[n, t] = t < lengths[n]``, NumPy bool ``(N, T)``.

    Raises:
        ValueError: if ``lengths`` is not ``N`` integers in ``[1, T]``.
    """
    lengths = np.asarray(B.to_numpy(lengths))
    if lengths.shape != (N,) or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"Expected lengths to be {N} integers, got shape {lengths.shape} "
                         f"of dtype {lengths.dtype}")
    if N and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(f"Expected lengths in [1, {T}], got min {lengths.min()} and max {lengths.max()}")
    return np.arange(T)[None, :] < lengths[:, None]                      # (N, T)


# torch.nn arguments that course_pkg's modules do not take, with what they do in torch.nn
# (the book's conventions appendix lists them). Their torch defaults are accepted.
NOT_SUPPORTED = {
    "proj_size": (0, "LSTM projections of h_t to proj_size features"),
    "max_norm": (None, "renormalising embedding rows to max_norm"),
    "norm_type": (2.0, "the norm of max_norm"),
    "scale_grad_by_freq": (False, "scaling embedding gradients by word frequency"),
    "sparse": (False, "sparse embedding gradients"),
}


def _check_unknown(cls_name, unknown):
    """Accept torch.nn's defaults of :data:`NOT_SUPPORTED`; refuse anything else by name."""
    for name, value in unknown.items():
        if name not in NOT_SUPPORTED:
            raise TypeError(f"{cls_name}() got an unexpected keyword argument {name!r}")
        default, what = NOT_SUPPORTED[name]
        if value != default or isinstance(value, bool) != isinstance(default, bool):
            raise TypeError(f"Expected {name}={default!r} (torch.nn's default): course_pkg does not "
                            f"support {what}, got {name}={value!r}")


class ModuleBase:
    """Parameters and sub-modules in ordered dicts, torch.nn-style ``state_dict``, devices, modes.

    Keyword Args:
        backend: ``"numpy"`` or ``"torch"``.
        device: torch device for the torch back-end (``None`` = CPU).
        dtype: ``"float32"`` (default) or ``"float64"``, or a NumPy/torch dtype.
        seed: seed of the NumPy generator that draws the initial weights (identical
            on both back-ends) and the dropout masks: an int ``>= 0``, or ``None``.

    Raises:
        TypeError: if ``backend`` is not a string, ``dtype`` not a float type, ``device``
            not a device, or ``seed`` not an int; on a torch.nn argument the course does not
            support (``course_pkg.layers.NOT_SUPPORTED``: ``proj_size``, the embedding's ``max_norm``, ...),
            with what it would do; on any other unknown keyword.
        ValueError: on an unknown back-end or device, or a negative seed.

    Arrays passed to a module (inputs, states, gradients) must be of its back-end, dtype
    and device: another float dtype raises ``TypeError``, as torch.nn does, and nothing is
    converted silently (see the Conventions appendix of the book).

    A composite model adds children with :meth:`add_module`; its ``state_dict`` then
    names their parameters ``child.name``, as torch.nn does, so it loads into a torch
    model with the same attribute names.
    """

    gates: int
    n_states = 1   # 2 for the LSTM: (h, c)

    def __init__(self, *, backend="numpy", device=None, dtype=None, seed=None, **unknown):
        _check_unknown(type(self).__name__, unknown)
        self.backend = B.check_backend(backend)
        self.device = B.resolve_device(self.backend, device)
        self.dtype = B.dtype_name("float32" if dtype is None else dtype)
        self.rng = np.random.default_rng(V.check_int("seed", seed, low=0, none=True))
        self.training = True
        self.grads = None
        self._cache = None
        self._params = OrderedDict()
        self._modules = OrderedDict()

    # -- parameters ---------------------------------------------------------------------
    def _init_uniform(self, shapes, bound):
        """Create parameters ``[(name, shape), ...]`` drawn from U(-bound, bound), as torch.nn does."""
        for name, shape in shapes:
            self._params[name] = self._to_backend(self.rng.uniform(-bound, bound, size=shape))

    def _to_backend(self, array):
        value = B.to_backend(array, self.backend, self.dtype, self.device)
        if self.backend == "torch":
            value.requires_grad_(True)
        return value

    def child_kwargs(self):
        """Keyword arguments that give a child this module's back-end, device, dtype and a derived seed."""
        return dict(backend=self.backend, device=self.device, dtype=self.dtype,
                    seed=int(self.rng.integers(2 ** 31)))

    def add_module(self, name, module):
        """Register ``module`` as a child called ``name`` (also set as an attribute); returns it.

        Raises:
            TypeError: if ``name`` is not a string or ``module`` not a course_pkg module.
            ValueError: if ``name`` is empty, holds a dot, or is taken by a parameter.
        """
        V.check_type("name", name, str, "a str")
        V.check_type("module", module, ModuleBase, "a course_pkg module")
        if not name or "." in name or name in self._params:
            raise ValueError(f"Expected a module name without '.' and not a parameter's, got {name!r}")
        self._modules[name] = module
        setattr(self, name, module)
        return module

    def named_parameters(self):
        """Iterate over ``(name, parameter)`` pairs in torch.nn's order (children as ``child.name``)."""
        yield from self._params.items()
        for prefix, child in self._modules.items():
            for name, value in child.named_parameters():
                yield f"{prefix}.{name}", value

    def state_dict(self):
        """An ordered dict ``name -> array`` (NumPy arrays or torch tensors), as torch.nn names them.

        The arrays are the live parameters, not copies: changing one in place changes the model.
        """
        return OrderedDict(self.named_parameters())

    def parameters(self):
        """The parameters in torch.nn's order (hand them to ``torch.optim`` on the torch back-end)."""
        return [value for _, value in self.named_parameters()]

    def load_state_dict(self, state_dict):
        """Copy parameters, in place, from a state dict of this class or of the torch.nn namesake.

        Accepts NumPy arrays or torch tensors on any device; values are converted to
        this module's back-end, dtype and device.

        Raises:
            TypeError: if ``state_dict`` is not a dict, or a value is not a real-valued
                NumPy array or torch tensor.
            ValueError: if keys are missing or unexpected, or a shape differs.
        """
        V.check_type("state_dict", state_dict, Mapping, "a dict name -> array")
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if missing or unexpected:
            raise ValueError(f"Expected keys {list(own)}, got missing {missing} and unexpected {unexpected}")
        for name, old in own.items():
            new = _check_state_value(name, state_dict[name])
            if tuple(new.shape) != tuple(old.shape):
                raise ValueError(f"Expected {name} of shape {tuple(old.shape)}, got {tuple(new.shape)}")
        for name, old in own.items():
            new = B.to_backend(state_dict[name], self.backend, self.dtype, self.device)
            if self.backend == "torch":
                with B.torch_module().no_grad():
                    old.copy_(new)
            else:
                old[...] = new

    def gather_grads(self, own, children):
        """Merge this module's gradients and its children's into one dict keyed like :meth:`~course_pkg.layers.ModuleBase.state_dict`.

        Args:
            own: ``{name: gradient}`` of this module's own parameters.
            children: ``{child name: that child's grads}``; a child left out gets zeros.
        """
        grads = OrderedDict()
        for name, value in self.named_parameters():
            prefix, _, rest = name.partition(".")
            if rest and prefix in self._modules:
                g = children.get(prefix, {}).get(rest)
            else:
                g = own.get(name)
            grads[name] = B.zeros_like(value, value.shape) if g is None else g
        self.grads = grads
        return grads

    # -- modes and devices --------------------------------------------------------------
    def train(self, mode=True):
        """Training mode (dropout on), for this module and its children; returns ``self``.

        Raises:
            TypeError: if ``mode`` is not a bool.
        """
        self.training = V.check_bool("mode", mode)
        for child in self._modules.values():
            child.train(mode)
        return self

    def eval(self):
        """Evaluation mode (dropout off); returns ``self``."""
        return self.train(False)

    def to(self, device):
        """Move the parameters to ``device`` (torch back-end); returns ``self``.

        Raises:
            TypeError: if ``device`` is not a device.
            ValueError: for a device other than the CPU on the NumPy back-end, or CUDA without a GPU.
        """
        self.device = B.resolve_device(self.backend, device)
        if self.backend == "torch":
            self._params = OrderedDict((k, self._to_backend(v)) for k, v in self._params.items())
        for child in self._modules.values():
            child.to(device)
        return self

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def _state_tuple(self, hx):
        """``hx`` as a tuple of ``n_states`` arrays (the LSTM takes ``(h_0, c_0)``)."""
        if self.n_states == 1:
            return (hx,)
        if not isinstance(hx, (tuple, list)) or len(hx) != self.n_states:
            raise TypeError(f"Expected hx to be a tuple (h_0, c_0), got {type(hx).__name__}"
                            + (f" of length {len(hx)}" if isinstance(hx, (tuple, list)) else ""))
        return tuple(hx)

    # -- input checks ---------------------------------------------------------------------
    def _check_array(self, name, x):
        """``x`` if it is an array of this module's back-end, dtype and device (see ``_validate.check_array``)."""
        return V.check_array(name, x, self.backend, self.dtype, self.device,
                             note=f" (backend={self.backend!r})", dtype_note=" (the parameters' dtype)")

    def _check_grad(self, name, g, shape):
        """A gradient: an array like :meth:`_check_array` wants, of ``shape``."""
        return V.check_shape(name, self._check_array(name, g), shape)


def _check_state_value(name, value):
    """A state dict entry: a NumPy array or torch tensor of real numbers (ints are cast, as torch's copy_ does)."""
    label = f"state_dict[{name!r}]"
    if not (isinstance(value, np.ndarray) or B.is_torch(value)):
        raise TypeError(f"Expected {label} to be a numpy.ndarray or torch.Tensor, got {type(value).__name__}")
    if (value.is_complex() if B.is_torch(value) else value.dtype.kind not in "biuf"):
        raise TypeError(f"Expected {label} of a real dtype, got {value.dtype}")
    return value


class CellBase(ModuleBase):
    """A single cell (one time step), shaped like ``torch.nn.RNNCell``/``LSTMCell``/``GRUCell``.

    Subclasses set ``gates``, ``core_forward``, ``core_backward`` and ``_core_opts``.
    """

    def __init__(self, input_size, hidden_size, bias=True, **kwargs):
        self.input_size = V.check_int("input_size", input_size, low=1)
        self.hidden_size = V.check_int("hidden_size", hidden_size, low=1)
        self.bias = V.check_bool("bias", bias)
        super().__init__(**kwargs)
        self._init_uniform(self._param_shapes(), 1.0 / math.sqrt(self.hidden_size))

    def _param_shapes(self):
        G, H, D = self.gates, self.hidden_size, self.input_size
        shapes = [("weight_ih", (G * H, D)), ("weight_hh", (G * H, H))]
        return shapes + ([("bias_ih", (G * H,)), ("bias_hh", (G * H,))] if self.bias else [])

    def _core_opts(self):
        return {}

    def forward(self, input, hx=None):
        """One step; see the class docstring for shapes. Returns the next state.

        Raises:
            TypeError: if ``input`` or ``hx`` is not an array of the module's back-end and
                dtype, or the LSTM cell's ``hx`` is not a pair.
            ValueError: if a shape differs from ``(N, input_size)``/``(N, hidden_size)``
                (or the unbatched ``(input_size,)``/``(hidden_size,)``), or a device differs.
        """
        self._check_array("input", input)
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"Expected input of shape (N, {self.input_size}) or ({self.input_size},), "
                             f"got {tuple(input.shape)}")
        batched = input.ndim == 2
        x = input if batched else input[None]
        state = self._initial_state(hx, x.shape[0], batched)
        state_next, cache = scan.step_forward(self.core_forward, x, state, self._params, **self._core_opts())
        self._cache = (cache, batched)
        out = state_next if batched else tuple(s[0] for s in state_next)
        return out[0] if len(out) == 1 else out

    def _initial_state(self, hx, N, batched):
        shape = (N, self.hidden_size) if batched else (self.hidden_size,)
        if hx is None:
            zero = B.zeros_like(self._params["weight_hh"], (N, self.hidden_size))
            return (zero,) * self.n_states
        hx = self._state_tuple(hx)
        for i, h in enumerate(hx):
            self._check_array("hx", h)
            if tuple(h.shape) != shape:
                raise ValueError(f"Expected hx[{i}] of shape {shape}, got {tuple(h.shape)}")
        return hx if batched else tuple(h[None] for h in hx)

    def backward(self, *grad_state):
        """Gradients of the last :meth:`forward`: ``-> (grad_input, grad_hx, grads)``.

        ``grad_state`` is the gradient of the next state (``dh'``, or ``dh', dc'`` for the
        LSTM cell), shaped like the forward's return value; ``grads`` is keyed like
        :meth:`~course_pkg.layers.ModuleBase.state_dict`.

        Raises:
            RuntimeError: if :meth:`forward` has not been called.
            TypeError: if a gradient is not an array of the module's back-end and dtype.
            ValueError: if there are no or too many gradients, or one's shape differs from the state's.
        """
        cache, batched = V.check_called(self._cache)
        h_prev = cache[1]
        expected = tuple(h_prev.shape) if batched else tuple(h_prev.shape[1:])
        if not 1 <= len(grad_state) <= self.n_states:
            raise ValueError(f"Expected 1 to {self.n_states} state gradient(s), got {len(grad_state)}")
        grad_state = tuple(grad_state) + (None,) * (self.n_states - len(grad_state))
        for k, g in enumerate(grad_state):
            if g is not None:
                self._check_array(f"grad_state[{k}]", g)
                if tuple(g.shape) != expected:
                    raise ValueError(f"Expected a state gradient of shape {expected}, got {tuple(g.shape)}")
        grad_state = tuple(B.zeros_like(h_prev, h_prev.shape) if g is None else g if batched else g[None]
                           for g in grad_state)
        dx, dstate, grads = scan.step_backward(self.core_backward, grad_state, cache)
        if not batched:
            dx, dstate = dx[0], tuple(d[0] for d in dstate)
        self.grads = grads
        return dx, (dstate[0] if len(dstate) == 1 else dstate), grads


FROM_TORCH_KWARGS = ("backend", "device", "dtype", "seed", "explicit_backward")
FROM_KERAS_KWARGS = FROM_TORCH_KWARGS + ("batch_first", "nonlinearity")
KERAS_NAMES = ("kernel", "recurrent_kernel", "bias")


def _check_kwargs(kwargs, allowed):
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(f"Expected keyword arguments among {list(allowed)}, got {unknown}")


def _reorder_gates(array, order_from, order_to):
    """``array`` whose last axis holds gate blocks in ``order_from`` (``"rzn"``), in ``order_to``."""
    blocks = np.split(array, len(order_from), axis=-1)
    return np.concatenate([blocks[order_from.index(g)] for g in order_to], axis=-1)


def _check_keras_weights(weights, G, two_biases):
    """``[kernel (D, G*H), recurrent_kernel (H, G*H), bias]`` checked: ``-> (arrays, D, H)``.

    ``bias`` is ``(G*H,)``, or ``(2, G*H)`` with ``two_biases`` (Keras' GRU, ``reset_after=True``).
    """
    V.check_type("weights", weights, (list, tuple),
                 "a list [kernel, recurrent_kernel, bias] (Keras' layer.get_weights())")
    if len(weights) != 3:
        hint = " (a Bidirectional layer: convert weights[:3] and weights[3:] apart)" if len(weights) == 6 else ""
        raise ValueError(f"Expected weights of one Keras layer, [kernel, recurrent_kernel, bias] "
                         f"(3 arrays, use_bias=True), got {len(weights)} arrays{hint}")
    for name, w in zip(KERAS_NAMES, weights):
        V.check_type(name, w, np.ndarray, "a numpy.ndarray (from layer.get_weights())")
        if w.dtype.kind != "f":
            raise TypeError(f"Expected {name} of a float dtype, got {w.dtype}")
    kernel, recurrent_kernel, bias = weights
    if kernel.ndim != 2 or kernel.shape[1] % G or not kernel.shape[1]:
        raise ValueError(f"Expected kernel of shape (input_size, {G} * hidden_size), got {kernel.shape}")
    D, H = kernel.shape[0], kernel.shape[1] // G
    V.check_shape("recurrent_kernel", recurrent_kernel, (H, G * H))
    if two_biases and bias.shape == (G * H,):
        raise ValueError(f"Expected bias of shape (2, {G * H}) (Keras' GRU with reset_after=True), got "
                         f"({G * H},): reset_after=False, the 2014 paper's reset before the product, "
                         "is not torch's GRU")
    V.check_shape("bias", bias, (2, G * H) if two_biases else (G * H,))
    return (kernel, recurrent_kernel, bias), D, H


class RNNBase(ModuleBase):
    """The multi-layer, bidirectional, batch-first driver behind ``RNN``, ``LSTM`` and ``GRU``.

    Subclasses set ``gates``, ``core_forward``, ``core_backward``, ``_core_opts`` (options
    for the core, e.g. the nonlinearity), ``_torch_nn_kwargs``, and for :meth:`from_keras`
    ``gate_order`` (torch's gate blocks, ``"ifgo"``) and ``keras_gate_order`` (the same
    gates, in torch's letters, in the order Keras stacks them).
    """

    gate_order = keras_gate_order = None

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, explicit_backward=True, **kwargs):
        self.explicit_backward = V.check_bool("explicit_backward", explicit_backward)
        self.input_size = V.check_int("input_size", input_size, low=1)
        self.hidden_size = V.check_int("hidden_size", hidden_size, low=1)
        self.num_layers = V.check_int("num_layers", num_layers, low=1)
        self.dropout = V.check_number("dropout", dropout, low=0, high=1)
        self.bias, self.batch_first = V.check_bool("bias", bias), V.check_bool("batch_first", batch_first)
        self.bidirectional = V.check_bool("bidirectional", bidirectional)
        if self.dropout > 0 and self.num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero "
                          f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", UserWarning,
                          stacklevel=2 if type(self).__init__ is RNNBase.__init__ else 3)
        self.num_directions = 2 if self.bidirectional else 1
        super().__init__(**kwargs)
        self._init_uniform(self._param_shapes(), 1.0 / math.sqrt(self.hidden_size))

    # -- parameters -------------------------------------------------------------------------
    def _suffix(self, layer, direction):
        return f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def _param_shapes(self):
        G, H = self.gates, self.hidden_size
        shapes = []
        for layer in range(self.num_layers):
            D = self.input_size if layer == 0 else H * self.num_directions
            for direction in range(self.num_directions):
                sfx = self._suffix(layer, direction)
                shapes += [(f"weight_ih{sfx}", (G * H, D)), (f"weight_hh{sfx}", (G * H, H))]
                if self.bias:
                    shapes += [(f"bias_ih{sfx}", (G * H,)), (f"bias_hh{sfx}", (G * H,))]
        return shapes

    def _cell_params(self, layer, direction):
        """The parameters of one layer and direction, under cell names (``weight_ih`` ...)."""
        sfx = self._suffix(layer, direction)
        return {name[: -len(sfx)]: value for name, value in self._params.items() if name.endswith(sfx)
                and name[: -len(sfx)] in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}

    def _core_opts(self):
        return {}

    def _torch_nn_kwargs(self):
        return {}

    def __repr__(self):
        extra = "".join(f", {k}={v!r}" for k, v in [
            ("num_layers", self.num_layers), ("bias", self.bias), ("batch_first", self.batch_first),
            ("dropout", self.dropout), ("bidirectional", self.bidirectional)]
            if v != {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                     "bidirectional": False}[k])
        extra += "".join(f", {k}={v!r}" for k, v in self._torch_nn_kwargs().items() if v != "tanh")
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{extra}, backend={self.backend!r})"

    # -- torch.nn interchange --------------------------------------------------------------
    def _config(self):
        return dict(input_size=self.input_size, hidden_size=self.hidden_size, num_layers=self.num_layers,
                    bias=self.bias, batch_first=self.batch_first, dropout=self.dropout,
                    bidirectional=self.bidirectional, **self._torch_nn_kwargs())

    def to_torch_nn(self):
        """A ``torch.nn`` module of the same class, configuration and weights."""
        torch = B.torch_module()
        module = getattr(torch.nn, type(self).__name__)(**self._config(), dtype=getattr(torch, self.dtype))
        module.load_state_dict({k: torch.as_tensor(B.to_numpy(v)) for k, v in self._params.items()})
        return module.train(self.training)

    @classmethod
    def from_torch_nn(cls, module, **kwargs):
        """Build this class from a ``torch.nn`` module, copying configuration and weights.

        ``kwargs`` (``backend``, ``device``, ``dtype``, ``seed``, ``explicit_backward``) go to
        the constructor; the dtype is the module's unless given.

        Raises:
            TypeError: if ``module`` is not a ``torch.nn`` module of this class's name (an
                ``LSTM`` builds from a ``torch.nn.LSTM`` only), or on another keyword argument.
            ValueError: if the module has projections (``proj_size > 0``).
        """
        V.check_type("module", module, getattr(B.torch_module().nn, cls.__name__), f"a torch.nn.{cls.__name__}")
        _check_kwargs(kwargs, FROM_TORCH_KWARGS)
        config = {k: getattr(module, k) for k in ("input_size", "hidden_size", "num_layers", "bias",
                                                  "batch_first", "dropout", "bidirectional")}
        if hasattr(module, "nonlinearity"):
            config["nonlinearity"] = module.nonlinearity
        if getattr(module, "proj_size", 0):
            raise ValueError(f"Expected a module with proj_size=0 (projections are not supported), "
                             f"got proj_size={module.proj_size}")
        kwargs.setdefault("dtype", str(next(module.parameters()).dtype))
        ours = cls(**config, **kwargs)
        ours.load_state_dict(module.state_dict())
        return ours.train(module.training)

    # -- Keras interchange ------------------------------------------------------------------
    @classmethod
    def _keras_two_biases(cls):
        """Keras keeps ``b_hh`` apart exactly where torch cannot fold it into ``b_ih``: the GRU."""
        return not cls.core_forward.fold_bias_hh

    @classmethod
    def from_keras(cls, weights, **kwargs):
        r"""Build a one-layer, one-direction model from a Keras layer's ``get_weights()``.

        Keras' ``SimpleRNN``, ``LSTM`` and ``GRU`` (``use_bias=True``, default activations;
        the GRU with ``reset_after=True``, its default) compute this class's recurrence
        with the weights stored transposed, gate blocks as columns:

        .. math::
            W_{ih} = \mathtt{kernel}^\top, \quad W_{hh} = \mathtt{recurrent\_kernel}^\top, \quad
            \mathbf{b}_{ih} = \mathtt{bias}, \quad \mathbf{b}_{hh} = \mathbf{0},

        with the gate blocks (rows) then put in torch's order: no change for the RNN and the
        LSTM (Keras' :math:`i, f, c, o` is torch's :math:`i, f, g, o`); Keras' :math:`z, r, h`
        become torch's :math:`r, z, n` for the GRU. torch has two biases where Keras has one,
        but only their sum enters the RNN's and the LSTM's step, so ``bias_hh`` is zero
        (:meth:`to_keras_weights` gives the sum back). The GRU keeps two in both libraries:
        Keras' ``bias`` is :math:`(2, 3H)`, :math:`\mathbf{b}_{ih} = \mathtt{bias}[0]` and
        :math:`\mathbf{b}_{hh} = \mathtt{bias}[1]`.

        Args:
            weights: ``layer.get_weights()`` of one Keras layer of this family:
                ``[kernel (D, G*H), recurrent_kernel (H, G*H), bias]``, NumPy arrays, with
                ``bias`` ``(G*H,)`` (the GRU: ``(2, 3H)``).
            **kwargs: ``batch_first`` (default ``True``: Keras' ``(N, T, D)`` layout),
                ``nonlinearity`` (the RNN: ``"relu"`` for ``activation="relu"``), and
                ``backend``, ``device``, ``dtype`` (default: the kernel's), ``seed``,
                ``explicit_backward`` as for the constructor.

        Returns:
            A model with ``input_size = D``, ``hidden_size = H``, one layer and one direction,
            holding copies of the weights.

        Raises:
            TypeError: if ``weights`` is not a list or tuple of NumPy float arrays, or on a
                keyword argument not listed above.
            ValueError: if ``weights`` does not hold three arrays (a stacked or
                ``Bidirectional`` layer, ``use_bias=False``), a shape disagrees, or a GRU's
                bias is ``(3H,)`` (``reset_after=False``, which is not torch's GRU).
        """
        _check_kwargs(kwargs, FROM_KERAS_KWARGS)
        two = cls._keras_two_biases()
        (kernel, recurrent_kernel, bias), D, H = _check_keras_weights(weights, cls.gates, two)
        to_torch = functools.partial(_reorder_gates, order_from=cls.keras_gate_order, order_to=cls.gate_order)
        bias = to_torch(bias)                                # (G*H,) or (2, G*H)
        params = {"weight_ih_l0": to_torch(kernel).T,        # (G*H, D)
                  "weight_hh_l0": to_torch(recurrent_kernel).T,   # (G*H, H)
                  "bias_ih_l0": bias[0] if two else bias,
                  "bias_hh_l0": bias[1] if two else np.zeros_like(bias)}
        kwargs.setdefault("dtype", str(kernel.dtype))
        kwargs.setdefault("batch_first", True)
        ours = cls(D, H, **kwargs)
        ours.load_state_dict(params)
        return ours

    def to_keras_weights(self):
        r"""The weights as Keras' ``layer.set_weights`` takes them: the inverse of :meth:`from_keras`.

        .. math::
            \mathtt{kernel} = W_{ih}^\top, \quad \mathtt{recurrent\_kernel} = W_{hh}^\top, \quad
            \mathtt{bias} = \mathbf{b}_{ih} + \mathbf{b}_{hh},

        with the gate blocks (columns) in Keras' order (see :meth:`from_keras`); the GRU's
        ``bias`` is the two rows :math:`[\mathbf{b}_{ih}; \mathbf{b}_{hh}]`, shape :math:`(2, 3H)`.

        Returns:
            ``[kernel (D, G*H), recurrent_kernel (H, G*H), bias]``, NumPy arrays of the
            model's dtype, for a Keras ``SimpleRNN``/``LSTM``/``GRU`` of ``H`` units.

        Raises:
            ValueError: unless the model is one layer, one direction, with biases (one
                Keras layer).
        """
        if self.num_layers != 1 or self.bidirectional or not self.bias:
            raise ValueError(f"Expected one layer, one direction and bias=True (one Keras layer), got "
                             f"num_layers={self.num_layers}, bidirectional={self.bidirectional}, "
                             f"bias={self.bias}")
        p = {k: B.to_numpy(v) for k, v in self._cell_params(0, 0).items()}
        to_keras = functools.partial(_reorder_gates, order_from=self.gate_order, order_to=self.keras_gate_order)
        b_ih, b_hh = p["bias_ih"], p["bias_hh"]
        bias = np.stack([b_ih, b_hh]) if self._keras_two_biases() else b_ih + b_hh
        return [to_keras(p["weight_ih"].T), to_keras(p["weight_hh"].T), to_keras(bias)]

    # -- forward ------------------------------------------------------------------------------
    def _check_input(self, input):
        self._check_array("input", input)
        if input.ndim not in (2, 3):
            raise ValueError(f"Expected input with 2 (unbatched) or 3 dimensions, got {input.ndim} "
                             f"(shape {tuple(input.shape)})")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"Expected input.shape[-1] == input_size = {self.input_size}, "
                             f"got {input.shape[-1]}")
        if input.shape[1 if input.ndim == 3 and self.batch_first else 0] == 0:
            raise ValueError(f"Expected sequence length to be larger than 0 in {type(self).__name__}, "
                             f"got input of shape {tuple(input.shape)}")
        if input.ndim == 2:
            return input[None], False                    # (1, T, D)
        return (input if self.batch_first else input.transpose(1, 0, 2) if B.namespace(input) is np
                else input.transpose(0, 1)), True        # (N, T, D)

    def _initial_state(self, hx, N, batched):
        LD, H = self.num_layers * self.num_directions, self.hidden_size
        if hx is None:
            zero = B.zeros_like(self._params["weight_hh_l0"], (LD, N, H))
            return (zero,) * self.n_states
        hx = self._state_tuple(hx)
        shape = (LD, N, H) if batched else (LD, H)
        for h in hx:
            self._check_array("hx", h)
            if tuple(h.shape) != shape:
                raise ValueError(f"Expected hidden size {shape}, got {tuple(h.shape)}")
        return hx if batched else tuple(h[:, None] for h in hx)

    def forward(self, input, hx=None, lengths=None):
        """Run every layer and direction; see the class docstring for shapes.

        ``lengths`` (an extension of torch.nn's signature): the valid length of each
        sequence of a padded batch, shape ``(N,)``. Padded steps output zeros and leave
        the state unchanged, exactly as ``pack_padded_sequence(..., enforce_sorted=False)``
        followed by ``pad_packed_sequence`` in torch.nn; ``h_n`` holds each sequence's
        state at its own last valid step.

        An empty batch (``N = 0``) gives empty results, as in torch.nn.

        Raises:
            TypeError: if ``input`` or ``hx`` is not an array of the module's back-end and
                dtype, or the LSTM's ``hx`` is not a pair.
            ValueError: if ``input`` has a wrong rank or feature size or no time steps
                (``T = 0``), ``hx`` a wrong shape or device, ``lengths`` is not ``N``
                integers in ``[1, T]``, or ``lengths`` comes with an unbatched input.
        """
        x, batched = self._check_input(input)           # (N, T, D)
        N, T, _ = x.shape
        state0 = self._initial_state(hx, N, batched)     # n_states x (L*dirs, N, H)
        mask = None if lengths is None else self._length_mask(lengths, N, T, batched)
        caches, masks, finals = [], [], []
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for direction in range(self.num_directions):
                i = layer * self.num_directions + direction
                out, state_T, cache = self._scan(layer_in, tuple(s[i] for s in state0),
                                                 self._cell_params(layer, direction), direction == 1, mask)
                outs.append(out)                         # (N, T, H)
                finals.append(state_T)
                caches.append(cache)
            layer_in = B.concat(outs, 2) if len(outs) > 1 else outs[0]   # (N, T, dirs*H)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                keep = self._dropout_mask(layer_in)
                masks.append(keep)
                layer_in = layer_in * keep
        h_n = tuple(B.stack([f[k] for f in finals], 0) for k in range(self.n_states))  # (L*dirs, N, H)
        self._cache = (caches, masks, batched, tuple(layer_in.shape))
        return self._to_layout(layer_in, batched), self._pack_state(h_n, batched)

    def _scan(self, x, state0, params, reverse, mask):
        """One layer and direction: :func:`~course_pkg.scan.scan_forward`, or on the torch
        back-end, when autograd is recording and ``explicit_backward`` is set, the same scan
        as one autograd node whose backward is :func:`~course_pkg.scan.scan_backward`."""
        if self.backend == "torch" and self.explicit_backward and B.torch_module().is_grad_enabled():
            return scan.scan_autograd(self.core_forward, self.core_backward, x, state0, params,
                                      reverse=reverse, mask=mask, **self._core_opts())
        return scan.scan_forward(self.core_forward, x, state0, params, reverse=reverse, mask=mask,
                                 **self._core_opts())

    def _length_mask(self, lengths, N, T, batched):
        if not batched:
            raise ValueError("Expected batched input with lengths, got unbatched input")
        return B.to_backend(length_mask(lengths, N, T), self.backend, self.dtype, self.device)

    def _dropout_mask(self, like):
        keep = self.rng.random(tuple(like.shape)) >= self.dropout
        mask = keep / (1.0 - self.dropout) if self.dropout < 1 else np.zeros(keep.shape)
        return B.to_backend(mask, self.backend, self.dtype, self.device)

    def _to_layout(self, out, batched):
        """Batch-first ``(N, T, F)`` to the caller's layout (and back: the map is its own inverse)."""
        if not batched:
            return out[0]
        if self.batch_first:
            return out
        return out.transpose(1, 0, 2) if B.namespace(out) is np else out.transpose(0, 1)

    def _pack_state(self, states, batched):
        states = states if batched else tuple(s[:, 0] for s in states)
        return states[0] if self.n_states == 1 else states

    # -- backward -----------------------------------------------------------------------------
    def backward(self, grad_output, *grad_state):
        """Backpropagation through time for the last :meth:`forward`.

        Args:
            grad_output: gradient w.r.t. ``output``, shaped like ``output``.
            grad_state: gradient w.r.t. ``h_n`` (and ``c_n`` for the LSTM), shaped like
                it, or ``None``/omitted for zero.

        Returns:
            ``(grad_input, grad_hx, grads)``: ``grad_input`` shaped like ``input``,
            ``grad_hx`` shaped like ``hx`` (a tuple ``(dh_0, dc_0)`` for the LSTM), and
            ``grads`` keyed like :meth:`~course_pkg.layers.ModuleBase.state_dict`. ``grads`` is also kept in ``self.grads``.

        Raises:
            RuntimeError: if :meth:`forward` has not been called.
            TypeError: if a gradient is not an array of the module's back-end and dtype.
            ValueError: if a gradient's shape differs from what it is the gradient of.
        """
        caches, masks, batched, out_shape = V.check_called(self._cache)
        expected = self._to_layout(np.empty(out_shape, dtype=bool), batched).shape
        self._check_grad("grad_output", grad_output, expected)
        dstates = self._grad_states(grad_state, batched, out_shape[0])
        d_layer = self._to_layout(grad_output, batched) if batched else grad_output[None]  # (N, T, dirs*H)
        grads, dstate0, H = {}, [None] * len(caches), self.hidden_size
        for layer in range(self.num_layers - 1, -1, -1):
            if layer < len(masks):
                d_layer = d_layer * masks[layer]
            d_in = None
            for direction in range(self.num_directions):
                i = layer * self.num_directions + direction
                dx, dstate0[i], g = scan.scan_backward(
                    self.core_backward, d_layer[:, :, direction * H:(direction + 1) * H],
                    tuple(None if d is None else d[i] for d in dstates), caches[i])
                d_in = dx if d_in is None else d_in + dx
                grads.update({k + self._suffix(layer, direction): v for k, v in g.items()})
            d_layer = d_in
        grads = OrderedDict((k, grads[k]) for k in self._params)
        grad_hx = tuple(B.stack([d[k] for d in dstate0], 0) for k in range(self.n_states))
        self.grads = grads
        return self._to_layout(d_layer, batched), self._pack_state(grad_hx, batched), grads

    def _grad_states(self, grad_state, batched, N):
        if len(grad_state) > self.n_states:
            raise ValueError(f"Expected at most {self.n_states} state gradient(s), got {len(grad_state)}")
        LD, H = self.num_layers * self.num_directions, self.hidden_size
        shape = (LD, N, H) if batched else (LD, H)
        out = []
        for k in range(self.n_states):
            g = grad_state[k] if k < len(grad_state) else None
            if g is not None:
                self._check_array(f"grad_{'hc'[k]}_n", g)
                if tuple(g.shape) != shape:
                    raise ValueError(f"Expected a gradient of {'hc'[k]}_n of shape {shape}, got {tuple(g.shape)}")
            out.append(None if g is None else (g if batched else g[:, None]))
        return out
