"""Bad calls to the training utilities: seeds, fit, evaluate, predict, early stopping, checkpoints."""
import atexit
import os
import pickle
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from test_validation_docs import bad, check, ids

import course_pkg as cp
from course_pkg import train

TMP = Path(tempfile.mkdtemp(prefix="course_validation_"))
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
X = np.zeros((8, 5, 3), np.float32)
Y = np.arange(8) % 2


def classifier(backend="numpy"):
    return cp.SequenceClassifier(cp.GRU(3, 4, batch_first=True, backend=backend), 2)


def fit(**kw):
    args = dict(loss="cross_entropy", epochs=1)
    args.update(kw)
    data = args.pop("data", (X, Y))
    return train.fit(args.pop("model", None) or classifier(), data, **args)


def seed_and_fit_cases():
    rows = [
        (train.set_seed, ValueError, "Expected seed >= 0, got -1", lambda: train.set_seed(-1)),
        (train.set_seed, TypeError, "Expected seed to be an int, got str", lambda: train.set_seed("abc")),
        (train.set_seed, TypeError, "Expected seed to be an int, got float", lambda: train.set_seed(2.5)),
        (train.set_seed, TypeError, "Expected seed to be an int, got NoneType", lambda: train.set_seed(None)),
        (train.set_seed, ValueError, r"Expected seed <= 2\*\*32 - 1, got 4294967296", lambda: train.set_seed(2 ** 32)),
        (train.fit, ValueError, "Expected seed >= 0, got -1", lambda: fit(seed=-1)),
        (train.fit, TypeError, "Expected seed to be an int or None, got str", lambda: fit(seed="abc")),
        (train.fit, TypeError, "Expected seed to be an int or None, got float", lambda: fit(seed=2.5)),
        (train.fit, ValueError, "Expected epochs >= 1, got 0", lambda: fit(epochs=0)),
        (train.fit, TypeError, "Expected epochs to be an int, got float", lambda: fit(epochs=2.0)),
        (train.fit, ValueError, "Expected batch_size >= 1, got 0", lambda: fit(batch_size=0)),
        (train.fit, TypeError, "Expected batch_size to be an int, got str", lambda: fit(batch_size="32")),
        (train.fit, ValueError, "Expected lr > 0, got 0", lambda: fit(lr=0)),
        (train.fit, TypeError, "Expected lr to be a number, got NoneType", lambda: fit(lr=None)),
        (train.fit, ValueError, "Expected clip_norm > 0, got -1", lambda: fit(clip_norm=-1)),
        (train.fit, TypeError, "Expected clip_value to be a number or None, got str", lambda: fit(clip_value="1")),
        (train.fit, TypeError, "Expected shuffle to be a bool, got int", lambda: fit(shuffle=1)),
        (train.fit, TypeError, "Expected log_grad_norm to be a bool, got str", lambda: fit(log_grad_norm="yes")),
        (train.fit, TypeError, "Expected progress to be True, False or None, got str", lambda: fit(progress="yes")),
        (train.fit, TypeError, "Expected ignore_index to be an int, got float", lambda: fit(ignore_index=-100.0)),
        (train.fit, TypeError, "Expected forward to be a callable or None, got str", lambda: fit(forward="model")),
        (train.fit, TypeError, "Expected backward to be a callable or None, got int", lambda: fit(backward=1)),
        (train.fit, ValueError, "Expected loss 'cross_entropy', 'mse' or a callable", lambda: fit(loss="hinge")),
        (train.fit, ValueError, r"Expected optimizer in \['adam', 'adamw', 'sgd'\]", lambda: fit(optimizer="rmsprop")),
        (train.fit, TypeError, "Expected a course_pkg.optim optimiser for a NumPy-backend model, got SGD",
         lambda: fit(optimizer=torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1))),
        (train.fit, TypeError, "Expected a torch.optim optimiser for a torch-backend model, got Adam",
         lambda: fit(model=classifier("torch"), optimizer=cp.Adam({"w": np.zeros(1)}))),
        (train.fit, TypeError, "Expected train_data to be a tuple", lambda: fit(data=X)),
        (train.fit, TypeError, r"Expected train_data\[1\] \(the target\) to be an array, got None",
         lambda: fit(data=(X, None))),
        (train.fit, ValueError, r"same size along axis 0 .* \[\(8, 5, 3\), \(7,\)\]", lambda: fit(data=(X, Y[:7]))),
        (train.fit, ValueError, "Expected at least one example in train_data", lambda: fit(data=(X[:0], Y[:0]))),
        (train.fit, TypeError, "Expected integer class labels", lambda: fit(data=(X, Y.astype(float)))),
        (train.fit, ValueError, "Expected val_data to hold 2 arrays like train_data, got 3",
         lambda: fit(val_data=(X, X, Y))),
        (train.fit, ValueError, r"Expected a metric in \['accuracy', 'token_accuracy', 'mse', 'mae'\]",
         lambda: fit(metrics=["f1"])),
        (train.fit, TypeError, "Expected a metric name or a callable", lambda: fit(metrics=[3])),
        (train.fit, TypeError, "Expected early_stopping to be None, a patience", lambda: fit(early_stopping="yes")),
        (train.fit, ValueError, "pass val_data", lambda: fit(early_stopping=2)),
        (train.fit, TypeError, "Expected a model that can be called, got int",
         lambda: train.fit(3, (X, Y), loss="mse", epochs=1)),
        (train.fit, ValueError, r"Expected predictions of shape \(8, K\) with K >= 3",
         lambda: fit(data=(X, np.arange(8) % 3))),
    ]
    return [bad(*row) for row in rows]


def evaluate_predict_cases():
    ev, pr = train.evaluate, train.predict
    rows = [
        (ev, TypeError, "Expected data to be a tuple", lambda: ev(classifier(), X, loss="cross_entropy")),
        (ev, ValueError, "Expected batch_size >= 1, got -1",
         lambda: ev(classifier(), (X, Y), loss="cross_entropy", batch_size=-1)),
        (ev, ValueError, "Expected loss", lambda: ev(classifier(), (X, Y), loss="l1")),
        (ev, TypeError, "Expected ignore_index to be an int, got str",
         lambda: ev(classifier(), (X, Y), loss="cross_entropy", ignore_index="pad")),
        (ev, ValueError, r"Expected predictions of shape \(8,\) .* got \(8, 2\)",
         lambda: ev(classifier(), (X, Y.astype(np.float32)), loss="mse")),
        (pr, ValueError, "Expected batch_size >= 1, got 0", lambda: pr(classifier(), X, batch_size=0)),
        (pr, TypeError, "Expected batch_size to be an int, got float", lambda: pr(classifier(), X, batch_size=1.5)),
        (pr, ValueError, "Expected every array in inputs to have the same size along axis 0",
         lambda: pr(classifier(), (X, np.zeros(3, int)), forward=lambda m, x, n: m(x))),
        (pr, ValueError, "Expected inputs.0. to have an axis of examples, got a 0-d array",
         lambda: pr(classifier(), 3.0)),
        (pr, TypeError, "Expected forward to be a callable or None, got str", lambda: pr(classifier(), X, forward="f")),
        (pr, TypeError, r"Expected forward to return a numpy.ndarray \(the model's back-end\), got list",
         lambda: pr(classifier(), X, forward=lambda m, x: [0])),
    ]
    return [bad(*row) for row in rows]


def early_stopping_cases():
    es = train.EarlyStopping
    rows = [
        (es, ValueError, "Expected patience >= 1, got 0", lambda: es(patience=0)),
        (es, TypeError, "Expected patience to be an int, got float", lambda: es(patience=2.5)),
        (es, TypeError, "Expected monitor to be a str, got NoneType", lambda: es(monitor=None)),
        (es, ValueError, r"Expected mode in \['min', 'max', 'auto'\], got 'up'", lambda: es(mode="up")),
        (es, ValueError, "Expected min_delta >= 0, got -1", lambda: es(min_delta=-1)),
        (es, TypeError, "Expected min_delta to be a number, got str", lambda: es(min_delta="0.1")),
        (es, TypeError, "Expected restore_best to be a bool, got int", lambda: es(restore_best=1)),
        (train.History, TypeError, "Expected monitor to be a str or None, got int", lambda: train.History(monitor=3)),
    ]
    return [bad(*row) for row in rows]


def write(name, content):
    """A file ``name`` in the battery's temporary folder holding ``content`` (bytes or a writer)."""
    path = TMP / name
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    return path


def truncated(path):
    """A checkpoint of the path's format, cut after 200 bytes."""
    train.save(classifier(), path)
    path.write_bytes(path.read_bytes()[:200])


def checkpoint_cases():
    load, save = train.load, train.save
    no_advice = r"(?!.*allow_pickle)(?!.*weights_only=False)(?!.*unsafe)"
    rows = [
        (load, ValueError, no_advice + r"Expected '.*garbage.npz' to be a checkpoint \(a .npz archive of arrays, "
                                       r"as save\(\) writes\), got a file that cannot be read as one \(ValueError\)",
         lambda: load(classifier(), write("garbage.npz", b"not a checkpoint at all"))),
        (load, ValueError, no_advice + r"'.*empty.npz' .* \(EOFError\): it is empty or truncated",
         lambda: load(classifier(), write("empty.npz", b""))),
        (load, ValueError, no_advice + r"'.*cut.npz' .* \(BadZipFile\): it is not a complete zip archive",
         lambda: load(classifier(), write("cut.npz", truncated))),
        (load, ValueError, no_advice + r"'.*objects.npz' .* cannot be read as one \(ValueError\)",
         lambda: load(classifier(), write("objects.npz", lambda p: np.savez(p, w=np.array([{}], dtype=object))))),
        (load, ValueError, no_advice + r"'.*array.npz' .* cannot be read as one \(TypeError\)",
         lambda: load(classifier(), write("array.npz", lambda p: p.write_bytes(npy_bytes())))),
        (load, ValueError, r"Expected '.*text.npz' to hold a state dict",
         lambda: load(classifier(), write("text.npz", zip_with_text))),
        (load, ValueError, no_advice + r"'.*garbage.pt' .* \(UnpicklingError\): it holds Python objects other than",
         lambda: load(classifier(), write("garbage.pt", b"not a checkpoint at all"))),
        (load, ValueError, no_advice + r"'.*empty.pt' .* \(EOFError\)",
         lambda: load(classifier(), write("empty.pt", b""))),
        (load, ValueError, no_advice + r"'.*cut.pt' .* cannot be read as one \(RuntimeError\)",
         lambda: load(classifier(), write("cut.pt", truncated))),
        (load, ValueError, no_advice + r"'.*pickle.pt' .* \(UnpicklingError\)",
         lambda: load(classifier(), write("pickle.pt", pickle.dumps({"w": os.getcwd})))),
        (load, ValueError, r"Expected '.*tensor.pt' to hold a state dict \(name -> tensor\), got Tensor",
         lambda: load(classifier(), write("tensor.pt", lambda p: torch.save(torch.zeros(3), p)))),
        (load, ValueError, r"Expected '.*other.npz' to hold a state dict that fits the SequenceClassifier, "
                           r"got one that does not: Expected keys",
         lambda: load(classifier(), write("other.npz", lambda p: train.save(cp.RNN(3, 4), p)))),
        (load, ValueError, r"'.*wide.pt' .* does not: Expected head.weight of shape \(2, 4\), got \(3, 4\)",
         lambda: load(classifier(), write("wide.pt", lambda p: train.save(
             cp.SequenceClassifier(cp.GRU(3, 4, batch_first=True), 3), p)))),
        (load, RuntimeError, r"Expected '.*torch_other.npz' to hold a state dict that fits the RNN",
         lambda: load(torch.nn.RNN(3, 4), write("torch_other.npz", lambda p: train.save(cp.GRU(3, 4), p)))),
        (load, FileNotFoundError, r"Expected an existing checkpoint file, got '.*missing.npz'",
         lambda: load(classifier(), TMP / "missing.npz")),
        (load, FileNotFoundError, r"Expected an existing checkpoint file, got '.*folder.pt'",
         lambda: load(classifier(), write("folder.pt", lambda p: p.mkdir(exist_ok=True)))),
        (load, ValueError, r"Expected a checkpoint path ending in .npz, .pt or .pth, got '.*model.bin'",
         lambda: load(classifier(), TMP / "model.bin")),
        (load, TypeError, "Expected path to be a str or os.PathLike, got int", lambda: load(classifier(), 3)),
        (load, TypeError, "Expected a model with state_dict", lambda: load(object(), TMP / "x.npz")),
        (save, TypeError, "Expected path to be a str or os.PathLike, got NoneType", lambda: save(classifier(), None)),
        (save, ValueError, r"ending in .npz, .pt or .pth, got '.*c.bin'", lambda: save(classifier(), TMP / "c.bin")),
        (save, TypeError, "Expected a model with state_dict", lambda: save(3, TMP / "x.npz")),
    ]
    return [bad(*row) for row in rows]


def npy_bytes():
    path = TMP / "plain.npy"
    np.save(path, np.zeros(3))
    return path.read_bytes()


def zip_with_text(path):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("notes.txt", "hello")


def env_cases():
    def device(value):
        old = os.environ.get("COURSE_DEVICE")
        os.environ["COURSE_DEVICE"] = value
        try:
            return train.device()
        finally:
            os.environ.pop("COURSE_DEVICE") if old is None else os.environ.__setitem__("COURSE_DEVICE", old)
    rows = [(train.device, ValueError, "Expected COURSE_DEVICE to be 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto', got 'gpu'",
             lambda: device("gpu"))]
    return [bad(*row) for row in rows]


CASES = seed_and_fit_cases() + evaluate_predict_cases() + early_stopping_cases() + checkpoint_cases() + env_cases()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)


def test_checkpoint_errors_never_advise_unsafe_loading():
    for name, content in [("a.npz", b"garbage"), ("b.pt", b"garbage"), ("c.pt", pickle.dumps({"w": os.getcwd}))]:
        with pytest.raises(ValueError) as info:
            train.load(classifier(), write(name, content))
        text = str(info.value) + repr(info.value.__cause__) + repr(info.value.__context__)
        assert "allow_pickle" not in text and "weights_only=False" not in text and "unsafe" not in text
        assert info.value.__context__ is None and info.value.__cause__ is None
