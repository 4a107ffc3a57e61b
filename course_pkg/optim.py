r"""NumPy optimisers and gradient clipping that match ``torch.optim`` step for step.

An optimiser holds the *live* parameter arrays of a model, a dict ``name -> array``
such as ``module.state_dict()`` (whose arrays are the module's own) or the module
itself, and updates them **in place**: the module sees every step. Gradients are
passed to :meth:`Optimizer.step` as a dict keyed like the parameters, such as
``module.grads`` after ``module.backward(...)``::

    opt = Adam(rnn, lr=1e-2)
    for x, y in batches:
        out, _ = rnn(x)
        loss, dout = cross_entropy(out, y)
        rnn.backward(dout)
        clip_grad_norm_(rnn.grads, max_norm=1.0)
        opt.step(rnn.grads)

Each backward returns fresh gradients, so there is nothing to zero between steps
(:meth:`Optimizer.zero_grad` exists only to keep torch-shaped loops running).
Hyper-parameters are plain attributes: ``opt.lr = 1e-3`` schedules the learning rate.
``module.load_state_dict`` copies into the existing arrays, so an optimiser keeps working
on the module after a checkpoint is loaded. The
update equations, their order of operations and the argument checks are torch's
(``torch/optim/sgd.py``, ``adam.py``), so float64 trajectories agree to rounding.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from . import _validate as V
from . import backend as B


# -- checks ---------------------------------------------------------------------------------
_TORCH_HINT = "; use torch.optim / torch.nn.utils for torch tensors"


def _check_array(name, x):
    return V.check_array(name, x, "numpy", hint=_TORCH_HINT if B.is_torch(x) else "")


def _grad_list(grads):
    """The gradient arrays of a dict, an iterable or a single array (``None`` entries dropped)."""
    if isinstance(grads, np.ndarray):
        grads = [grads]
    elif isinstance(grads, Mapping):
        grads = list(grads.values())
    elif isinstance(grads, (str, bytes)) or not hasattr(grads, "__iter__"):
        raise TypeError(f"Expected grads to be a dict of arrays, an iterable of arrays or an array, "
                        f"got {type(grads).__name__}")
    return [_check_array("every gradient", g) for g in grads if g is not None]


# -- clipping -------------------------------------------------------------------------------
def _vector_norm(x, p):
    """The ``p``-norm of ``x`` flattened (0 for an empty array)."""
    a = np.abs(x).ravel()
    if p == math.inf:
        return a.max(initial=0)
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt((a * a).sum())
    return (a ** p).sum() ** (1 / p)


def grad_norm(grads, norm_type=2.0):
    """The joint ``p``-norm of all gradients, as if concatenated into one vector.

    Args:
        grads: as for :func:`clip_grad_norm_`; left unchanged.
        norm_type: ``p >= 1`` or ``math.inf`` (also ``"inf"``).

    Returns:
        A NumPy scalar of the gradients' dtype (``0.0`` when there are no gradients).

    Raises:
        TypeError: if a gradient is not a float NumPy array, or ``norm_type`` not a number.
        ValueError: if ``norm_type`` is not ``>= 1``/inf.
    """
    arrays = _grad_list(grads)
    p = math.inf if norm_type == "inf" else V.check_number("norm_type", norm_type, low=1)
    if not arrays:
        return np.float64(0.0)
    norms = np.array([_vector_norm(g, p) for g in arrays], dtype=np.result_type(*arrays))   # (n_arrays,)
    return _vector_norm(norms, p)


def clip_grad_norm_(grads, max_norm, norm_type=2.0, error_if_nonfinite=False):
    r"""Scale gradients in place so that their joint norm is at most ``max_norm``.

    .. math::

        \|g\|_p = \Big\| \big(\|g_1\|_p, \ldots, \|g_n\|_p\big) \Big\|_p, \qquad
        g_i \leftarrow g_i \cdot \min\!\Big(\frac{\text{max\_norm}}{\|g\|_p + 10^{-6}},\, 1\Big)

    which is the norm of all gradients concatenated into one vector. Semantics and
    return value are ``torch.nn.utils.clip_grad_norm_``'s: all-zero gradients stay zero
    (no NaN); a non-finite norm scales by 0 (inf) or NaN, unless ``error_if_nonfinite``.

    Args:
        grads: dict ``name -> array`` (e.g. ``module.grads``), iterable of arrays, or one
            array; float32/float64 NumPy arrays of any shapes, changed in place.
            ``None`` values are skipped.
        max_norm: largest norm allowed, ``>= 0``.
        norm_type: ``p >= 1`` or ``math.inf`` (also ``"inf"``) for the max-norm.
        error_if_nonfinite: raise instead of clipping when the norm is NaN or infinite.

    Returns:
        The total norm *before* clipping, a NumPy scalar of the gradients' dtype
        (``0.0`` when there are no gradients).

    Raises:
        TypeError: if a gradient is not a float NumPy array, ``max_norm`` or ``norm_type``
            not a number, or ``error_if_nonfinite`` not a bool.
        ValueError: if ``max_norm < 0`` or ``norm_type`` is not ``>= 1``/inf.
        RuntimeError: with ``error_if_nonfinite``, if the total norm is NaN or inf (as torch).
    """
    max_norm = V.check_number("max_norm", max_norm, low=0)
    error_if_nonfinite = V.check_bool("error_if_nonfinite", error_if_nonfinite)
    total = grad_norm(grads, norm_type)
    arrays = _grad_list(grads)
    if not arrays:
        return total
    dtype = np.result_type(*arrays)
    if error_if_nonfinite and not np.isfinite(total):
        p = math.inf if norm_type == "inf" else float(norm_type)
        raise RuntimeError(f"Expected a finite total gradient norm of order {p:g}, got {total}; "
                           "pass error_if_nonfinite=False to scale by it anyway")
    coef = np.minimum(dtype.type(max_norm) / (total + dtype.type(1e-6)), dtype.type(1.0))
    for g in arrays:
        g *= coef
    return total


def clip_grad_value_(grads, clip_value):
    r"""Clamp every gradient entry into ``[-clip_value, clip_value]``, in place.

    .. math::

        g \leftarrow \min(\max(g, -c), c)

    Same as ``torch.nn.utils.clip_grad_value_`` (NaN entries stay NaN).

    Args:
        grads: dict ``name -> array``, iterable of arrays, or one array (float NumPy,
            any shapes), changed in place; ``None`` values are skipped.
        clip_value: the bound ``c >= 0``.

    Returns:
        None.

    Raises:
        TypeError: if a gradient is not a float NumPy array, or ``clip_value`` not a number.
        ValueError: if ``clip_value < 0``.
    """
    arrays = _grad_list(grads)
    c = V.check_number("clip_value", clip_value, low=0)
    for g in arrays:
        np.clip(g, -c, c, out=g)


# -- optimisers -----------------------------------------------------------------------------
class Optimizer:
    """Base class: the parameters, their per-parameter state, ``step`` and (de)serialisation.

    Subclasses define ``_hparam_names``, ``_check_hparams(dict) -> dict`` and
    ``_update(param, grad, state)``, which changes ``param`` in place.
    """

    _hparam_names: tuple = ()

    def __init__(self, params, **hparams):
        self._source = params
        named = self._named_params()
        if not named:
            raise ValueError("Expected at least one parameter, got none")
        self._shapes = OrderedDict((k, v.shape) for k, v in named.items())
        self.state = OrderedDict((k, {}) for k in named)
        for key, value in self._check_hparams(hparams).items():
            setattr(self, key, value)

    # -- parameters and gradients -------------------------------------------------------------
    def _named_params(self):
        """The live ``name -> array`` parameters (read afresh from a module every step)."""
        source = self._source
        if hasattr(source, "named_parameters"):
            named = OrderedDict(source.named_parameters())
        elif isinstance(source, Mapping):
            named = OrderedDict(source)
        else:
            raise TypeError(f"Expected params to be a dict name -> array or a module with "
                            f"named_parameters(), got {type(source).__name__}")
        for name, value in named.items():
            _check_array(f"parameter {name!r}", value)
            if not value.flags.writeable:
                raise ValueError(f"Expected parameter {name!r} to be writeable (it is updated in place), "
                                 "got a read-only array")
        return named

    def _check_grads(self, grads, params):
        if not isinstance(grads, Mapping):
            raise TypeError(f"Expected grads to be a dict keyed like the parameters, got {type(grads).__name__}")
        missing = [k for k in params if k not in grads]
        unexpected = [k for k in grads if k not in params]
        if missing or unexpected:
            raise ValueError(f"Expected gradients for {list(self._shapes)}, got missing {missing} "
                             f"and unexpected {unexpected}")
        for name, p in params.items():
            g = grads[name]
            if g is None:
                continue
            _check_array(f"gradient {name!r}", g)
            if g.shape != p.shape:
                raise ValueError(f"Expected gradient {name!r} of shape {self._shapes[name]}, got {g.shape}")
            if g.dtype != p.dtype:
                raise TypeError(f"Expected gradient {name!r} of dtype {p.dtype} (the parameter's), got {g.dtype}")

    def step(self, grads):
        """Update every parameter in place from its gradient.

        Args:
            grads: dict keyed like the parameters (e.g. ``module.grads``), each array of
                its parameter's shape and dtype; a ``None`` value leaves that parameter
                and its state untouched (as torch does for ``p.grad is None``).

        Returns:
            None.

        Raises:
            TypeError: if ``grads`` is not a dict or a gradient is not a float array of
                the parameter's dtype.
            ValueError: if keys are missing or unknown, a shape differs, or a module's
                parameters no longer have the names and shapes they had at construction.
        """
        params = self._named_params()
        shapes = OrderedDict((k, v.shape) for k, v in params.items())
        if shapes != self._shapes:
            raise ValueError(f"Expected the parameters the optimiser was built with, {dict(self._shapes)}, "
                             f"got {dict(shapes)}")
        self._check_grads(grads, params)
        for name, p in params.items():
            if grads[name] is not None:
                self._update(p, grads[name], self.state[name])

    def zero_grad(self):
        """Do nothing: ``backward`` returns fresh gradients, there is no ``.grad`` to zero."""

    # -- hyper-parameters and state -------------------------------------------------------------
    def hparams(self):
        """The hyper-parameters as a dict (``lr``, ``momentum``, ...)."""
        return {k: getattr(self, k) for k in self._hparam_names}

    def state_dict(self):
        """A copy of the optimiser: ``{"state": {name: {key: value}}, "hparams": {...}}``."""
        state = {name: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for name, s in self.state.items()}
        return {"state": state, "hparams": self.hparams()}

    def load_state_dict(self, state_dict):
        """Restore a :meth:`state_dict` (copied, so the source is left alone).

        Raises:
            TypeError: if ``state_dict``, its ``"state"`` or ``"hparams"`` or a parameter's
                state is not a dict, or a hyper-parameter is of the wrong type.
            ValueError: if ``state_dict`` lacks the keys ``"state"`` and ``"hparams"``, names
                parameters this optimiser does not have, holds an array of another shape
                than its parameter, or has a missing, unknown or invalid hyper-parameter.
        """
        V.check_type("state_dict", state_dict, Mapping, "a dict with keys 'hparams' and 'state'")
        if set(state_dict) != {"state", "hparams"}:
            raise ValueError(f"Expected a dict with keys ['hparams', 'state'], got {sorted(state_dict)}")
        state = V.check_type("state_dict['state']", state_dict["state"], Mapping, "a dict")
        hparams = dict(V.check_type("state_dict['hparams']", state_dict["hparams"], Mapping, "a dict"))
        if set(hparams) != set(self._hparam_names):
            raise ValueError(f"Expected hparams {sorted(self._hparam_names)}, got {sorted(hparams)}")
        for name, entries in state.items():
            V.check_type(f"state_dict['state'][{name!r}]", entries, Mapping, "a dict")
        unexpected = [k for k in state if k not in self._shapes]
        if unexpected:
            raise ValueError(f"Expected state for parameters among {list(self._shapes)}, got {unexpected}")
        for name, entries in state.items():
            for key, value in entries.items():
                if isinstance(value, np.ndarray) and value.shape != self._shapes[name]:
                    raise ValueError(f"Expected state {name!r}/{key!r} of shape {self._shapes[name]}, "
                                     f"got {value.shape}")
        for key, value in self._check_hparams(hparams).items():
            setattr(self, key, value)
        self.state = OrderedDict((k, {}) for k in self._shapes)
        for name, entries in state.items():
            self.state[name] = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in entries.items()}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hparams().items())
        return f"{type(self).__name__}({len(self._shapes)} parameters, {args})"


class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD).

    With :math:`g_t` the gradient (negated if ``maximize``):

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        b_t &= \begin{cases} g_t & t = 1 \\ \mu\, b_{t-1} + (1 - \tau)\, g_t & t > 1 \end{cases} \\
        \theta_t &= \theta_{t-1} - \gamma \cdot \begin{cases} g_t + \mu\, b_t & \text{nesterov} \\
                                                               b_t & \text{otherwise} \end{cases}

    (:math:`\lambda` = ``weight_decay``, :math:`\mu` = ``momentum``, :math:`\tau` =
    ``dampening``, :math:`\gamma` = ``lr``; without momentum :math:`\theta_t = \theta_{t-1} - \gamma g_t`).

    Args:
        params: dict ``name -> float array`` of live parameters (e.g. ``module.state_dict()``)
            or a module with ``named_parameters()``; updated in place.
        lr: learning rate ``>= 0``.
        momentum: ``>= 0``.
        dampening: dampening of the momentum.
        weight_decay: L2 penalty ``>= 0``.
        nesterov: Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: ascend instead of descend.

    Raises:
        TypeError: if ``params`` is not a dict of float NumPy arrays or a module of them, a
            hyper-parameter is not a number, or ``nesterov``/``maximize`` not a bool.
        ValueError: on a negative ``lr``/``momentum``/``weight_decay``, Nesterov without
            momentum or with dampening, or no parameters.
    """

    _hparam_names = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 maximize=False):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)

    @staticmethod
    def _check_hparams(h):
        out = {"lr": V.check_number("lr", h["lr"], low=0),
               "momentum": V.check_number("momentum", h["momentum"], low=0),
               "dampening": V.check_number("dampening", h["dampening"]),
               "weight_decay": V.check_number("weight_decay", h["weight_decay"], low=0),
               "nesterov": V.check_bool("nesterov", h["nesterov"]),
               "maximize": V.check_bool("maximize", h["maximize"])}
        if out["nesterov"] and (out["momentum"] <= 0 or out["dampening"] != 0):
            raise ValueError(f"Expected momentum > 0 and dampening == 0 for nesterov=True, "
                             f"got momentum={out['momentum']:g}, dampening={out['dampening']:g}")
        return out

    def _update(self, p, grad, state):
        d_p = -grad if self.maximize else grad
        if self.weight_decay != 0:
            d_p = d_p + self.weight_decay * p
        if self.momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = d_p.copy()
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * d_p
            d_p = d_p + self.momentum * buf if self.nesterov else buf
        p += -self.lr * d_p


def _lerp_(start, end, weight):
    """``start += weight * (end - start)`` in place, rounded as torch's ``lerp_``."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


class Adam(Optimizer):
    r"""Adam, with optional AMSGrad and L2 weight decay (torch.optim.Adam).

    With :math:`g_t` the gradient (negated if ``maximize``), :math:`g_t \leftarrow g_t + \lambda\theta_{t-1}`:

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ with AMSGrad, else } v_t \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\,
                    \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    Args:
        params: dict ``name -> float array`` of live parameters (e.g. ``module.state_dict()``)
            or a module with ``named_parameters()``; updated in place.
        lr: learning rate ``>= 0``.
        betas: ``(beta1, beta2)``, each in ``[0, 1)``.
        eps: ``>= 0``, added to the denominator.
        weight_decay: L2 penalty ``>= 0`` (added to the gradient; see :class:`AdamW`).
        amsgrad: use the running maximum of :math:`v_t`.
        maximize: ascend instead of descend.

    Raises:
        TypeError: if ``params`` is not a dict of float NumPy arrays or a module of them, a
            hyper-parameter is not a number, or ``amsgrad``/``maximize`` not a bool.
        ValueError: on a negative ``lr``/``eps``/``weight_decay``, a beta outside ``[0, 1)``,
            or no parameters.
    """

    _hparam_names = ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize")
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)

    @staticmethod
    def _check_hparams(h):
        betas = h["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Expected betas to be a pair (beta1, beta2), got {betas!r}")
        betas = tuple(V.check_number(f"betas[{i}]", b, 0, 1, high_open=True) for i, b in enumerate(betas))
        return {"lr": V.check_number("lr", h["lr"], low=0), "betas": betas,
                "eps": V.check_number("eps", h["eps"], low=0),
                "weight_decay": V.check_number("weight_decay", h["weight_decay"], low=0),
                "amsgrad": V.check_bool("amsgrad", h["amsgrad"]),
                "maximize": V.check_bool("maximize", h["maximize"])}

    def _update(self, p, grad, state):
        beta1, beta2 = self.betas
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        g = -grad if self.maximize else grad
        state["step"] += 1
        if self.weight_decay != 0:
            if self._decoupled:
                p *= 1 - self.lr * self.weight_decay
            else:
                g = g + self.weight_decay * p
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(m, g, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        if self.amsgrad:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        step_size = self.lr / (1 - beta1 ** state["step"])
        denom = np.sqrt(v) / (1 - beta2 ** state["step"]) ** 0.5 + self.eps
        p += (-step_size * m) / denom


class AdamW(Adam):
    r"""Adam with decoupled weight decay (torch.optim.AdamW).

    As :class:`Adam`, except that the decay shrinks the parameters directly instead of
    entering the gradient (and so the moments):

    .. math::

        \theta_{t-1} \leftarrow \theta_{t-1}\,(1 - \gamma\lambda), \quad \text{then the Adam step with } \lambda = 0

    Args:
        params, lr, betas, eps, amsgrad, maximize: as :class:`Adam`.
        weight_decay: decoupled decay ``>= 0`` (default ``1e-2``, as torch).

    Raises:
        TypeError, ValueError: as :class:`Adam`.
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
