"""course_pkg: the code behind the open course on recurrent neural networks.

Models are written once over NumPy or PyTorch arrays and shaped like their
``torch.nn`` namesakes; see the book's chapters for the equations. Data sets and
figures live in :mod:`course_pkg.data` and :mod:`course_pkg.plots`, imported on
demand (``from course_pkg import data, plots``), so the numerics never load them.
"""
from . import backend as _backend
from . import attention, gradcheck, heads, losses, metrics, optim, seq2seq, train
from .attention import Attention
from .gru import GRU, GRUCell, gru_backward, gru_forward, gru_step_backward, gru_step_forward
from .lstm import LSTM, LSTMCell, lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .heads import Embedding, Linear, SequenceClassifier, SequenceGenerator, SequenceTagger
from .losses import cross_entropy, mse_loss
from .optim import SGD, Adam, AdamW, clip_grad_norm_, clip_grad_value_
from .rnn import RNN, RNNCell, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from .seq2seq import Seq2Seq

__version__ = "0.1.0"

# One BLAS thread for the course's small matrices, unless the environment says otherwise.
_backend.limit_blas_threads()


def check(exercise, *parts):
    """Run the grader's public tests of an exercise on the functions defined in your notebook.

    Call it in the exercise's last cell, e.g. ``course_pkg.check("ex01_rnn_step")``: it prints a
    table with each test, its points, ✓ or ✗ and a one-line hint. After writing one function,
    ``course_pkg.check("ex01_rnn_step", "rnn_step_forward")`` runs that part's tests alone.
    Your code's errors, loops and prints are reported in the table, never raised. (The grading
    machinery is imported only here, so ``import course_pkg`` stays light.)

    Args:
        exercise: the exercise's name, the notebook's file name without ``.ipynb``.
        *parts: graded parts (the graded functions' names) whose tests to run; none: all.

    Raises:
        TypeError: if ``exercise`` or a part is not a str.
        ValueError: if no exercise has that name, or it has no such graded part.
    """
    import sys

    from .grading.check import check as run
    run(exercise, sys._getframe(1).f_globals, parts)


__all__ = ["RNN", "RNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell",
           "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
           "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
           "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
           "Attention", "Linear", "Embedding", "SequenceTagger", "SequenceClassifier", "SequenceGenerator",
           "Seq2Seq", "cross_entropy", "mse_loss", "SGD", "Adam", "AdamW", "clip_grad_norm_",
           "clip_grad_value_", "__version__"]
