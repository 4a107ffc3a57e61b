"""Data for the course: every loader returns NumPy arrays, is seeded, and works offline.

Modules (each docstring names its source and licence):

- :mod:`~course_pkg.data.synthetic` — long-memory tasks: :func:`adding_problem`,
  :func:`copy_task`, :func:`delayed_recall`, :func:`noisy_sines`, :func:`sine_series`.
- :mod:`~course_pkg.data.series` — real series (statsmodels ``sunspots``, ``co2``;
  vega_datasets ``seattle_weather``, ``stocks``) and the forecasting pipeline
  :func:`make_forecasting_data` (clean, chronological split, train-only scaling, windows).
- :mod:`~course_pkg.data.vocab` — :class:`Vocab` with ``<pad> <unk> <bos> <eos>`` = 0..3.
- :mod:`~course_pkg.data.text` — census first names (``names`` package) for
  character-level language models.
- :mod:`~course_pkg.data.sentiment` — generated sentences with negation and contrast.
- :mod:`~course_pkg.data.ner` — Faker-filled sentences with BIO tags.
- :mod:`~course_pkg.data.dates` — human-written dates -> ISO, a seq2seq task.
- :mod:`~course_pkg.data.digits` — scikit-learn digits: captions (1 vs N), rows (N vs 1).
- :mod:`~course_pkg.data.poetry` — Tang couplets (N vs N) and quatrains, a committed extract
  of the MIT-licensed chinese-poetry corpus (``course_pkg/data/build_poetry.py`` made it).
- :mod:`~course_pkg.data.batching` — padding, masks, splits, batch iterators, DataLoaders.

:func:`load` reaches every data set by name; the optional packages (pandas, statsmodels,
vega_datasets, names, Faker, scikit-learn, torch) are imported only by the loaders that
need them.
"""
from . import batching, dates, digits, ner, poetry, sentiment, series, synthetic, text, vocab
from .. import _validate as V
from .batching import batch_iterator, bucket_batches, lengths_to_mask, pad_sequences, split_indices, to_dataloader
from .dates import dates_dataset, format_date, parse_date
from .digits import digits_captions, digits_rows, load_digit_images
from .ner import bio_spans, ner_dataset
from .poetry import couplets_dataset, load_poetry, poems_dataset
from .sentiment import sentiment_dataset
from .series import ForecastData, Scaler, clean_series, load_series, make_forecasting_data, make_windows
from .synthetic import adding_problem, copy_task, delayed_recall, noisy_sines, sine_series
from .text import load_names, names_dataset
from .vocab import IGNORE_INDEX, Vocab

DATASETS = {
    "adding": adding_problem,
    "copy": copy_task,
    "delayed_recall": delayed_recall,
    "sines": noisy_sines,
    "sunspots": lambda **kw: load_series("sunspots", **kw),
    "co2": lambda **kw: load_series("co2", **kw),
    "seattle_weather": lambda **kw: load_series("seattle_weather", **kw),
    "stocks": lambda **kw: load_series("stocks", **kw),
    "names": names_dataset,
    "sentiment": sentiment_dataset,
    "ner": ner_dataset,
    "dates": dates_dataset,
    "digits_captions": digits_captions,
    "digits_rows": digits_rows,
    "couplets": couplets_dataset,
    "poems": poems_dataset,
}


def load(name, *args, **kwargs):
    """Load a data set by name with its loader's arguments.

    Args:
        name: one of ``DATASETS``: ``adding``, ``copy``, ``delayed_recall``, ``sines``,
            ``sunspots``, ``co2``, ``seattle_weather``, ``stocks``, ``names``, ``sentiment``,
            ``ner``, ``dates``, ``digits_captions``, ``digits_rows``, ``couplets``, ``poems``.
        *args: passed to the loader (e.g. ``load("adding", 1000, T=100)``).
        **kwargs: passed to the loader too.

    Returns:
        Whatever the loader returns (see its docstring).

    Raises:
        TypeError: if ``name`` is not a string (and as the loader, for its arguments).
        ValueError: for an unknown name (the message lists the known ones), and as the loader.
    """
    V.check_choice("name", name, set(DATASETS))
    return DATASETS[name](*args, **kwargs)


__all__ = ["DATASETS", "load", "Vocab", "IGNORE_INDEX",
           "adding_problem", "copy_task", "delayed_recall", "noisy_sines", "sine_series",
           "load_series", "clean_series", "make_windows", "make_forecasting_data", "Scaler", "ForecastData",
           "load_names", "names_dataset", "sentiment_dataset", "ner_dataset", "bio_spans",
           "dates_dataset", "format_date", "parse_date",
           "digits_captions", "digits_rows", "load_digit_images",
           "couplets_dataset", "poems_dataset", "load_poetry",
           "pad_sequences", "lengths_to_mask", "split_indices", "batch_iterator", "bucket_batches",
           "to_dataloader",
           "batching", "dates", "digits", "ner", "poetry", "sentiment", "series", "synthetic", "text", "vocab"]
