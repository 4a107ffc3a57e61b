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


def test_quick_run_prints_both_tables_and_a_plot(tmp_path, capsys):
    png = tmp_path / "perf.png"
    assert bench.main(["--quick", "--repeats", "1", "--warmup", "1", "--plot", str(png)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("course_pkg benchmark: forward + backward")
    assert any(line.startswith("threads: torch ") for line in lines)
    assert any(line.startswith("machine: ") for line in lines)

    head, rows = table(lines, "Forward + backward at N=4, T=8")
    assert head.split() == ["model", "numpy", "gemm", "torch", "torch.nn", "nn-ref", "numpy/nn", "target",
                            "gemm/nn", "torch/nn", "target", "cache", "MiB", "floats/NTH"]
    assert [r.split()[0] for r in rows] == MODELS
    for row in rows:
        values = numbers(row)
        assert len(values) == 5 + 5 + 2 and all(v >= 0 for v in values)   # times, ratios and targets, cache

    pairs = [(m, b) for m in MODELS for b in ("numpy", "torch", "torch.nn")]
    head, rows = table(lines, "Scaling with T")
    assert head.split() == ["model", "backend", "T=4", "T=8"]
    assert [tuple(r.split()[:2]) for r in rows] == pairs and all(len(numbers(r)) == 2 for r in rows)
    head, rows = table(lines, "per time step, us")
    assert head.split() == ["model", "backend", "T=4", "T=8", "max/min"]
    assert [tuple(r.split()[:2]) for r in rows] == pairs
    assert all(len(numbers(r)) == 3 and numbers(r)[2] >= 1.0 for r in rows)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sum("other processes" in line for line in lines) == 2


def test_threads_option_is_reported_and_restored(capsys):
    before = torch.get_num_threads()
    assert bench.main(["--quick", "--repeats", "1", "--warmup", "0", "--threads", "1", "--no-scaling"]) == 0
    out = capsys.readouterr().out
    assert "threads: torch 1" in out and "Scaling with T" not in out
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


def test_gpu_table_has_no_numpy_columns():
    rows = [{"model": m, "torch": 2.0, "torch.nn": 1.0} for m in MODELS]
    lines = bench.format_table(rows, "cuda")
    assert lines[0].split() == ["model", "torch", "torch.nn", "torch/nn", "target"]
    assert [numbers(line) for line in lines[2:5]] == [[2.0, 1.0, 2.0, 1.5]] * 3 and "*" in lines[2]
