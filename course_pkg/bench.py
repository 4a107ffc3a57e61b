"""Benchmark: course_pkg's RNN, LSTM and GRU against torch.nn, forward plus backward.

Run ``make bench`` or ``python -m course_pkg.bench`` (``--help`` lists the options).
For each model it times one training step's worth of work, a forward pass and the
backward pass of the loss ``(out * g).sum()`` (gradients of every parameter and of
the input), in float32 at N=32, T=100, D=64, H=128:

* ``numpy``: course_pkg's NumPy back-end, ``model(x)`` then ``model.backward(g)``;
* ``gemm``: only the matrix products of the NumPy back-end's forward and backward, at
  the same shapes: its floor on this BLAS (see :func:`gemm_step`);
* ``naive``: (LSTM only) an LSTM written the usual way in NumPy, with one product of the
  concatenated ``[h, x]`` per step (:func:`naive_lstm_forward`, :func:`naive_lstm_backward`);
* ``torch``: course_pkg's torch back-end (autograd calls the hand-written BPTT);
* ``torch.nn``: the ``torch.nn`` module with the same weights, on the same threads (its
  LSTM is oneDNN's fused kernel on the CPU);
* ``torch.nn-ref``: ``torch.nn`` with oneDNN switched off, the same math unfused.

Each contender gets ``--repeats`` timed runs, in three blocks that take turns with
the other contenders' blocks; every block starts with a short pause and warm-up runs
(see :func:`time_steps`). The first table gives the median in milliseconds, the second
the ratios that the performance targets are set on (:data:`RATIOS`), each with its
target and a ``*`` where it is missed. Then: the GPU targets (measured only with
``--device cuda`` on a machine with a GPU, else printed as not measured), the peak memory
of forward + backward at two lengths (linear in T, see :func:`peak_memory`), and a table
that times T = 25 ... 400 to show that the cost is linear in T (``--plot`` draws it).
``--layouts`` adds the per-step matrix products in several memory layouts. ``--device
cuda`` times the torch back-end against torch.nn (cuDNN) on a GPU, and exits with a
notice where there is none. ``--threads N`` sets torch's and the BLAS library's threads
together so that both sides use the same cores.

No number here is asserted by the tests (timings depend on the machine); the tests
run ``--quick`` and check the tables' structure.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from contextlib import contextmanager, nullcontext

import numpy as np

from . import backend as B
from .gru import GRU
from .lstm import LSTM
from .rnn import RNN

MODELS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}
#: The targets of the performance issue, as ratios of two contenders' times, per model:
#: ``(column, numerator, denominator, {model: target}, sense)``; ``sense`` is ``"<="``
#: for a ratio that must not exceed its target, ``">="`` for a speed-up that must reach it.
RATIOS = [
    ("numpy/nn", "numpy", "torch.nn", {"RNN": 1.0, "LSTM": 1.5, "GRU": 1.0}, "<="),
    ("numpy/ref", "numpy", "torch.nn-ref", {"RNN": 0.8, "LSTM": 0.8, "GRU": 0.8}, "<="),
    ("numpy/gemm", "numpy", "gemm", {"RNN": 1.3, "LSTM": 1.4, "GRU": 1.7}, "<="),
    ("naive/numpy", "naive", "numpy", {"LSTM": 2.0}, ">="),
    ("torch/nn", "torch", "torch.nn", {"RNN": 1.5, "LSTM": 1.5, "GRU": 1.5}, "<="),
]
#: A stricter goal beside a target, ``(column, model) -> value``.
STRETCH = {("numpy/nn", "LSTM"): 1.2}
#: The goal on a GPU, for the torch back-end / torch.nn (cuDNN), at the benchmark size and at ``GPU_LARGE``.
GPU_TARGET = 3.0
GPU_LARGE = dict(N=256, H=512)
FULL = dict(N=32, T=100, D=64, H=128, Ts=(25, 50, 100, 200, 400), mem_Ts=(100, 1000))
QUICK = dict(N=4, T=8, D=8, H=16, Ts=(4, 8), mem_Ts=(8, 80))


# -- environment -------------------------------------------------------------------------------
def cpu_name():
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info():
    """threadpoolctl's view of the thread pools: ``[{prefix, api, version, kernel, threads}, ...]``.

    Returns an empty list if threadpoolctl is not installed.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{"library": i.get("prefix"), "api": i.get("internal_api"), "version": i.get("version"),
             "kernel": i.get("architecture"), "threads": i.get("num_threads")} for i in threadpool_info()]


@contextmanager
def limit_threads(n):
    """Context manager: ``n`` threads for torch and for every BLAS/OpenMP pool (threadpoolctl);
    ``None`` changes nothing. Restores the previous counts on exit."""
    if n is None:
        yield
        return
    torch = B.torch_module()
    before = torch.get_num_threads()
    try:
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(limits=n)
    except ImportError:
        print("note: threadpoolctl is not installed; only torch's threads are set", file=sys.stderr)
        limits = nullcontext()
    torch.set_num_threads(n)
    try:
        with limits:
            yield
    finally:
        torch.set_num_threads(before)


def header(args, sizes):
    """The lines that say what was measured and on what."""
    torch = B.torch_module()
    pools = blas_info()
    lines = [f"course_pkg benchmark: forward + backward of (out * g).sum(), float32, batch_first, "
             f"N={sizes['N']} T={sizes['T']} D={sizes['D']} H={sizes['H']}, median of {args.repeats} "
             f"runs in blocks, each after a {args.pause:g} s pause and {args.warmup} warm-up runs",
             f"machine: {cpu_name()}, {os.cpu_count()} logical CPUs; device: {args.device}",
             f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__} "
             f"(BLAS: {'MKL' if torch.backends.mkl.is_available() else 'not MKL'}; "
             f"oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'})",
             f"threads: torch {torch.get_num_threads()}"
             + "".join(f", {i['library']} ({i['api']}) {i['threads']}" for i in pools)]
    for i in pools:
        if i["api"] in ("openblas", "mkl", "blis"):
            coretype = os.environ.get("OPENBLAS_CORETYPE", "unset")
            lines.append(f"NumPy BLAS: {i['library']} {i['version']}, kernel {i['kernel']}, {i['threads']} "
                         f"thread{'s' if i['threads'] != 1 else ''} (OPENBLAS_CORETYPE={coretype})")
    if not pools:
        lines.append("NumPy BLAS: unknown (install threadpoolctl to see it)")
    if args.device == "cuda":
        tf32 = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
        lines.append(f"GPU: {torch.cuda.get_device_name()}, cuDNN {torch.backends.cudnn.version()}; "
                     f"TF32 allowed in cuDNN {tf32[0]}, in matmul {tf32[1]}")
    return lines


class OtherLoad:
    """Share of the machine's CPU time that *other* processes used while this one ran.

    Timings on a shared machine mean little if something else was running; this reads
    ``/proc/stat`` (Linux) before and after and subtracts this process's own CPU time.
    ``share()`` returns ``None`` where ``/proc/stat`` does not exist.
    """

    def __enter__(self):
        self.start = self._sample()
        return self

    def __exit__(self, *exc):
        self.end = self._sample()

    @staticmethod
    def _sample():
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        busy = (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")   # all but idle, iowait
        own = os.times()
        return busy, own.user + own.system, time.perf_counter()

    def share(self):
        if self.start is None or self.end is None:
            return None
        (b0, o0, t0), (b1, o1, t1) = self.start, self.end
        return max(0.0, (b1 - b0) - (o1 - o0)) / max(1e-9, (t1 - t0) * (os.cpu_count() or 1))


def load_note(load):
    """One line on the other processes' load, with a warning when it was high enough to matter."""
    share = load.share()
    if share is None:
        return "other processes' load: unknown (no /proc/stat)"
    warn = "  WARNING: the machine was busy; timings are unreliable" if share > 0.05 else ""
    return f"other processes used {100 * share:.1f}% of the CPU time during the runs{warn}"


# -- one timed step ------------------------------------------------------------------------------
def make_inputs(N, T, D, H, seed=0):
    """float32 ``x`` ``(N, T, D)`` and the loss weights ``g`` ``(N, T, H)``."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, T, D), dtype=np.float32), rng.standard_normal((N, T, H), dtype=np.float32)


def contenders(name, D, H, device, x, g, naive=True):
    """``{contender: step function}`` for one model; each call runs forward and backward once.

    On the CPU: ``numpy``, ``torch``, ``torch.nn``, ``torch.nn-ref`` and, for the LSTM (if
    ``naive``), ``naive``; on a GPU: ``torch`` and ``torch.nn``. Returns ``(steps, ours)``,
    ``ours`` the NumPy model.
    """
    torch = B.torch_module()
    ours = MODELS[name](D, H, batch_first=True, seed=0)
    ref = ours.to_torch_nn().to(device)
    ours_t = MODELS[name](D, H, batch_first=True, seed=0, backend="torch", device=device)
    xt, gt = torch.from_numpy(x).to(device), torch.from_numpy(g).to(device)

    def numpy_step():
        ours(x)
        ours.backward(g)

    def torch_step(module):
        def step():
            xr = xt.detach().requires_grad_(True)
            for p in module.parameters():
                p.grad = None
            out, _ = module(xr)
            (out * gt).sum().backward()
        return step

    def reference_step():
        torch.backends.mkldnn.enabled = False
        try:
            torch_step(ref)()
        finally:
            torch.backends.mkldnn.enabled = True

    if device != "cpu":
        return {"torch": torch_step(ours_t), "torch.nn": torch_step(ref)}, ours
    steps = {"numpy": numpy_step, "torch": torch_step(ours_t), "torch.nn": torch_step(ref),
             "torch.nn-ref": reference_step}
    if name == "LSTM" and naive:
        W, b = naive_lstm_params(ours.state_dict())

        def naive_step():
            out, cache = naive_lstm_forward(x, W, b)
            naive_lstm_backward(g, cache, W)
        steps["naive"] = naive_step
    return steps, ours


#: Seconds to wait before each block of runs. After a BLAS call OpenBLAS's idle workers
#: spin for about 0.1 s; torch's threads started in that window share the cores with
#: them and run up to twice as slowly (measured on the 2-core course machine).
PAUSE = 0.25


def time_block(step, n, warmup, sync=None, pause=PAUSE):
    """Seconds taken by each of ``n`` calls of ``step()``, after a pause and ``warmup`` calls."""
    time.sleep(pause)
    for _ in range(warmup):
        step()
    times = []
    for _ in range(n):
        if sync:
            sync()
        start = time.perf_counter()
        step()
        if sync:
            sync()
        times.append(time.perf_counter() - start)
    return times


def split(repeats, rounds):
    """``repeats`` runs shared out over at most ``rounds`` blocks: a list of block sizes."""
    rounds = max(1, min(rounds, repeats))
    return [repeats // rounds + (r < repeats % rounds) for r in range(rounds)]


def time_steps(steps, repeats, warmup, sync=None, rounds=3, pause=PAUSE):
    """Median wall time in milliseconds of each ``steps[name]()``: ``{name: ms}``.

    The ``repeats`` timed calls of a contender are split into up to ``rounds`` blocks;
    the contenders take turns block by block, so that a slow spell of the machine hits
    all of them alike, and each block starts with a pause and ``warmup`` untimed calls,
    so that no contender runs while another library's threads are still busy.
    """
    times = {name: [] for name in steps}
    for n in split(repeats, rounds):
        for name, step in steps.items():
            times[name] += time_block(step, n, warmup, sync, pause)
    return {name: 1e3 * statistics.median(t) for name, t in times.items()}


def gemm_step(N, T, D, H, G, seed=0):
    """A step function doing only the matrix products of one NumPy forward + backward, as
    :mod:`course_pkg.scan` calls them: the hoisted projection, ``T`` products with ``W_hh^T``
    into a reused array and ``T`` with ``W_hh``, and the hoisted ``dx``, ``dW_ih``, ``dW_hh``.
    Its time is the NumPy back-end's floor on this BLAS (the element-wise work is extra)."""
    rng = np.random.default_rng(seed)
    X, Hs, A, W_ih, W_hh = (rng.standard_normal(shape, dtype=np.float32) for shape in
                            [(T * N, D), (T * N, H), (T * N, G * H), (G * H, D), (G * H, H)])
    W_hhT = np.ascontiguousarray(W_hh.T)
    h, da = Hs[:N], A[:N]
    hw, dh = np.empty((N, G * H), np.float32), np.empty((N, H), np.float32)

    def step():
        X @ W_ih.T
        for _ in range(T):
            np.matmul(h, W_hhT, out=hw)
        for _ in range(T):
            np.matmul(da, W_hh, out=dh)
        A @ W_ih, A.T @ X, A.T @ Hs
    return step


# -- the naive LSTM: the usual NumPy way, to compare with ----------------------------------------
def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def naive_lstm_params(state):
    """``W = [W_hh | W_ih]`` ``(4H, H + D)`` and ``b = b_ih + b_hh`` from a one-layer LSTM's
    ``state_dict()``, for :func:`naive_lstm_forward` (gate order ``i, f, g, o`` as torch.nn)."""
    W = np.concatenate([state["weight_hh_l0"], state["weight_ih_l0"]], axis=1)
    return W, state["bias_ih_l0"] + state["bias_hh_l0"]


def naive_lstm_forward(x, W, b, h0=None, c0=None):
    """An LSTM over ``x`` ``(N, T, D)`` written the usual way in NumPy: at every step one
    product of the concatenated ``[h, x_t]`` with all four gates' weights, as in the seed
    sketches and the well-known NumPy references. Returns ``(h (N, T, H), cache)``."""
    N, T, D = x.shape
    H = W.shape[0] // 4
    h = np.zeros((N, H), x.dtype) if h0 is None else h0
    c = np.zeros((N, H), x.dtype) if c0 is None else c0
    hs, cache = [], []
    for t in range(T):
        z = np.concatenate([h, x[:, t]], axis=1)                  # (N, H + D)
        a = z @ W.T + b                                           # (N, 4H)
        i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H])
        g, o = np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
        c_prev = c
        c = f * c + i * g
        tanh_c = np.tanh(c)
        h = o * tanh_c
        hs.append(h)
        cache.append((z, i, f, g, o, c_prev, tanh_c))
    return np.stack(hs, axis=1), cache


def naive_lstm_backward(dh_all, cache, W):
    """Backward of :func:`naive_lstm_forward` for ``dL/dh`` ``(N, T, H)``, step by step, with the
    weight gradient accumulated at every step. Returns ``(dx, (dh0, dc0), dW, db)``."""
    N, T, H = dh_all.shape
    dW, db = np.zeros_like(W), np.zeros(W.shape[0], W.dtype)
    dx = np.empty((N, T, W.shape[1] - H), W.dtype)
    dh_next, dc_next = np.zeros((N, H), W.dtype), np.zeros((N, H), W.dtype)
    for t in reversed(range(T)):
        z, i, f, g, o, c_prev, tanh_c = cache[t]
        dh = dh_all[:, t] + dh_next
        do = dh * tanh_c
        dc = dc_next + dh * o * (1 - tanh_c ** 2)
        di, df, dg = dc * g, dc * c_prev, dc * i
        da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)
        dW += da.T @ z
        db += da.sum(axis=0)
        dz = da @ W
        dh_next, dx[:, t] = dz[:, :H], dz[:, H:]
        dc_next = dc * f
    return dx, (dh_next, dc_next), dW, db


def cache_bytes(obj, skip):
    """Bytes held by the NumPy arrays in ``obj`` (nested tuples, lists, dicts), each buffer
    counted once; arrays whose buffer is in ``skip`` (the parameters) are left out."""
    seen, total, stack = set(skip), 0, [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            base = item
            while isinstance(base.base, np.ndarray):
                base = base.base
            if id(base) not in seen:
                seen.add(id(base))
                total += base.nbytes
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return total


# -- peak memory ----------------------------------------------------------------------------------
def _numpy_peak(name, N, T, D, H):
    """Peak bytes that NumPy allocates (tracemalloc) during one forward + backward, above the
    start, and the bytes the cache holds after the forward pass."""
    x, g = make_inputs(N, T, D, H)
    model = MODELS[name](D, H, batch_first=True, seed=0)
    model(x)
    cache = cache_bytes(model._cache, skip={id(p) for p in model.parameters()})
    model._cache = None
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        model(x)
        model.backward(g)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    return peak, cache


def _rss_now_and_peak():
    """``(VmRSS, VmHWM)`` of this process in bytes (Linux), else ``None``."""
    try:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return None


def _torch_peak(name, who, N, T, D, H):
    """Peak resident memory above the start during one torch forward + backward (``who``:
    ``torch`` or ``torch.nn``), from the kernel's high-water mark, reset just before."""
    torch = B.torch_module()
    x, g = make_inputs(N, T, D, H)
    ours = MODELS[name](D, H, batch_first=True, seed=0, backend="torch")
    module = ours if who == "torch" else ours.to_torch_nn()
    xt, gt = torch.from_numpy(x), torch.from_numpy(g)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")                                              # VmHWM := VmRSS
    start = _rss_now_and_peak()[0]
    xr = xt.detach().requires_grad_(True)
    out, _ = module(xr)
    (out * gt).sum().backward()
    return _rss_now_and_peak()[1] - start


def _memory_worker(argv):
    """Child process of :func:`peak_memory`: print the peak bytes of one torch forward + backward."""
    name, who = argv[:2]
    N, T, D, H, threads = (int(v) for v in argv[2:7])
    B.torch_module().set_num_threads(threads)
    _torch_peak(name, who, N, 2, D, H)                            # warm-up: torch's lazy set-up is not the model's
    print(_torch_peak(name, who, N, T, D, H))


def peak_memory(sizes, threads=None):
    """Peak memory of one forward + backward: ``{(model, contender): {T: bytes}}`` and the
    NumPy cache ``{model: {T: bytes}}``.

    NumPy: tracemalloc, in this process. torch and torch.nn: the peak resident set above the
    start, measured in a fresh child process for each model and length (after a warm-up at
    T = 2), whose C library maps every block of 4 KiB or more on its own and unmaps it when it
    is freed (``MALLOC_MMAP_THRESHOLD_``), so that the resident set follows the live arrays;
    ``None`` where that cannot be measured (no ``/proc``).
    """
    N, D, H, Ts = sizes["N"], sizes["D"], sizes["H"], sizes["mem_Ts"]
    peaks, caches = {}, {}
    for name in MODELS:
        for T in Ts:
            peak, cache = _numpy_peak(name, N, T, D, H)
            peaks.setdefault((name, "numpy"), {})[T] = peak
            caches.setdefault(name, {})[T] = cache
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="4096", MALLOC_TRIM_THRESHOLD_="0")
    threads = threads or B.torch_module().get_num_threads()
    for name in MODELS:
        for who in ("torch", "torch.nn"):
            for T in Ts:
                value = None
                if _rss_now_and_peak() is not None:
                    cmd = [sys.executable, "-m", "course_pkg.bench", "--memory-worker", name, who,
                           *(str(v) for v in (N, T, D, H, threads))]
                    child = subprocess.run(cmd, env=env, capture_output=True, text=True)
                    if child.returncode == 0 and child.stdout.strip():
                        value = int(child.stdout.strip().splitlines()[-1])
                peaks.setdefault((name, who), {})[T] = value
    return peaks, caches


def format_memory(peaks, caches, sizes):
    """The memory table as text lines: MiB at each length, their ratio and the cost per step."""
    Ts = sizes["mem_Ts"]
    T0, T1 = Ts[0], Ts[-1]
    head = (f"{'model':<6}{'contender':<10}" + "".join(f"{'T=' + str(T):>10}" for T in Ts)
            + f"{'ratio':>8}{'KiB/step':>10}{'cache MiB':>11}{'floats/NTH':>11}")
    lines = [f"Peak memory of forward + backward above the start, MiB (N={sizes['N']}, D={sizes['D']}, "
             f"H={sizes['H']}, float32)", head, "-" * len(head)]
    for (name, who), by_T in peaks.items():
        if any(v is None for v in by_T.values()):
            lines.append(f"{name:<6}{who:<10}" + f"{'not measured (needs Linux /proc)':>{10 * len(Ts)}}")
            continue
        per_step = (by_T[T1] - by_T[T0]) / (T1 - T0) / 1024
        exact = who == "numpy" and by_T[T0] > 0                   # a resident set below 64 KiB is noise
        ratio = f"{by_T[T1] / by_T[T0]:>8.2f}" if exact or by_T[T0] >= 2 ** 16 else f"{'-':>8}"
        line = (f"{name:<6}{who:<10}" + "".join(f"{by_T[T] / 2 ** 20:>10.2f}" for T in Ts)
                + f"{ratio}{per_step:>10.1f}")
        if who == "numpy":
            cache = caches[name][T0]
            line += f"{cache / 2 ** 20:>11.2f}{cache / (4 * sizes['N'] * T0 * sizes['H']):>11.1f}"
        lines.append(line)
    lines += [f"(ratio = T={T1} / T={T0}: {T1 / T0:g} if linear in T, {(T1 / T0) ** 2:g} if quadratic; "
              "numpy: tracemalloc; torch, torch.nn:",
              " peak resident set in a child process; cache = what the NumPy back-end keeps for backward "
              f"at T={T0}, in MiB", " and in float32 values per N*T*H)"]
    return lines


# -- the tables --------------------------------------------------------------------------------------
def run_table(sizes, args, sync, N=None, H=None):
    """Times at the target size: ``[{model, contender: ms, ...}]``."""
    N, H = N or sizes["N"], H or sizes["H"]
    x, g = make_inputs(N, sizes["T"], sizes["D"], H)
    rows = []
    for name in MODELS:
        steps, ours = contenders(name, sizes["D"], H, args.device, x, g)
        if args.device == "cpu":
            steps["gemm"] = gemm_step(N, sizes["T"], sizes["D"], H, MODELS[name].gates)
        rows.append({"model": name, **time_steps(steps, args.repeats, args.warmup, sync, pause=args.pause)})
    return rows


def run_scaling(sizes, args, sync, rounds=3):
    """Times against T: ``{(model, contender): {T: ms}}``.

    Half of ``--repeats`` runs (at least 3) per point, in ``rounds`` rounds that visit
    the lengths in a new random order each time, so that a slow spell of the machine
    does not bend the curve at whichever T was being timed.
    """
    steps = {}
    for T in sizes["Ts"]:
        x, g = make_inputs(sizes["N"], T, sizes["D"], sizes["H"])
        for name in MODELS:
            steps[T, name], _ = contenders(name, sizes["D"], sizes["H"], args.device, x, g, naive=False)
            steps[T, name].pop("torch.nn-ref", None)
    times, order = {}, np.random.default_rng(0)
    for n in split(max(3, args.repeats // 2), rounds):
        for T in order.permutation(sizes["Ts"]).tolist():
            for name in MODELS:
                for who, step in steps[T, name].items():
                    times.setdefault((name, who), {}).setdefault(T, []).extend(
                        time_block(step, n, args.warmup, sync, args.pause))
    return {key: {T: 1e3 * statistics.median(v[T]) for T in sizes["Ts"]} for key, v in times.items()}


#: Column titles of the tables, where they differ from the contenders' names.
SHORT = {"torch.nn-ref": "nn-ref"}
COLUMNS = ("numpy", "gemm", "naive", "torch", "torch.nn", "torch.nn-ref")


def format_times(rows):
    """The times table as text lines (ms); ``-`` where a contender does not apply."""
    cols = [c for c in COLUMNS if any(c in row for row in rows)]
    head = f"{'model':<6}" + "".join(f"{SHORT.get(c, c):>10}" for c in cols)
    lines = [head, "-" * len(head)]
    for row in rows:
        lines.append(f"{row['model']:<6}" + "".join(f"{row[c]:>10.2f}" if c in row else f"{'-':>10}"
                                                    for c in cols))
    return lines


def ratio_cells(row, ratios=RATIOS):
    """``[(column, ratio or None, target or None, missed)]`` for one row of times."""
    cells = []
    for column, num, den, targets, sense in ratios:
        if num not in row or den not in row:
            cells.append((column, None, None, False))
            continue
        value, target = row[num] / row[den], targets.get(row["model"])
        missed = target is not None and (value > target if sense == "<=" else value < target)
        cells.append((column, value, None if target is None else f"{sense} {target:.1f}", missed))
    return cells


def format_ratios(rows, ratios=RATIOS):
    """The ratios table as text lines: each ratio, its target, ``*`` where it is missed."""
    used = [r for r in ratios if any(r[1] in row and r[2] in row for row in rows)]
    head = f"{'model':<6}" + "".join(f"{r[0]:>12}{'target':>8}" for r in used)
    lines = [head, "-" * len(head)]
    stretch = []
    for row in rows:
        line = f"{row['model']:<6}"
        for column, value, target, missed in ratio_cells(row, used):
            if value is None:
                line += f"{'-':>12}{'':>8}"
                continue
            line += f"{value:>11.2f}{'*' if missed else ' '}{target or '':>8}"
            goal = STRETCH.get((column, row["model"]))
            if goal is not None:
                stretch.append(f"stretch goal {row['model']} {column} <= {goal:.1f}: "
                               f"{value:.2f}, {'missed' if value > goal else 'met'}")
        lines.append(line)
    misses = sum(missed for row in rows for *_, missed in ratio_cells(row, used))
    lines += stretch + [f"(* = target missed; {misses} of "
                        f"{sum(t is not None for row in rows for _, _, t, _ in ratio_cells(row, used))} "
                        "targets missed; numpy/gemm = the NumPy back-end / its matrix products alone;",
                        " numpy/ref: torch.nn with oneDNN off; naive/numpy: the speed-up over the naive LSTM)"]
    return lines


def gpu_sizes(sizes):
    """The two ``(N, H)`` of the GPU targets: the benchmark's, and ``GPU_LARGE`` (twice the
    quick size with ``--quick``)."""
    large = (GPU_LARGE["N"], GPU_LARGE["H"]) if sizes is FULL else (2 * sizes["N"], 2 * sizes["H"])
    return [(sizes["N"], sizes["H"]), large]


def format_gpu(rows_by_size=None, sizes=FULL):
    """The GPU targets as text lines: torch back-end / torch.nn (cuDNN) at each size, or
    ``not measured`` for every row when ``rows_by_size`` is ``None`` (no GPU)."""
    head = f"{'model':<6}{'size':<16}{'torch':>10}{'torch.nn':>10}{'torch/nn':>10}{'target':>8}"
    lines = ["GPU (--device cuda): the torch back-end / torch.nn (cuDNN)", head, "-" * len(head)]
    sizes = [f"N={N} H={H}" for N, H in gpu_sizes(sizes)]
    for name in MODELS:
        for k, size in enumerate(sizes):
            row = None if rows_by_size is None else next(r for r in rows_by_size[k] if r["model"] == name)
            if row is None:
                lines.append(f"{name:<6}{size:<16}{'not measured (no CUDA GPU here)':>30}{'<= ' + str(GPU_TARGET):>8}")
                continue
            ratio = row["torch"] / row["torch.nn"]
            lines.append(f"{name:<6}{size:<16}{row['torch']:>10.2f}{row['torch.nn']:>10.2f}{ratio:>9.2f}"
                         f"{'*' if ratio > GPU_TARGET else ' '}{'<= ' + str(GPU_TARGET):>8}")
    lines.append("(ms, median; * = target missed" + ("; rows not measured are never estimated)"
                                                       if rows_by_size is None else ")"))
    return lines


def format_scaling(result, Ts):
    """The T-scaling tables as text lines: milliseconds, then microseconds per time step.

    Cost linear in T shows as a per-step cost that does not grow with T; ``max/min`` is
    the spread of the per-step costs over the lengths (1.00 = exactly proportional to T).
    """
    cells = "".join(f"{'T=' + str(T):>9}" for T in Ts)
    head = f"{'model':<6}{'backend':<10}" + cells
    lines = ["forward + backward, ms (median)", head, "-" * len(head)]
    for (name, who), times in result.items():
        lines.append(f"{name:<6}{who:<10}" + "".join(f"{times[T]:>9.2f}" for T in Ts))
    head += f"{'max/min':>9}"
    lines += ["", "per time step, us (ms / T * 1000)", head, "-" * len(head)]
    for (name, who), times in result.items():
        per_step = [1e3 * times[T] / T for T in Ts]
        lines.append(f"{name:<6}{who:<10}" + "".join(f"{v:>9.1f}" for v in per_step)
                     + f"{max(per_step) / min(per_step):>9.2f}")
    return lines


def plot_scaling(result, Ts, path, title):
    """Write a PNG of time against T, one colour per model and one line style per contender."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"RNN": "#0072B2", "LSTM": "#D55E00", "GRU": "#009E73"}
    styles = {"numpy": ("-", "o"), "torch": ("--", "s"), "torch.nn": (":", "^")}
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    for (name, who), times in result.items():
        line, marker = styles[who]
        ax.plot(Ts, [times[T] for T in Ts], line, marker=marker, color=colours[name], label=f"{name} {who}")
    ax.set(xlabel="sequence length T", ylabel="forward + backward (ms)", title=title,
           xlim=(0, None), ylim=(0, None))
    ax.grid(alpha=0.3)
    ax.legend(ncol=3, fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# -- matrix-product layouts -----------------------------------------------------------------------
def layout_steps(N, T, D, H, G, dtype=np.float32, seed=0):
    """The NumPy back-end's matrix products in several layouts: ``{name: (step, flops)}``.

    The per-step product ``h @ W_hh^T`` ``(N, H) @ (H, G*H)`` (100 of them per call: with
    ``W_hh.T`` read as a view, as a contiguous copy, as a Fortran-ordered copy, and as ``G``
    products of one gate each) and the backward's ``da @ W_hh``; then the four hoisted
    products of one sequence; and a large square product for the BLAS's best.
    """
    rng = np.random.default_rng(seed)

    def draw(*shape):
        return rng.standard_normal(shape).astype(dtype)
    h, da, W = draw(N, H), draw(N, G * H), draw(G * H, H)
    WT, WTf = np.ascontiguousarray(W.T), np.asfortranarray(W.T)
    per_gate = [np.ascontiguousarray(W[k * H:(k + 1) * H].T) for k in range(G)]
    hw, dh, hwg = np.empty((N, G * H), dtype), np.empty((N, H), dtype), np.empty((G, N, H), dtype)
    X, A, Hs, W_ih = draw(T * N, D), draw(T * N, G * H), draw(T * N, H), draw(G * H, D)
    S = draw(1024, 1024)
    step = 100 * 2 * N * H * G * H

    def times100(f):
        def run():
            for _ in range(100):
                f()
        return run
    return {
        "h @ W.T (a view)": (times100(lambda: h @ W.T), step),
        "h @ W^T (contiguous)": (times100(lambda: np.matmul(h, WT, out=hw)), step),
        "h @ W^T (Fortran order)": (times100(lambda: h @ WTf), step),
        "h @ W_g^T, one per gate": (times100(lambda: [np.matmul(h, w, out=hwg[k]) for k, w in enumerate(per_gate)]),
                                    step),
        "da @ W": (times100(lambda: np.matmul(da, W, out=dh)), step),
        "X @ W_ih^T (hoisted)": (lambda: X @ W_ih.T, 2 * T * N * D * G * H),
        "dA @ W_ih (hoisted)": (lambda: A @ W_ih, 2 * T * N * D * G * H),
        "dA^T @ X (hoisted)": (lambda: A.T @ X, 2 * T * N * D * G * H),
        "dA^T @ H (hoisted)": (lambda: A.T @ Hs, 2 * T * N * H * G * H),
        "1024^2 @ 1024^2": (lambda: S @ S, 2 * 1024 ** 3),
    }


def run_layouts(sizes, args):
    """``{(G, dtype, product): GFLOP/s}``, G = 3 (GRU) and 4 (LSTM), float32 and float64."""
    result = {}
    for G in (3, 4):
        for dtype in (np.float32, np.float64):
            steps = layout_steps(sizes["N"], sizes["T"], sizes["D"], sizes["H"], G, dtype)
            times = time_steps({k: f for k, (f, _) in steps.items()}, args.repeats, args.warmup, pause=args.pause)
            for name, ms in times.items():
                result[G, np.dtype(dtype).name, name] = steps[name][1] / (ms * 1e-3) / 1e9
    return result


def format_layouts(result, sizes):
    """The layouts table as text lines (GFLOP/s)."""
    dtypes = list(dict.fromkeys(k[1] for k in result))
    names = list(dict.fromkeys(k[2] for k in result))
    head = f"{'product':<26}" + "".join(f"{'G=' + str(G) + ' ' + d:>14}" for G in (3, 4) for d in dtypes)
    lines = [f"Matrix products, GFLOP/s (N={sizes['N']}, T={sizes['T']}, D={sizes['D']}, H={sizes['H']}; "
             "G=3: GRU, G=4: LSTM)", head, "-" * len(head)]
    for name in names:
        lines.append(f"{name:<26}" + "".join(f"{result[G, d, name]:>14.1f}" for G in (3, 4) for d in dtypes))
    return lines


# -- command line ----------------------------------------------------------------------------------
def parse_args(argv=None):
    """The command line of ``python -m course_pkg.bench`` (``make bench``), parsed: see ``--help``."""
    p = argparse.ArgumentParser(prog="python -m course_pkg.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=None,
                   help="threads for torch and for the BLAS/OpenMP pools (default: as configured)")
    p.add_argument("--repeats", type=int, default=15,
                   help="timed runs per contender (the T-scaling table uses half, at least 3)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs before timing")
    p.add_argument("--pause", type=float, default=None,
                   help=f"seconds of rest before each block of runs (default {PAUSE}; 0 with --quick)")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes (N=4, T=8, D=8, H=16; T in 4, 8) and no pauses: a smoke test")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="cuda: torch back-end vs torch.nn (cuDNN) on a GPU")
    p.add_argument("--plot", metavar="PATH", help="write a PNG of time against T")
    p.add_argument("--no-scaling", action="store_true", help="skip the T-scaling table")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory table")
    p.add_argument("--layouts", action="store_true",
                   help="also time the per-step matrix products in several memory layouts")
    args = p.parse_args(argv)
    if args.pause is None:
        args.pause = 0.0 if args.quick else PAUSE
    if args.repeats < 1 or args.warmup < 0 or args.pause < 0 or (args.threads or 1) < 1:
        p.error("expected --repeats >= 1, --warmup >= 0, --pause >= 0 and --threads >= 1")
    return args


def main(argv=None):
    """Run the benchmark; return the exit status (0, also when ``--device cuda`` finds no GPU)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--memory-worker"]:
        _memory_worker(argv[1:])
        return 0
    args = parse_args(argv)
    torch = B.torch_module()
    if args.device == "cuda" and not torch.cuda.is_available():
        print(f"skip: --device cuda needs a CUDA GPU, and torch {torch.__version__} sees none "
              "(a CPU-only build, or no GPU on this machine). Nothing was timed.")
        return 0
    sizes = QUICK if args.quick else FULL
    sync = torch.cuda.synchronize if args.device == "cuda" else None
    with limit_threads(args.threads):
        for line in header(args, sizes):
            print(line)
        print()
        print(f"Forward + backward at N={sizes['N']}, T={sizes['T']}, D={sizes['D']}, H={sizes['H']}, ms (median)")
        with OtherLoad() as load:
            rows = run_table(sizes, args, sync)
            gpu_rows = None
            if args.device == "cuda":
                N, H = gpu_sizes(sizes)[1]
                gpu_rows = [rows, run_table(sizes, args, sync, N=N, H=H)]
        for line in format_times(rows) + [""]:
            print(line)
        print("Ratios and targets")
        for line in format_ratios(rows) + [load_note(load), ""] + format_gpu(gpu_rows, sizes):
            print(line)
        if not args.no_memory and args.device == "cpu":
            print()
            for line in format_memory(*peak_memory(sizes, args.threads), sizes):
                print(line)
        if args.layouts and args.device == "cpu":
            print()
            with OtherLoad() as load:
                layouts = run_layouts(sizes, args)
            for line in format_layouts(layouts, sizes) + [load_note(load)]:
                print(line)
        if not args.no_scaling:
            with OtherLoad() as load:
                result = run_scaling(sizes, args, sync)
            print()
            print(f"Scaling with T (N={sizes['N']}, D={sizes['D']}, H={sizes['H']}): ", end="")
            for line in format_scaling(result, sizes["Ts"]) + [load_note(load)]:
                print(line)
            if args.plot:
                plot_scaling(result, sizes["Ts"], args.plot,
                             f"fwd+bwd, N={sizes['N']} D={sizes['D']} H={sizes['H']}, float32, {args.device}")
                print(f"plot written to {args.plot}")
        elif args.plot:
            print("note: --plot draws the T-scaling table, which --no-scaling skipped; no plot written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
