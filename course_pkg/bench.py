"""Benchmark: course_pkg's RNN, LSTM and GRU against torch.nn, forward plus backward.

Run ``make bench`` or ``python -m course_pkg.bench`` (``--help`` lists the options).
For each model it times one training step's worth of work, a forward pass and the
backward pass of the loss ``(out * g).sum()`` (gradients of every parameter and of
the input), in float32 at N=32, T=100, D=64, H=128:

* ``numpy``: course_pkg's NumPy back-end, ``model(x)`` then ``model.backward(g)``;
* ``torch``: course_pkg's torch back-end (autograd calls the hand-written BPTT);
* ``torch.nn``: the ``torch.nn`` module with the same weights, on the same threads;
* ``torch.nn-ref``: ``torch.nn`` with oneDNN switched off (its plain ATen loop), for context;
* ``gemm``: only the matrix products of the NumPy back-end's forward and backward, at
  the same shapes: a lower bound for ``numpy`` on this BLAS (see :func:`gemm_step`).

Each contender gets ``--repeats`` timed runs, in three blocks that take turns with
the other contenders' blocks; every block starts with a short pause and warm-up runs
(see :func:`time_steps`). The table gives the median in milliseconds and the ratios
to ``torch.nn``. A second table times T = 25 ... 400 to show that the cost is linear
in T (``--plot`` draws it). ``--device cuda`` times the torch back-end against torch.nn (cuDNN) on a
GPU, and exits with a notice where there is none. ``--threads N`` sets torch's and the
BLAS library's threads together so that both sides use the same cores.

No number here is asserted by the tests (timings depend on the machine); the tests
run ``--quick`` and check the tables' structure.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from contextlib import contextmanager, nullcontext

import numpy as np

from . import backend as B
from .gru import GRU
from .lstm import LSTM
from .rnn import RNN

MODELS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}
#: Targets from the performance issue: contender / torch.nn, per model.
TARGETS = {"numpy": {"RNN": 1.2, "LSTM": 1.2, "GRU": 1.0}, "torch": {"RNN": 1.5, "LSTM": 1.5, "GRU": 1.5}}
FULL = dict(N=32, T=100, D=64, H=128, Ts=(25, 50, 100, 200, 400))
QUICK = dict(N=4, T=8, D=8, H=16, Ts=(4, 8))


# -- environment -------------------------------------------------------------------------------
def cpu_name():
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else what :mod:`platform` knows."""
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


def contenders(name, D, H, device, x, g):
    """``{contender: step function}`` for one model; each call runs forward and backward once."""
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

    steps = {"numpy": numpy_step, "torch": torch_step(ours_t), "torch.nn": torch_step(ref)}
    if device == "cpu":
        steps["torch.nn-ref"] = reference_step
    else:
        del steps["numpy"]
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
    """A step function doing only the matrix products of one NumPy forward + backward:
    the hoisted projection, ``T`` products with ``W_hh^T`` and ``T`` with ``W_hh``, and
    the hoisted ``dx``, ``dW_ih``, ``dW_hh``, at the shapes the scan uses. Its time is
    a lower bound for the NumPy back-end on this BLAS (the element-wise work is extra)."""
    rng = np.random.default_rng(seed)
    X, Hs, A, W_ih, W_hh = (rng.standard_normal(shape, dtype=np.float32) for shape in
                            [(T * N, D), (T * N, H), (T * N, G * H), (G * H, D), (G * H, H)])
    W_hhT = np.ascontiguousarray(W_hh.T)
    h, da = Hs[:N], A[:N]

    def step():
        X @ W_ih.T
        for _ in range(T):
            h @ W_hhT
        for _ in range(T):
            da @ W_hh
        A @ W_ih, A.T @ X, A.T @ Hs
    return step


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


# -- the two tables --------------------------------------------------------------------------------
def run_table(sizes, args, sync):
    """Times at the target size: ``[{model, contender: ms, ..., cache_mib}]``."""
    x, g = make_inputs(sizes["N"], sizes["T"], sizes["D"], sizes["H"])
    rows = []
    for name in MODELS:
        steps, ours = contenders(name, sizes["D"], sizes["H"], args.device, x, g)
        if args.device == "cpu":
            steps["gemm"] = gemm_step(sizes["N"], sizes["T"], sizes["D"], sizes["H"], MODELS[name].gates)
        row = {"model": name, **time_steps(steps, args.repeats, args.warmup, sync, pause=args.pause)}
        if args.device == "cpu":
            nbytes = cache_bytes(ours._cache, skip={id(p) for p in ours.parameters()})
            row["cache_mib"] = nbytes / 2 ** 20
            row["floats_per_nth"] = nbytes / (4 * sizes["N"] * sizes["T"] * sizes["H"])
        rows.append(row)
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
            steps[T, name], _ = contenders(name, sizes["D"], sizes["H"], args.device, x, g)
            steps[T, name].pop("torch.nn-ref", None)
    times, order = {}, np.random.default_rng(0)
    for n in split(max(3, args.repeats // 2), rounds):
        for T in order.permutation(sizes["Ts"]).tolist():
            for name in MODELS:
                for who, step in steps[T, name].items():
                    times.setdefault((name, who), {}).setdefault(T, []).extend(
                        time_block(step, n, args.warmup, sync, args.pause))
    return {key: {T: 1e3 * statistics.median(v[T]) for T in sizes["Ts"]} for key, v in times.items()}


#: Column titles of the target-size table, where they differ from the contenders' names.
SHORT = {"torch.nn-ref": "nn-ref"}


def format_table(rows, device):
    """The target-size table as text lines: times in ms, then ratios to torch.nn."""
    cols = [c for c in ("numpy", "gemm", "torch", "torch.nn", "torch.nn-ref") if c in rows[0]]
    ratios = [c for c in ("numpy", "gemm", "torch") if c in cols]
    head = f"{'model':<6}" + "".join(f"{SHORT.get(c, c):>10}" for c in cols)
    head += "".join(f"{SHORT.get(c, c) + '/nn':>10}" + (f"{'target':>8}" if c in TARGETS else "")
                    for c in ratios)
    if device == "cpu":
        head += f"{'cache MiB':>10}{'floats/NTH':>11}"
    lines = [head, "-" * len(head)]
    for row in rows:
        line = f"{row['model']:<6}" + "".join(f"{row[c]:>10.2f}" for c in cols)
        for c in ratios:
            ratio = row[c] / row["torch.nn"]
            if c in TARGETS:
                target = TARGETS[c][row["model"]]
                line += f"{ratio:>9.2f}{'*' if ratio > target else ' '}{'<= ' + format(target, '.1f'):>8}"
            else:
                line += f"{ratio:>9.2f} "
        if device == "cpu":
            line += f"{row['cache_mib']:>10.2f}{row['floats_per_nth']:>11.1f}"
        lines.append(line)
    if device == "cpu":
        lines += ["(times in ms, median; x/nn = x / torch.nn; * = target missed; gemm = the NumPy back-end's",
                  " matrix products alone, a lower bound for it; nn-ref = torch.nn with oneDNN off;",
                  " floats/NTH = size of the NumPy back-end's cache / (N*T*H) float32 values)"]
    else:
        lines.append("(times in ms, median; x/nn = x / torch.nn; * = target missed)")
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


# -- command line ----------------------------------------------------------------------------------
def parse_args(argv=None):
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
    args = p.parse_args(argv)
    if args.pause is None:
        args.pause = 0.0 if args.quick else PAUSE
    if args.repeats < 1 or args.warmup < 0 or args.pause < 0 or (args.threads or 1) < 1:
        p.error("expected --repeats >= 1, --warmup >= 0, --pause >= 0 and --threads >= 1")
    return args


def main(argv=None):
    """Run the benchmark; return the exit status (0, also when ``--device cuda`` finds no GPU)."""
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
        print(f"Forward + backward at N={sizes['N']}, T={sizes['T']}, D={sizes['D']}, H={sizes['H']}")
        with OtherLoad() as load:
            rows = run_table(sizes, args, sync)
        for line in format_table(rows, args.device) + [load_note(load)]:
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
