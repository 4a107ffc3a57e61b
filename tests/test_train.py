"""course_pkg.train: fit on both back-ends, clipping, early stopping, checkpoints, devices, quiet output."""
import json
import math
import random

import numpy as np
import pytest

import course_pkg as cp
from course_pkg import train

torch = pytest.importorskip("torch")

N, T, D, H = 96, 5, 2, 8


pytestmark = pytest.mark.usefixtures("one_thread")   # see conftest.py


# -- helpers ------------------------------------------------------------------------------------
def task(n=N, seed=0, flip=False):
    """Sequences whose class is the sign of the last step's first feature: trivially learnable."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, T, D))
    y = (x[:, -1, 0] > 0).astype(np.int64)
    return x, (1 - y if flip else y)


def classifier(backend="numpy", dtype="float32", seed=1, classes=2):
    rnn = cp.GRU(D, H, batch_first=True, backend=backend, dtype=dtype, seed=seed)
    return cp.SequenceClassifier(rnn, classes, seed=seed + 1)


def weights(model):
    return {k: cp.backend.to_numpy(v).astype(np.float64) for k, v in model.state_dict().items()}


def logits(model, x):
    """Eval-mode predictions as float64 NumPy."""
    model.eval()
    out = train.predict(model, x, batch_size=len(x))
    model.train()
    return out.astype(np.float64)


def flat_norm(before, after):
    return math.sqrt(sum(float(((after[k] - before[k]) ** 2).sum()) for k in before))


# -- learning -------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_fit_learns_a_trivial_task(backend):
    x, y = task()
    model = classifier(backend)
    h = train.fit(model, (x, y), loss="cross_entropy", val_data=task(48, seed=1), epochs=12, lr=0.05,
                  batch_size=32, metrics=["accuracy"])
    assert h.loss[-1] < 0.25 * h.loss[0]
    assert h.val_loss[-1] < 0.3 * h.val_loss[0]
    assert h.accuracy[-1] >= 0.95 and h["val_accuracy"][-1] >= 0.9
    steps = 12 * math.ceil(N / 32)
    assert len(h.step_loss) == len(h.grad_norm) == steps
    assert all(g > 0 and math.isfinite(g) for g in h.grad_norm)
    assert h.epochs == list(range(1, 13)) and not h.stopped_early
    assert h.best_epoch == int(np.argmin(h.val_loss)) + 1 and h.monitor == "val_loss"
    assert model.training                       # the mode it was in before fit


def test_fit_trains_a_plain_torch_module():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn, self.head = torch.nn.GRU(D, H, batch_first=True), torch.nn.Linear(H, 2)

        def forward(self, x):
            _, h_n = self.rnn(x)
            return self.head(h_n[-1])

    torch.manual_seed(0)
    x, y = task()
    h = train.fit(Net(), (x, y), loss="cross_entropy", epochs=10, lr=0.05)
    assert h.loss[-1] < 0.3 * h.loss[0]


@pytest.mark.parametrize("clip_norm", [None, 0.05])
def test_numpy_and_torch_follow_the_same_trajectory(clip_norm):
    """Same weights, same batches, SGD, float64: the two back-ends agree step by step."""
    x, y = task()
    runs = {}
    for backend in ("numpy", "torch"):
        model = classifier(backend, "float64", seed=7)
        hist = train.fit(model, (x, y), loss="cross_entropy", val_data=task(40, seed=2), epochs=3,
                         optimizer="sgd", lr=0.5, batch_size=20, seed=11, clip_norm=clip_norm)
        runs[backend] = (hist, weights(model))
    (hn, wn), (ht, wt) = runs["numpy"], runs["torch"]
    assert len(hn.step_loss) == 3 * math.ceil(N / 20)
    np.testing.assert_allclose(hn.step_loss, ht.step_loss, rtol=1e-10)
    np.testing.assert_allclose(hn.grad_norm, ht.grad_norm, rtol=1e-10)
    np.testing.assert_allclose(hn.loss, ht.loss, rtol=1e-10)
    np.testing.assert_allclose(hn.val_loss, ht.val_loss, rtol=1e-10)
    for k in wn:
        np.testing.assert_allclose(wn[k], wt[k], rtol=0, atol=1e-10)
    assert hn.step_loss[-1] < hn.step_loss[0]


def test_val_loss_is_the_token_mean_over_the_whole_set():
    """Batches with different amounts of padding are weighed by their real tokens."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 6, D))
    tags = (x[..., 0] > 0).astype(np.int64)
    lengths = rng.integers(1, 7, size=50)
    tags[np.arange(6)[None, :] >= lengths[:, None]] = -100
    model = cp.SequenceTagger(cp.LSTM(D, H, batch_first=True, dtype="float64", seed=0), 2, seed=1)
    h = train.fit(model, (x, tags), loss="cross_entropy", val_data=(x, tags), epochs=2, lr=0.02,
                  batch_size=7, metrics=["token_accuracy"])
    full, _ = cp.cross_entropy(logits(model, x), tags)
    assert h.val_loss[-1] == pytest.approx(float(full), rel=1e-12)
    pred = logits(model, x).argmax(-1)
    keep = tags != -100
    assert h.val_token_accuracy[-1] == pytest.approx((pred == tags)[keep].mean())


def test_default_forward_takes_the_output_of_a_bare_rnn_and_custom_forward_passes_lengths():
    x, _ = task(40)
    target = np.tanh(x.sum(-1, keepdims=True))                     # (N, T, 1)
    h = train.fit(cp.RNN(D, 1, batch_first=True, seed=0), (x, target), loss="mse", epochs=8, lr=0.05,
                  metrics=["mae"])
    assert h.loss[-1] < h.loss[0] and len(h.mae) == 8
    lengths = np.full(40, T)
    x, y = task(40)
    h = train.fit(classifier(), (x, lengths, y), loss="cross_entropy", epochs=2,
                  forward=lambda m, x, lengths: m(x, lengths=lengths))
    assert len(h.loss) == 2


def test_seq2seq_fits_with_the_same_protocol():
    rng = np.random.default_rng(0)
    src = rng.integers(3, 8, size=(32, 4))
    tgt_in = np.concatenate([np.ones((32, 1), np.int64), src[:, :-1]], 1)      # <bos> = 1
    model = cp.Seq2Seq(8, 8, 6, 8, cell="GRU", seed=0)
    h = train.fit(model, (src, np.full(32, 4), tgt_in, src), loss="cross_entropy", ignore_index=0,
                  epochs=4, lr=0.03, batch_size=16, metrics=["token_accuracy"])
    assert h.loss[-1] < h.loss[0]


# -- gradients: norms and clipping --------------------------------------------------------------
def test_grad_norm_is_logged_before_clipping():
    x, y = task()
    model = classifier(dtype="float64")
    ref = classifier(dtype="float64")
    loss, dlogits = cp.cross_entropy(ref(x), y)
    ref.backward(dlogits)
    expected = math.sqrt(sum(float((g ** 2).sum()) for g in ref.grads.values()))
    h = train.fit(model, (x, y), loss="cross_entropy", epochs=1, batch_size=N, shuffle=False, clip_norm=1e-4)
    assert h.grad_norm == [pytest.approx(expected, rel=1e-12)]
    assert h.step_loss == [pytest.approx(float(loss), rel=1e-12)]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_clip_norm_bounds_the_update(backend):
    x, y = task()
    model = classifier(backend, "float64")
    before = weights(model)
    lr, clip = 1.0, 1e-3
    h = train.fit(model, (x, y), loss="cross_entropy", epochs=1, batch_size=N, optimizer="sgd", lr=lr,
                  clip_norm=clip)
    assert h.grad_norm[0] > 10 * clip                        # clipping was active
    step = flat_norm(before, weights(model))
    assert step == pytest.approx(lr * clip, rel=1e-5)        # = lr * clip * norm / (norm + 1e-6)
    assert step <= lr * clip


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_clip_value_bounds_each_entry(backend):
    x, y = task()
    model = classifier(backend, "float64")
    before = weights(model)
    train.fit(model, (x, y), loss="cross_entropy", epochs=1, batch_size=N, optimizer="sgd", lr=1.0,
              clip_value=1e-4)
    after = weights(model)
    biggest = max(float(np.abs(after[k] - before[k]).max()) for k in before)
    assert biggest == pytest.approx(1e-4, rel=1e-9)


# -- early stopping -------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_early_stopping_stops_and_restores_the_best_weights(backend):
    x, y = task()
    val = task(48, seed=1, flip=True)                      # gets worse as training improves
    model = classifier(backend, "float64")
    h = train.fit(model, (x, y), loss="cross_entropy", val_data=val, epochs=30, lr=0.05, early_stopping=2)
    assert h.stopped_early and len(h.loss) == 3 and h.best_epoch == 1
    assert h.val_loss[0] < h.val_loss[1] < h.val_loss[2]
    now = train.evaluate(model, val, loss="cross_entropy")["loss"]
    assert now == pytest.approx(h.val_loss[0], rel=1e-10)


def test_early_stopping_without_restore_keeps_the_last_weights_and_can_watch_a_metric():
    x, y = task()
    val = task(48, seed=1, flip=True)
    model = classifier(dtype="float64")
    stop = train.EarlyStopping(patience=2, monitor="val_loss", restore_best=False)
    h = train.fit(model, (x, y), loss="cross_entropy", val_data=val, epochs=30, lr=0.05, early_stopping=stop)
    assert train.evaluate(model, val, loss="cross_entropy")["loss"] == pytest.approx(h.val_loss[-1], rel=1e-10)
    stop = train.EarlyStopping(patience=3, monitor="accuracy")
    assert stop.mode == "max"
    h = train.fit(classifier(), (x, y), loss="cross_entropy", epochs=3, metrics=["accuracy"], early_stopping=stop)
    assert h.monitor == "accuracy" and not h.stopped_early


def test_early_stopping_on_validation_needs_val_data():
    with pytest.raises(ValueError, match="pass val_data"):
        train.fit(classifier(), task(), loss="cross_entropy", epochs=2, early_stopping=2)
    with pytest.raises(ValueError, match="Expected patience >= 1"):
        train.EarlyStopping(patience=0)


# -- checks before and during training ----------------------------------------------------------
def test_head_too_small_fails_before_training_with_both_shapes():
    x, _ = task()
    y = np.arange(N) % 5                                   # labels 0..4 need K >= 5
    model = classifier(classes=2)
    before = weights(model)
    msg = r"Expected predictions of shape \(32, K\) with K >= 5 .* got \(32, 2\)"
    with pytest.raises(ValueError, match=msg):
        train.fit(model, (x, y), loss="cross_entropy", epochs=1)
    assert all(np.array_equal(before[k], v) for k, v in weights(model).items())


def test_rank_mismatch_names_both_shapes():
    x, y = task()
    tagger = cp.SequenceTagger(cp.GRU(D, H, batch_first=True, seed=0), 2)
    with pytest.raises(ValueError, match=r"Expected predictions of shape \(32, K\) \(K classes\) for targets "
                                         r"of shape \(32,\) in train_data, got \(32, 5, 2\)"):
        train.fit(tagger, (x, y), loss="cross_entropy", epochs=1)
    with pytest.raises(ValueError, match=r"Expected predictions of shape \(32,\) .* got \(32, 2\)"):
        train.fit(classifier(), (x, y.astype(float)), loss="mse", epochs=1)


def test_validation_data_is_checked_too():
    x, y = task()
    with pytest.raises(ValueError, match=r"K >= 4 \(the targets of val_data hold labels up to 3\)"):
        train.fit(classifier(), (x, y), val_data=(x, np.arange(N) % 4), loss="cross_entropy", epochs=1)
    with pytest.raises(ValueError, match="Expected val_data to hold 2 arrays like train_data, got 3"):
        train.fit(classifier(), (x, y), val_data=(x, x, y), loss="cross_entropy", epochs=1)


def test_arrays_with_different_sizes_are_rejected():
    x, y = task()
    with pytest.raises(ValueError, match=r"same size along axis 0 .* \[\(96, 5, 2\), \(90,\)\]"):
        train.fit(classifier(), (x, y[:90]), loss="cross_entropy", epochs=1)
    with pytest.raises(TypeError, match="Expected train_data to be a tuple"):
        train.fit(classifier(), x, loss="cross_entropy", epochs=1)
    with pytest.raises(TypeError, match="Expected integer class labels"):
        train.fit(classifier(), (x, y.astype(float)), loss="cross_entropy", epochs=1)


def test_bad_arguments_are_rejected():
    x, y = task()
    model = classifier()
    with pytest.raises(ValueError, match="Expected loss"):
        train.fit(model, (x, y), loss="hinge", epochs=1)
    with pytest.raises(ValueError, match="Expected optimizer"):
        train.fit(model, (x, y), loss="cross_entropy", epochs=1, optimizer="rmsprop")
    with pytest.raises(TypeError, match="course_pkg.optim optimiser"):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        train.fit(model, (x, y), loss="cross_entropy", epochs=1, optimizer=opt)
    with pytest.raises(ValueError, match="Expected epochs >= 1"):
        train.fit(model, (x, y), loss="cross_entropy", epochs=0)
    with pytest.raises(ValueError, match="Expected clip_norm > 0"):
        train.fit(model, (x, y), loss="cross_entropy", epochs=1, clip_norm=0)
    with pytest.raises(ValueError, match="Expected a metric in"):
        train.fit(model, (x, y), loss="cross_entropy", epochs=1, metrics=["f1"])
    with pytest.raises(ValueError, match="name a callable with a dict"):
        train.fit(model, (x, y), loss="cross_entropy", epochs=1, metrics=[lambda p, t: 0.0])
    h = train.fit(model, (x, y), loss="cross_entropy", epochs=1, metrics={"always": lambda p, t: 1.0})
    assert h.always == [1.0]


def test_nan_loss_stops_with_epoch_and_step():
    x, y = task()
    calls = []

    def flaky(pred, target):
        calls.append(1)
        loss, dpred = cp.cross_entropy(pred, target)
        return (loss * np.nan if len(calls) == 5 else loss), dpred

    with pytest.raises(FloatingPointError, match=r"got nan at epoch 2/4, step 2/3 \(step 5 overall\)"):
        train.fit(classifier(), (x, y), loss=flaky, epochs=4, batch_size=32)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_nan_in_the_data_stops_training(backend):
    x, y = task()
    x[40, 2, 1] = np.nan
    with pytest.raises(FloatingPointError, match="Expected a finite loss, got nan at epoch 1/3"):
        train.fit(classifier(backend), (x, y), loss="cross_entropy", epochs=3, shuffle=False)


# -- quiet output and the progress bar ----------------------------------------------------------
@pytest.mark.parametrize("progress", [False, None])
def test_no_output_when_progress_is_off(capfd, progress):
    x, y = task()
    train.fit(classifier(), (x, y), loss="cross_entropy", val_data=(x, y), epochs=2, progress=progress,
              metrics=["accuracy"])
    train.fit(classifier("torch"), (x, y), loss="cross_entropy", epochs=1, progress=progress)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_bar_follows_the_terminal(capfd, monkeypatch):
    pytest.importorskip("tqdm")
    x, y = task()
    monkeypatch.setattr(train, "_stderr_is_tty", lambda: True)
    train.fit(classifier(), (x, y), loss="cross_entropy", epochs=2, progress=None)
    out, err = capfd.readouterr()
    assert out == "" and "epoch 2/2" in err and "6/6" in err
    with pytest.raises(TypeError, match="Expected progress"):
        train.fit(classifier(), (x, y), loss="cross_entropy", epochs=1, progress="yes")


def test_history_as_dict_is_plain_json():
    x, y = task()
    h = train.fit(classifier(), (x, y), loss="cross_entropy", val_data=(x, y), epochs=2, metrics=["accuracy"])
    d = json.loads(json.dumps(h.as_dict()))
    assert set(d) == {"loss", "val_loss", "accuracy", "val_accuracy", "step_loss", "grad_norm", "best_epoch",
                      "monitor", "stopped_early"}
    assert len(d["loss"]) == 2 and len(d["grad_norm"]) == 6 and d["stopped_early"] is False
    assert "History(2 epochs" in repr(h)
    with pytest.raises(AttributeError, match="val_f1"):
        h.val_f1


# -- checkpoints ----------------------------------------------------------------------------------
@pytest.mark.parametrize("src", ["numpy", "torch"])
@pytest.mark.parametrize("suffix", [".npz", ".pt"])
@pytest.mark.parametrize("dst", ["numpy", "torch"])
def test_checkpoints_round_trip_between_back_ends(tmp_path, src, suffix, dst):
    x, _ = task(8)
    a, b = classifier(src, seed=1), classifier(dst, seed=9)
    path = train.save(a, tmp_path / f"model{suffix}")
    assert path.suffix == suffix
    keys = list(a.state_dict())
    stored = np.load(path).files if suffix == ".npz" else list(torch.load(path, weights_only=True))
    assert stored == keys                                  # named exactly like state_dict()
    assert train.load(b, path) is b
    for k, v in weights(a).items():
        np.testing.assert_array_equal(weights(b)[k], v)
    np.testing.assert_allclose(logits(b, x), logits(a, x), rtol=0, atol=1e-6)


def test_checkpoint_suffix_defaults_to_the_back_end(tmp_path):
    assert train.save(classifier("numpy"), tmp_path / "a").name == "a.npz"
    assert train.save(classifier("torch"), tmp_path / "b").name == "b.pt"
    with pytest.raises(ValueError, match=r"ending in .npz, .pt or .pth, got .*c.bin"):
        train.save(classifier(), tmp_path / "c.bin")
    with pytest.raises(ValueError, match=r"Expected head.weight of shape \(3, 8\), got \(2, 8\)"):
        train.load(classifier(classes=3), tmp_path / "a.npz")
    with pytest.raises(ValueError, match="Expected keys"):
        train.load(cp.RNN(D, H), tmp_path / "b.pt")


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_torch_nn_rnn_checkpoint_loads_into_course_rnn(tmp_path, backend):
    torch.manual_seed(0)
    ref = torch.nn.RNN(3, 4, num_layers=2, batch_first=True)
    torch.save(ref.state_dict(), tmp_path / "rnn.pt")
    ours = train.load(cp.RNN(3, 4, num_layers=2, batch_first=True, backend=backend, seed=5), tmp_path / "rnn.pt")
    x = np.random.default_rng(0).standard_normal((2, 6, 3)).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x))[0].numpy()
    got = ours(x if backend == "numpy" else torch.from_numpy(x))[0]
    np.testing.assert_allclose(cp.backend.to_numpy(got), expected, atol=1e-6)
    back = train.load(torch.nn.RNN(3, 4, num_layers=2, batch_first=True), train.save(ours, tmp_path / "ours.npz"))
    for k, v in ref.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[k].numpy(), v.numpy())


def test_a_pt_file_that_is_not_a_state_dict_is_rejected(tmp_path):
    torch.save({"epoch": torch.tensor(3), "config": {"lr": torch.tensor(0.1)}}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="to hold a state dict"):
        train.load(classifier(), tmp_path / "x.pt")


# -- seeds and devices ----------------------------------------------------------------------------
def test_set_seed_seeds_random_numpy_and_torch():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    train.set_seed(3)
    first = draw()
    train.set_seed(3)
    assert draw() == first
    with pytest.raises(ValueError, match="Expected seed >= 0"):
        train.set_seed(-1)
    with pytest.raises(TypeError, match="Expected seed to be an int"):
        train.set_seed("3")


def test_device_honours_course_device(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", " CPU ")
    assert train.device() == "cpu"
    for value in ("tpu", "cuda:x", "cpu:0", "gpu"):
        monkeypatch.setenv("COURSE_DEVICE", value)
        with pytest.raises(ValueError, match="Expected COURSE_DEVICE to be 'cpu', 'cuda'"):
            train.device()
    for value in ("", "auto"):
        monkeypatch.setenv("COURSE_DEVICE", value)
        assert train.device() in ("cpu", "cuda", "mps")
    monkeypatch.delenv("COURSE_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert train.device() == expected


def test_device_rejects_an_absent_gpu(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present")
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(ValueError, match="sees no CUDA GPU"):
        train.device()
    monkeypatch.setattr(train, "_torch_or_none", lambda: None)
    with pytest.raises(ValueError, match="torch is not installed"):
        train.device()
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert train.device() == "cpu"
