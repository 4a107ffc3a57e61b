"""Bad calls to course_pkg.data: load by name, the vocabulary, the loaders, batching and series."""
import numpy as np
import pytest
import torch
from test_validation_docs import bad, check, ids

from course_pkg import data
from course_pkg.data import batching as B
from course_pkg.data import series as S
from course_pkg.data import synthetic as Y
from course_pkg.data.vocab import Vocab


def vocab():
    return Vocab(["a", "b", "c"])


def load_and_vocab_cases():
    rows = [
        (data.load, TypeError, r"Expected name in \['adding', .*\], got list", lambda: data.load(["adding"])),
        (data.load, TypeError, r"Expected name in \[.*\], got NoneType", lambda: data.load(None)),
        (data.load, ValueError, r"Expected name in \['adding', .*\], got 'imdb'", lambda: data.load("imdb")),
        (data.load, ValueError, "Expected n >= 1, got 0", lambda: data.load("adding", 0)),
        (data.load, TypeError, "unexpected keyword argument 'length'", lambda: data.load("adding", 5, length=3)),
        (Vocab, TypeError, "Expected tokens to be a list .* of tokens, got str", lambda: Vocab("abc")),
        (Vocab, TypeError, "Expected tokens to be a list .* of tokens, got int", lambda: Vocab(5)),
        (Vocab, TypeError, "Expected string tokens, got int 1", lambda: Vocab([1, 2])),
        (Vocab, ValueError, r"Expected unique, non-special tokens, got \['a'\]", lambda: Vocab(["a", "a"])),
        (Vocab, ValueError, "non-special tokens, got", lambda: Vocab(["<eos>"])),
        (Vocab.build, TypeError, "Expected texts to be a list .* of tokens, got str", lambda: Vocab.build("abc")),
        (Vocab.build, TypeError, "Expected texts to hold sequences of tokens, got int", lambda: Vocab.build([1, 2])),
        (Vocab.build, TypeError, "Expected string tokens, got int", lambda: Vocab.build([[1, 2]])),
        (Vocab.build, ValueError, "Expected min_freq >= 1, got 0", lambda: Vocab.build(["ab"], min_freq=0)),
        (Vocab.build, TypeError, "Expected min_freq to be an int, got float",
         lambda: Vocab.build(["ab"], min_freq=1.5)),
        (Vocab.build, ValueError, "Expected max_size >= 1, got 0", lambda: Vocab.build(["ab"], max_size=0)),
        (Vocab.build, TypeError, "Expected max_size to be an int or None, got str",
         lambda: Vocab.build(["ab"], max_size="9")),
        (Vocab.build, ValueError, r"Expected order in \['freq', 'sorted'\], got 'random'",
         lambda: Vocab.build(["ab"], order="random")),
        (Vocab.encode, TypeError, "Expected a string or a sequence of strings", lambda: vocab().encode([1, 2])),
        (Vocab.encode, TypeError, "Expected tokens to be a string or a sequence of strings, got int",
         lambda: vocab().encode(5)),
        (Vocab.encode, TypeError, "Expected add_bos to be a bool, got int", lambda: vocab().encode("ab", add_bos=2)),
        (Vocab.encode, TypeError, "Expected add_eos to be a bool, got str",
         lambda: vocab().encode("ab", add_eos="yes")),
        (Vocab.decode, TypeError, "Expected integer ids, got <U1", lambda: vocab().decode(["a"])),
        (Vocab.decode, TypeError, "Expected integer ids, got float64", lambda: vocab().decode([2.7, 1.0])),
        (Vocab.decode, TypeError, "Expected integer ids, got str", lambda: vocab().decode("12")),
        (Vocab.decode, TypeError, "Expected integer ids, got bool", lambda: vocab().decode(np.array([True]))),
        (Vocab.decode, TypeError, "Expected integer ids, got float32", lambda: vocab().decode(torch.zeros(2))),
        (Vocab.decode, ValueError, r"Expected ids in \[0, 7\) or -100, got 99", lambda: vocab().decode([4, 99])),
        (Vocab.decode, TypeError, "Expected sep to be None or a str, got int", lambda: vocab().decode([4], sep=0)),
        (Vocab.decode, TypeError, "Expected skip_specials to be a bool, got NoneType",
         lambda: vocab().decode([4], skip_specials=None)),
        (Vocab.decode, TypeError, "Expected stop_at_eos to be a bool, got int",
         lambda: vocab().decode([4], stop_at_eos=0)),
        (Vocab.encode_batch, TypeError, "Expected texts to be a list .* of tokens, got str",
         lambda: vocab().encode_batch("ab")),
        (Vocab.encode_batch, ValueError, "Expected at least one sequence, got 0", lambda: vocab().encode_batch([])),
        (Vocab.encode_batch, TypeError, "Expected add_bos to be a bool",
         lambda: vocab().encode_batch(["ab"], add_bos=1)),
        (Vocab.from_dict, TypeError, r"Expected d to be a dict \{'itos': \[...\]\}, got list",
         lambda: Vocab.from_dict(["<pad>"])),
        (Vocab.from_dict, ValueError, r"Expected d to hold 'itos', got keys \['tokens'\]",
         lambda: Vocab.from_dict({"tokens": []})),
        (Vocab.from_dict, ValueError, "Expected itos to start with", lambda: Vocab.from_dict({"itos": ["a"]})),
        (Vocab.from_dict, TypeError, r"Expected d\['itos'\] to be a list .* of tokens, got str",
         lambda: Vocab.from_dict({"itos": "abc"})),
    ]
    return [bad(*row) for row in rows]


def synthetic_cases():
    rows = [
        (Y.adding_problem, ValueError, "Expected n >= 1, got 0", lambda: Y.adding_problem(0)),
        (Y.adding_problem, TypeError, "Expected n to be an int, got float", lambda: Y.adding_problem(2.5)),
        (Y.adding_problem, ValueError, "Expected T >= 2, got 1", lambda: Y.adding_problem(5, T=1)),
        (Y.adding_problem, ValueError, r"Expected markers in \['anywhere', 'halves'\], got 'middle'",
         lambda: Y.adding_problem(5, markers="middle")),
        (Y.adding_problem, ValueError, "Expected seed >= 0, got -1", lambda: Y.adding_problem(5, seed=-1)),
        (Y.adding_problem, TypeError, "Expected seed to be an int, got str", lambda: Y.adding_problem(5, seed="abc")),
        (Y.copy_task, ValueError, "Expected lag >= 0, got -1", lambda: Y.copy_task(5, lag=-1)),
        (Y.copy_task, TypeError, "Expected one_hot to be a bool, got int", lambda: Y.copy_task(5, one_hot=1)),
        (Y.copy_task, ValueError, "Expected n_symbols >= 1, got 0", lambda: Y.copy_task(5, n_symbols=0)),
        (Y.delayed_recall, ValueError, "Expected lag < T = 10", lambda: Y.delayed_recall(5, T=10, lag=10)),
        (Y.delayed_recall, TypeError, "Expected one_hot to be a bool, got str",
         lambda: Y.delayed_recall(5, one_hot="no")),
        (Y.noisy_sines, ValueError, "Expected noise_std >= 0, got -0.1", lambda: Y.noisy_sines(5, noise_std=-0.1)),
        (Y.noisy_sines, ValueError, "Expected noise_std to be a finite number, got inf",
         lambda: Y.noisy_sines(5, noise_std=float("inf"))),
        (Y.noisy_sines, TypeError, "Expected noise_std to be a number, got str",
         lambda: Y.noisy_sines(5, noise_std="0.1")),
        (Y.noisy_sines, ValueError, "Expected horizon >= 1, got 0", lambda: Y.noisy_sines(5, horizon=0)),
        (Y.noisy_sines, ValueError, "Expected period_range low <= high",
         lambda: Y.noisy_sines(5, period_range=(30, 10))),
        (Y.noisy_sines, ValueError, r"Expected period_range\[0\] >= 2, got 1",
         lambda: Y.noisy_sines(5, period_range=(1, 10))),
        (Y.noisy_sines, TypeError, r"Expected period_range to be \(low, high\), got 8",
         lambda: Y.noisy_sines(5, period_range=8)),
        (Y.sine_series, ValueError, "Expected length >= 1, got 0", lambda: Y.sine_series(0)),
        (Y.sine_series, TypeError, "Expected n_components to be an int, got float",
         lambda: Y.sine_series(10, n_components=2.0)),
    ]
    return [bad(*row) for row in rows]


def batching_cases():
    rows = [
        (B.pad_sequences, TypeError, "Expected seqs to be a list or tuple of sequences, got ndarray",
         lambda: B.pad_sequences(np.zeros((2, 3)))),
        (B.pad_sequences, ValueError, "Expected at least one sequence, got 0", lambda: B.pad_sequences([])),
        (B.pad_sequences, ValueError, "Expected max_len >= the longest sequence",
         lambda: B.pad_sequences([[1, 2]], max_len=1)),
        (B.pad_sequences, TypeError, "Expected max_len to be an int or None|Expected max_len to be an int",
         lambda: B.pad_sequences([[1, 2]], max_len="3")),
        (B.lengths_to_mask, TypeError, "Expected integer lengths, got dtype float64", lambda: B.lengths_to_mask([1.5])),
        (B.lengths_to_mask, ValueError, "Expected lengths >= 0, got -1", lambda: B.lengths_to_mask([-1])),
        (B.lengths_to_mask, ValueError, r"Expected T >= max\(lengths\) = 3, got 2",
         lambda: B.lengths_to_mask([3, 1], T=2)),
        (B.lengths_to_mask, ValueError, r"Expected lengths of shape \(N,\), got \(1, 2\)",
         lambda: B.lengths_to_mask([[1, 2]])),
        (B.split_indices, ValueError, "Expected n >= 1, got 0", lambda: B.split_indices(0)),
        (B.split_indices, TypeError, "Expected n to be an int, got float", lambda: B.split_indices(10.0)),
        (B.split_indices, ValueError, r"Expected fractions\[1\] in \[0, 1\], got 1.5",
         lambda: B.split_indices(10, (0.5, 1.5, 0.1))),
        (B.split_indices, TypeError, "Expected fractions to be a sequence of 3 numbers",
         lambda: B.split_indices(10, 0.8)),
        (B.split_indices, ValueError, "Expected seed >= 0, got -1", lambda: B.split_indices(10, seed=-1)),
        (B.batch_iterator, ValueError, "Expected batch_size >= 1, got 0",
         lambda: list(B.batch_iterator(np.arange(3), batch_size=0))),
        (B.batch_iterator, ValueError, "Expected arrays with the same first dimension",
         lambda: B.batch_iterator(np.arange(3), np.arange(4))),
        (B.batch_iterator, ValueError, "Expected at least one array, got 0", lambda: B.batch_iterator()),
        (B.batch_iterator, TypeError, "Expected seed to be an int, got float",
         lambda: B.batch_iterator(np.arange(3), seed=0.5)),
        (B.bucket_batches, ValueError, "Expected non-empty lengths of shape", lambda: B.bucket_batches([], 4)),
        (B.bucket_batches, ValueError, "Expected batch_size >= 1, got -4", lambda: B.bucket_batches([1, 2], -4)),
        (B.to_dataloader, ValueError, "Expected batch_size >= 1, got -2",
         lambda: B.to_dataloader(np.arange(3), batch_size=-2)),
        (B.to_dataloader, ValueError, "Expected float_dtype 'float32' or 'float64', got 'half'",
         lambda: B.to_dataloader(np.arange(3), float_dtype="half")),
        (B.to_dataloader, ValueError, "Expected seed >= 0, got -1", lambda: B.to_dataloader(np.arange(3), seed=-1)),
    ]
    return [bad(*row) for row in rows]


def series_cases():
    rows = [
        (S.load_series, ValueError, r"Expected name in \['co2', 'seattle_weather', 'stocks', 'sunspots'\], got 'airline'",
         lambda: S.load_series("airline")),
        (S.load_series, TypeError, r"Expected name in \[.*\], got int", lambda: S.load_series(3)),
        (S.load_series, ValueError, r"Expected clean in \['drop', 'interpolate', None\], got 'ffill'",
         lambda: S.load_series("co2", clean="ffill")),
        (S.clean_series, ValueError, r"Expected method in \['drop', 'interpolate'\], got 'mean'",
         lambda: S.clean_series(np.zeros(3), "mean")),
        (S.clean_series, TypeError, "Expected values to be numeric, got list of dtype <U1",
         lambda: S.clean_series(["a"])),
        (S.clean_series, ValueError, "Expected at least one row without missing values",
         lambda: S.clean_series(np.full(3, np.nan))),
        (S.Scaler, ValueError, r"Expected method in \['minmax', 'standard'\], got 'robust'",
         lambda: S.Scaler("robust")),
        (S.Scaler.fit, TypeError, "Expected values to be numeric, got str", lambda: S.Scaler().fit("abc")),
        (S.Scaler.fit, ValueError, r"Expected a non-empty \(T, k\) array without NaN to fit on, got shape \(3,\)",
         lambda: S.Scaler().fit(np.zeros(3))),
        (S.Scaler.transform, ValueError, "Expected a fitted Scaler", lambda: S.Scaler().transform(np.ones((2, 1)))),
        (S.Scaler.transform, ValueError, "Expected arrays whose last axis has 1 columns, got 2",
         lambda: S.Scaler().fit(np.ones((3, 1))).transform(np.ones((2, 2)))),
        (S.Scaler.transform, TypeError, "Expected values to be numeric",
         lambda: S.Scaler().fit(np.ones((3, 1))).transform([["x"]])),
        (S.Scaler.inverse_transform, ValueError, "Expected a fitted Scaler",
         lambda: S.Scaler().inverse_transform(np.ones((2, 1)))),
        (S.Scaler.inverse_transform, TypeError, "Expected values to be numeric, got a ragged list",
         lambda: S.Scaler().fit(np.ones((3, 1))).inverse_transform([[1.0], [1.0, 2.0]])),
        (S.make_windows, ValueError, "Expected a series of at least window",
         lambda: S.make_windows(np.arange(5.0), 4, 2)),
        (S.make_windows, ValueError, "without NaN", lambda: S.make_windows(np.array([1.0, np.nan, 2, 3]), 2)),
        (S.make_windows, ValueError, "Expected window >= 1, got 0", lambda: S.make_windows(np.arange(5.0), 0)),
        (S.make_windows, TypeError, "Expected stride to be an int, got float",
         lambda: S.make_windows(np.arange(5.0), 2, stride=1.0)),
        (S.make_windows, TypeError, "Expected a target column name or index, got float 0.5",
         lambda: S.make_windows(np.arange(5.0), 2, target=0.5)),
        (S.make_windows, ValueError, r"Expected a target column name or index in \[0, 1\), got 3",
         lambda: S.make_windows(np.arange(5.0), 2, target=3)),
        (S.make_windows, TypeError, "Expected values to be numeric", lambda: S.make_windows("abcdef", 2)),
        (S.make_forecasting_data, ValueError, "summing to <= 1",
         lambda: S.make_forecasting_data(np.arange(100.0), fractions=(0.7, 0.3, 0.2))),
        (S.make_forecasting_data, TypeError, "3 numbers",
         lambda: S.make_forecasting_data(np.arange(100.0), fractions=(0.5, 0.5))),
        (S.make_forecasting_data, ValueError, "val part to hold",
         lambda: S.make_forecasting_data(np.arange(100.0), window=60)),
        (S.make_forecasting_data, ValueError, r"Expected scale in \['minmax', 'standard', None\], got 'log'",
         lambda: S.make_forecasting_data(np.arange(100.0), scale="log")),
        (S.make_forecasting_data, TypeError, r"Expected source to be numeric, got dict",
         lambda: S.make_forecasting_data({"x": 1})),
        (S.make_forecasting_data, ValueError, r"Expected a name or a \(T,\) / \(T, k\) array, got shape \(\)",
         lambda: S.make_forecasting_data(3.0)),
        (S.make_forecasting_data, ValueError, "Expected 1 column names, got 2",
         lambda: S.make_forecasting_data(np.arange(100.0), columns=["a", "b"])),
    ]
    return [bad(*row) for row in rows]


def text_cases():
    from course_pkg.data import dates, digits, ner, poetry, sentiment, text
    rows = [
        (text.load_names, ValueError, r"Expected kind in \[.*\], got 'nick'", lambda: text.load_names("nick")),
        (text.load_names, TypeError, r"Expected kind in \[.*\], got list", lambda: text.load_names(["first"])),
        (dates.parse_date, TypeError, "Expected text to be a str, got int", lambda: dates.parse_date(20240102)),
        (dates.parse_date, ValueError, "day is out of range|Expected", lambda: dates.parse_date("31/02/2024")),
        (text.names_dataset, ValueError, r"Expected kind in \[.*\], got 'middle'",
         lambda: text.names_dataset("middle")),
        (text.names_dataset, TypeError, "Expected kind in", lambda: text.names_dataset(3)),
        (sentiment.sentiment_dataset, ValueError, "Expected n_train >= 1, got 0",
         lambda: sentiment.sentiment_dataset(n_train=0)),
        (sentiment.sentiment_dataset, TypeError, "Expected n_test to be an int, got float",
         lambda: sentiment.sentiment_dataset(n_test=10.0)),
        (sentiment.sentiment_dataset, ValueError, r"Expected split in \['combos', 'random'\], got 'words'",
         lambda: sentiment.sentiment_dataset(split="words")),
        (sentiment.sentiment_dataset, ValueError, "Expected seed >= 0", lambda: sentiment.sentiment_dataset(seed=-1)),
        (ner.ner_dataset, ValueError, "Expected n_train >= 1, got 0", lambda: ner.ner_dataset(n_train=0)),
        (ner.ner_dataset, TypeError, "Expected n_val to be an int, got str", lambda: ner.ner_dataset(n_val="10")),
        (ner.ner_dataset, ValueError, r"Expected split in \['random', 'templates'\], got 'frames'",
         lambda: ner.ner_dataset(split="frames")),
        (ner.ner_dataset, ValueError, "Expected at least one test template and one of ner.TEMPLATES left for "
         "training, got 0 test and 16 training templates",
         lambda: ner.ner_dataset(split="templates", test_templates=())),
        (ner.bio_spans, ValueError, r"Expected a tag in \('O', 'B-PER', .*\), got 'X-PER'",
         lambda: ner.bio_spans(["X-PER"])),
        (ner.bio_spans, ValueError, "Expected B-PER or I-PER before I-PER at 1, got O",
         lambda: ner.bio_spans(["O", "I-PER"])),
        (ner.bio_spans, TypeError, r"Expected tags\[0\] to be a str, got int", lambda: ner.bio_spans([1])),
        (ner.bio_spans, TypeError, "Expected tags to be a sequence of str tags, got str",
         lambda: ner.bio_spans("B-PER")),
        (dates.dates_dataset, ValueError, "Expected n_val >= 1, got 0", lambda: dates.dates_dataset(n_val=0)),
        (dates.dates_dataset, ValueError, r"Expected split in \['formats', 'random'\], got 'weekday'",
         lambda: dates.dates_dataset(split="weekday")),
        (dates.format_date, ValueError, r"Expected fmt in \[.*\], got 'klingon'",
         lambda: dates.format_date(__import__("datetime").date(2000, 1, 2), "klingon")),
        (digits.digits_captions, ValueError, r"Expected level in \['char', 'word'\], got 'pixel'",
         lambda: digits.digits_captions("pixel")),
        (digits.digits_rows, ValueError, "Expected every fraction > 0", lambda: digits.digits_rows((0.9, 0.1, 0.0))),
        (poetry.couplets_dataset, ValueError, r"Expected line length in \[5, 7\], got 6",
         lambda: poetry.couplets_dataset(6)),
        (poetry.couplets_dataset, TypeError, "Expected line_lengths to be 5, 7 or a tuple of them, got '5'",
         lambda: poetry.couplets_dataset("5")),
        (poetry.couplets_dataset, ValueError, "Expected max_poems >= 1, got 0",
         lambda: poetry.couplets_dataset(max_poems=0)),
        (poetry.couplets_dataset, ValueError, "Expected every fraction > 0",
         lambda: poetry.couplets_dataset(fractions=(1.0, 0.0, 0.0))),
        (poetry.poems_dataset, TypeError, "Expected punctuation to be a bool, got int",
         lambda: poetry.poems_dataset(punctuation=1)),
        (poetry.poems_dataset, ValueError, "Expected seed >= 0", lambda: poetry.poems_dataset(seed=-1)),
    ]
    return [bad(*row) for row in rows]


CASES = load_and_vocab_cases() + synthetic_cases() + batching_cases() + series_cases() + text_cases()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_call(case):
    check(case)
