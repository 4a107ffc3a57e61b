"""The benchmark runs and prints its tables (quick sizes); no timing is asserted."""
import numpy as np
import pytest
import torch

from course_pkg import bench

MODELS = ["RNN", "LSTM", "GRU"]


def numbers(line):
    return [float(v.rstrip("*%")) for v in line.split()[1:] if v.rstrip("*%").replace(".", "", 1).isdigit()]


def table(lines, title):
    """The rows of the table printed under the line that starts with ``title``."""
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    head, rule = lines[start + 1], lines[start + 2]
    assert set(rule) == {"-"} and len(rule) == len(head)
    rows = []
    for line in lines[start + 3:]:
        if not line or line.split()[0] not in MODELS:
            break
        rows.append(line)
    return head, rows


def test_quick_run_prints_every_table_and_a_plot(tmp_path, capsys):
    png = tmp_path / "perf.png"
    assert bench.main(["--quick", "--repeats", "1", "--warmup", "1", "--plot", str(png), "--layouts"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("course_pkg benchmark: forward + backward")
    assert any(line.startswith("threads: torch ") for line in lines)
    assert any(line.startswith("machine: ") for line in lines)
    assert any(line.startswith("NumPy BLAS: ") and " kernel " in line for line in lines)

    head, rows = table(lines, "Forward + backward at N=4, T=8")
    assert head.split() == ["model", "numpy", "gemm", "naive", "torch", "torch.nn", "nn-ref"]
    assert [r.split()[0] for r in rows] == MODELS
    for row in rows:
        values = numbers(row)
        assert len(values) == (6 if row.startswith("LSTM") else 5) and all(v >= 0 for v in values)
        assert (row.split()[3] == "-") == (not row.startswith("LSTM"))   # the naive baseline: LSTM only

    head, rows = table(lines, "Ratios and targets")
    assert head.split() == ["model", "numpy/nn", "target", "numpy/ref", "target", "numpy/gemm", "target",
                            "naive/numpy", "target", "torch/nn", "target"]
    assert [r.split()[0] for r in rows] == MODELS
    targets = {r[0]: r[3] for r in bench.RATIOS}
    for row in rows:
        name, cells = row.split()[0], row.split()[1:]
        expected = [c for c, *_ in bench.RATIOS if name in targets[c]]
        assert len([c for c in cells if c in ("<=", ">=")]) == len(expected)
        assert cells.count("-") == len(bench.RATIOS) - len(expected)
    assert any(line.startswith("stretch goal LSTM numpy/nn <= 1.2: ") for line in lines)
    assert any(line.startswith("(* = target missed; ") and " of 13 targets missed" in line for line in lines)

    head, rows = table(lines, "GPU (--device cuda)")
    if not torch.cuda.is_available():
        assert len(rows) == 6 and all("not measured" in r and r.endswith("<= 3.0") for r in rows)

    head, rows = table(lines, "Peak memory of forward + backward")
    assert head.split()[:4] == ["model", "contender", "T=8", "T=80"]
    assert [tuple(r.split()[:2]) for r in rows] == (
        [(m, "numpy") for m in MODELS] + [(m, w) for m in MODELS for w in ("torch", "torch.nn")])
    for r in rows[:3]:
        values = numbers(r)
        assert len(values) == 6 and values[1] > values[0] > 0 and 5 < values[2] < 20   # linear, not quadratic

    start = next(i for i, line in enumerate(lines) if line.startswith("Matrix products, GFLOP/s"))
    assert lines[start + 1].split() == ["product", "G=3", "float32", "G=3", "float64", "G=4", "float32", "G=4",
                                        "float64"]
    body = lines[start + 3:start + 13]
    assert [line[:26].strip() for line in body][:2] == ["h @ W.T (a view)", "h @ W^T (contiguous)"]
    assert all(len(line[26:].split()) == 4 for line in body) and lines[start + 13].startswith("other processes")

    pairs = [(m, b) for m in MODELS for b in ("numpy", "torch", "torch.nn")]
    head, rows = table(lines, "Scaling with T")
    assert head.split() == ["model", "backend", "T=4", "T=8"]
    assert [tuple(r.split()[:2]) for r in rows] == pairs and all(len(numbers(r)) == 2 for r in rows)
    head, rows = table(lines, "per time step, us")
    assert head.split() == ["model", "backend", "T=4", "T=8", "max/min"]
    assert [tuple(r.split()[:2]) for r in rows] == pairs
    assert all(len(numbers(r)) == 3 and numbers(r)[2] >= 1.0 for r in rows)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sum("other processes" in line for line in lines) == 3


def test_threads_option_is_reported_and_restored(capsys):
    before = torch.get_num_threads()
    assert bench.main(["--quick", "--repeats", "1", "--warmup", "0", "--threads", "1", "--no-scaling",
                       "--no-memory"]) == 0
    out = capsys.readouterr().out
    assert "threads: torch 1" in out and "Scaling with T" not in out and "Peak memory" not in out
    assert torch.get_num_threads() == before


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the notice printed where there is no GPU")
def test_cuda_without_gpu_is_a_notice_not_an_error(capsys):
    assert bench.main(["--device", "cuda", "--quick"]) == 0
    assert capsys.readouterr().out.startswith("skip: --device cuda needs a CUDA GPU")


def test_bad_options_exit_with_usage():
    with pytest.raises(SystemExit):
        bench.parse_args(["--repeats", "0"])


def test_helpers():
    assert bench.split(7, 3) == [3, 2, 2] and bench.split(2, 3) == [1, 1]
    x = np.zeros((4, 8), dtype=np.float32)
    w = np.ones(3)
    assert bench.cache_bytes(((x, x[:2]), {"v": x.T}, [w]), skip={id(w)}) == x.nbytes


def test_ratios_mark_misses_in_both_senses():
    row = {"model": "LSTM", "numpy": 3.0, "torch.nn": 1.0, "torch.nn-ref": 6.0, "gemm": 2.0, "naive": 4.5,
           "torch": 1.2}
    cells = {c: (round(v, 2), t, missed) for c, v, t, missed in bench.ratio_cells(row)}
    assert cells == {"numpy/nn": (3.0, "<= 1.5", True), "numpy/ref": (0.5, "<= 0.8", False),
                     "numpy/gemm": (1.5, "<= 1.4", True), "naive/numpy": (1.5, ">= 2.0", True),
                     "torch/nn": (1.2, "<= 1.5", False)}
    assert bench.ratio_cells({"model": "RNN", "numpy": 1.0, "torch.nn": 1.0})[3] == ("naive/numpy", None, None, False)


def test_gpu_table_measured_and_not():
    rows = [{"model": m, "torch": 2.0, "torch.nn": 1.0} for m in MODELS]
    head, body = table(bench.format_gpu([rows, rows]), "GPU (--device cuda)")
    assert head.split() == ["model", "size", "torch", "torch.nn", "torch/nn", "target"]
    assert [numbers(line)[-4:] for line in body] == [[2.0, 1.0, 2.0, 3.0]] * 6 and "*" not in "".join(body)
    head, body = table(bench.format_gpu(None), "GPU (--device cuda)")
    assert [line.split()[:2] for line in body[:2]] == [["RNN", "N=32"], ["RNN", "N=256"]]
