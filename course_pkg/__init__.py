"""course_pkg: the code behind the open course on recurrent neural networks.

Models are written once over NumPy or PyTorch arrays and shaped like their
``torch.nn`` namesakes; see the book's chapters for the equations.
"""
from .rnn import RNN, RNNCell, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

__version__ = "0.1.0"

__all__ = ["RNN", "RNNCell", "rnn_forward", "rnn_backward", "rnn_step_forward", "rnn_step_backward",
           "__version__"]
