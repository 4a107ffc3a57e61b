"""course_pkg.metrics on hand-made examples, including conlleval's reading of BIO tags."""
import numpy as np
import pytest

from course_pkg import metrics as M


# -- accuracy -----------------------------------------------------------------------------------
def test_accuracy_from_labels_and_from_logits():
    target = np.array([0, 1, 2, 1])
    assert M.accuracy(np.array([0, 1, 1, 1]), target) == 0.75
    logits = np.array([[3.0, 0, 0], [0, 2, 1], [0, 5, 1], [0, 1, 0]])      # argmax 0, 1, 1, 1
    assert M.accuracy(logits, target) == 0.75
    assert isinstance(M.accuracy(logits, target), float)


def test_accuracy_ignores_padding():
    target = np.array([[1, 0, -100], [2, -100, -100]])
    pred = np.array([[1, 1, 0], [2, 2, 2]])
    assert M.accuracy(pred, target, ignore_index=-100) == pytest.approx(2 / 3)
    assert M.accuracy(pred, target) == pytest.approx(2 / 6)
    with pytest.raises(ValueError, match="Expected at least one target left"):
        M.accuracy(pred, np.full((2, 3), -100), ignore_index=-100)


def test_accuracy_takes_torch_tensors():
    torch = pytest.importorskip("torch")
    assert M.accuracy(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1])) == 0.5


def test_accuracy_rejects_bad_input():
    with pytest.raises(ValueError, match=r"Expected predictions of shape \(3,\) .* got \(4,\)"):
        M.accuracy(np.zeros(4, int), np.zeros(3, int))
    with pytest.raises(ValueError, match=r"got \(3, 2, 2\)"):
        M.accuracy(np.zeros((3, 2, 2)), np.zeros(3, int))
    with pytest.raises(TypeError, match="Expected integer targets"):
        M.accuracy(np.zeros(3, int), np.zeros(3))
    with pytest.raises(TypeError, match="Expected integer labels"):
        M.accuracy(np.zeros(3), np.zeros(3, int))
    with pytest.raises(TypeError, match="Expected ignore_index"):
        M.accuracy(np.zeros(3, int), np.zeros(3, int), ignore_index=0.5)


def test_token_accuracy_with_ignore_index_and_lengths():
    target = np.array([[1, 2, 3, 0], [4, 5, 0, 0]])                       # 0 = <pad>
    pred = np.array([[1, 2, 0, 0], [4, 0, 0, 0]])
    assert M.token_accuracy(pred, target, ignore_index=0) == pytest.approx(3 / 5)
    assert M.token_accuracy(pred, target, ignore_index=None, lengths=np.array([3, 2])) == pytest.approx(3 / 5)
    assert M.token_accuracy(pred, target, ignore_index=None) == pytest.approx(6 / 8)   # padding counted
    with pytest.raises(ValueError, match=r"Expected targets of shape \(N, T\)"):
        M.token_accuracy(np.zeros(3, int), np.zeros(3, int))
    with pytest.raises(ValueError, match=r"Expected lengths in \[0, 4\]"):
        M.token_accuracy(pred, target, lengths=np.array([5, 1]))
    with pytest.raises(ValueError, match=r"Expected lengths of shape \(2,\)"):
        M.token_accuracy(pred, target, lengths=np.array([1]))


def test_confusion_matrix_counts():
    cm = M.confusion_matrix(np.array([0, 1, 1, 2, 2]), np.array([0, 1, 2, 2, 0]), num_classes=4)
    expected = np.zeros((4, 4), int)
    expected[0, 0] = expected[1, 1] = expected[2, 1] = expected[2, 2] = expected[0, 2] = 1
    np.testing.assert_array_equal(cm, expected)
    assert M.confusion_matrix(np.array([1, 0]), np.array([1, -1]), ignore_index=-1).tolist() == [[0, 0], [0, 1]]
    with pytest.raises(ValueError, match=r"Expected labels in \[0, 2\)"):
        M.confusion_matrix(np.array([0, 3]), np.array([0, 1]), num_classes=2)


# -- BIO entities, conlleval semantics ------------------------------------------------------------
@pytest.mark.parametrize("tags, entities", [
    (["B-PER", "I-PER", "O", "B-LOC"], [("PER", 0, 2), ("LOC", 3, 4)]),
    (["B-PER", "B-PER"], [("PER", 0, 1), ("PER", 1, 2)]),                 # B always starts a new one
    (["I-PER", "I-PER", "O"], [("PER", 0, 2)]),                           # I at the start starts one
    (["O", "I-LOC"], [("LOC", 1, 2)]),                                    # I after O starts one
    (["B-PER", "I-LOC", "I-LOC"], [("PER", 0, 1), ("LOC", 1, 3)]),        # a type change splits
    (["B-ORG", "I-ORG", "I-ORG"], [("ORG", 0, 3)]),                       # runs to the end
    (["O", "O"], []),
    ([], []),
])
def test_bio_entities_follow_conlleval(tags, entities):
    assert M.bio_entities(tags) == entities


def test_entity_f1_on_the_seqeval_readme_example():
    true = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    pred = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    assert M.entity_f1(true, pred) == (0.5, 0.5, 0.5)                     # MISC's span is off by one


def test_entity_f1_needs_type_and_exact_span():
    true = [["B-PER", "I-PER", "O", "B-LOC", "O"]]
    assert M.entity_f1(true, true) == (1.0, 1.0, 1.0)
    assert M.entity_f1(true, [["B-PER", "I-PER", "O", "B-ORG", "O"]]) == (0.5, 0.5, 0.5)     # wrong type
    assert M.entity_f1(true, [["B-PER", "O", "O", "B-LOC", "O"]]) == (0.5, 0.5, 0.5)         # span too short
    assert M.entity_f1(true, [["B-PER", "I-PER", "O", "B-LOC", "I-LOC"]]) == (0.5, 0.5, 0.5)  # too long
    p, r, f = M.entity_f1(true, [["B-PER", "I-PER", "O", "O", "O"]])                          # one missed
    assert (p, r) == (1.0, 0.5) and f == pytest.approx(2 / 3)
    p, r, f = M.entity_f1(true, [["B-PER", "I-PER", "B-MISC", "B-LOC", "O"]])                 # one extra
    assert (p, r) == (pytest.approx(2 / 3), 1.0) and f == pytest.approx(0.8)


def test_entity_f1_reads_a_leading_i_tag_as_a_start_like_conlleval():
    """conlleval counts ``I-PER I-PER`` as the entity ``B-PER I-PER``; we do the same."""
    assert M.entity_f1([["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]]) == (1.0, 1.0, 1.0)
    p, r, _ = M.entity_f1([["B-PER", "I-PER"]], [["B-PER", "I-LOC"]])     # split into PER + LOC
    assert (p, r) == (0.0, 0.0)


def test_entity_f1_pools_sentences_and_never_crosses_them():
    true = [["O", "B-PER"], ["I-PER", "O"], ["B-LOC"]]
    pred = [["O", "B-PER"], ["B-PER", "O"], ["O"]]                        # I-PER starts a new entity
    p, r, f = M.entity_f1(true, pred)
    assert (p, r) == (1.0, pytest.approx(2 / 3)) and f == pytest.approx(0.8)


def test_entity_f1_without_entities_is_zero():
    assert M.entity_f1([["O", "O"]], [["O", "O"]]) == (0.0, 0.0, 0.0)


def test_entity_f1_rejects_bad_input():
    with pytest.raises(ValueError, match=r"Expected a BIO tag .* got 'X-PER' at pred_tag_seqs\[0\]\[1\]"):
        M.entity_f1([["O", "B-PER"]], [["O", "X-PER"]])
    with pytest.raises(ValueError, match="got 'B-'"):
        M.entity_f1([["B-"]], [["O"]])
    with pytest.raises(ValueError, match=r"Expected pred_tag_seqs\[0\] of length 2"):
        M.entity_f1([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match="Expected as many pred_tag_seqs as true_tag_seqs, got 2 and 1"):
        M.entity_f1([["O"]], [["O"], ["O"]])
    with pytest.raises(ValueError, match="at least one sequence"):
        M.entity_f1([], [])
    with pytest.raises(TypeError, match="Expected true_tag_seqs"):
        M.entity_f1("B-PER", "B-PER")
    with pytest.raises(TypeError, match="Expected tags to be str, got int"):
        M.entity_f1([[1]], [["O"]])


# -- sequences and regression -------------------------------------------------------------------
def test_exact_match():
    assert M.exact_match([[1, 2, 3], [4], [5, 6]], [[1, 2, 3], [4, 0], [5, 6]]) == pytest.approx(2 / 3)
    assert M.exact_match([["a", "b"]], [("a", "b")]) == 1.0
    assert M.exact_match(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 5]])) == 0.5
    with pytest.raises(ValueError, match="Expected as many true_seqs as pred_seqs"):
        M.exact_match([[1]], [[1], [2]])
    with pytest.raises(ValueError, match="at least one sequence"):
        M.exact_match([], [])
    with pytest.raises(TypeError, match=r"Expected pred_seqs\[0\] to be a sequence"):
        M.exact_match([5], [[5]])


def test_mse_and_mae():
    pred, target = np.array([1.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0])
    assert M.mse(pred, target) == pytest.approx(13 / 3)
    assert M.mae(pred, target) == pytest.approx(5 / 3)
    assert M.mse([[1, 2]], [[1, 2]]) == 0.0
    with pytest.raises(ValueError, match=r"Expected pred of shape \(3,\) \(target's\), got \(3, 1\)"):
        M.mse(pred[:, None], target)
    with pytest.raises(ValueError, match="empty"):
        M.mae(np.array([]), np.array([]))
    with pytest.raises(TypeError, match="numeric"):
        M.mae(np.array(["a"]), np.array(["b"]))


# -- MASE ------------------------------------------------------------------------------------------
def test_mase_divides_the_mae_by_the_in_sample_naive_error():
    train = np.array([1.0, 3.0, 2.0, 6.0])                 # naive errors 2, 1, 4: mean 7/3
    assert M.mase([5.0, 5.0], [6.0, 3.0], train) == pytest.approx(1.5 / (7 / 3))
    # seasonal: season 2 compares y_t with y_{t-2}: |2 - 1|, |6 - 3| -> 2
    assert M.mase([5.0], [6.0], train, season=2) == pytest.approx(0.5)


def test_mase_of_the_naive_forecast_on_its_own_training_series_is_one():
    y = np.cumsum(np.random.default_rng(0).standard_normal(200))
    assert M.mase(y[:-1], y[1:], y) == pytest.approx(1.0)


def test_mase_accepts_torch_and_lists():
    torch = pytest.importorskip("torch")
    assert M.mase(torch.tensor([1.0]), [2.0], torch.tensor([0.0, 2.0])) == pytest.approx(0.5)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"train_series": [1.0]}, ValueError, "longer than season"),
    ({"train_series": [[1.0, 2.0]]}, ValueError, "1-D train_series"),
    ({"train_series": [1.0, np.nan, 2.0]}, ValueError, "without NaN"),
    ({"train_series": [2.0, 2.0, 2.0]}, ValueError, "above 0"),
    ({"train_series": [1.0, 2.0, 3.0], "season": 3}, ValueError, "longer than season"),
    ({"train_series": [1.0, 2.0], "season": 0}, ValueError, "season >= 1"),
    ({"train_series": [1.0, 2.0], "season": 1.0}, TypeError, "season"),
    ({"train_series": ["a", "b"]}, TypeError, "numeric"),
    ({"train_series": [1.0, 2.0], "pred": [1.0, 2.0]}, ValueError, "shape"),
])
def test_mase_rejects_bad_input(kwargs, error, match):
    args = {"pred": [1.0], "target": [2.0], **kwargs}
    with pytest.raises(error, match=match):
        M.mase(**args)
