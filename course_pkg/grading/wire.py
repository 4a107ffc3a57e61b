"""Plain data between the grader and the process that runs a learner's code.

Values travel as JSON trees of tagged nodes, never as pickles, so that decoding cannot run
code. Each node is a list whose first item is a tag:

=========  =======================================  ===========================================
tag        node                                     value
=========  =======================================  ===========================================
``n``      ``["n"]``                                ``None``
``b``      ``["b", true]``                          a bool
``i``      ``["i", "12"]``                          an int (as text, at most 64 digits)
``f``      ``["f", "0.5"]``                         a float (``repr``, so NaN and inf survive)
``s``      ``["s", "text"]``                        a str (cut to :data:`MAX_STR` characters)
``a``      ``["a", "<base64 of .npy bytes>"]``      a NumPy array of numbers or bools
``t``/``l`` ``["t", [node, ...]]``                  a tuple / a list
``d``      ``["d", [[key node, node], ...]]``       a dict with str or int keys
``o``      ``["o", "TypeName"]``                    anything else: only its type name travels
``r``      ``["r", call, item]``                    in a plan only: an earlier call's result
=========  =======================================  ===========================================

:func:`decode` treats its input as hostile: it checks every tag, size and dtype and raises
:class:`WireError` on anything else. Arrays are read with ``allow_pickle=False``.

Frames. The child sends its results as frames on a pipe that only the grader's harness
writes to by design: ``b"<token> <length>\\n" + json + b"\\n"``, where ``token`` is a random
string chosen by the parent for this run. :func:`read_frames` accepts a stream only when
every frame carries that token and its exact length.
"""
from __future__ import annotations

import base64
import hmac
import io
import json
from dataclasses import dataclass

import numpy as np

MAX_DEPTH = 8
MAX_ITEMS = 1000
MAX_STR = 1000
MAX_INT_DIGITS = 64
MAX_ARRAY_BYTES = 8 * 1024 * 1024
MAX_FRAME_BYTES = 32 * 1024 * 1024
ARRAY_KINDS = "biufc"


class WireError(ValueError):
    """Raised when data from the learner's process is not what the protocol allows."""


@dataclass(frozen=True)
class Opaque:
    """A value that could not travel as data; only its type name did."""

    type_name: str

    def __str__(self):
        return f"a {self.type_name}"


@dataclass(frozen=True)
class Ref:
    """In a plan: the result of an earlier call of the same test, or one item of it.

    Attributes:
        call: index of the earlier call in the test's ``calls``.
        item: index into that call's result (``None``: the whole result).
    """

    call: int
    item: int | None = None


# --------------------------------------------------------------------------- encoding

def type_name(value):
    """The short type name of ``value`` (``"ndarray"``, ``"Tensor"``, ...), at most 80 characters."""
    return type(value).__name__[:80]


def encode(value, depth=0):
    """Encode ``value`` as a JSON-ready node; what cannot travel becomes ``["o", type name]``.

    Args:
        value: any Python object; containers deeper than :data:`MAX_DEPTH` or longer than
            :data:`MAX_ITEMS`, arrays over :data:`MAX_ARRAY_BYTES` and arrays of objects
            become opaque.
        depth: the current nesting depth (internal).

    Returns:
        A node (see the module docstring).
    """
    if value is None:
        return ["n"]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        text = str(value)
        return ["i", text] if len(text) <= MAX_INT_DIGITS else ["o", "int (too large)"]
    if isinstance(value, float):
        return ["f", repr(float(value))]
    if isinstance(value, str):
        return ["s", value[:MAX_STR]]
    if isinstance(value, Ref):
        return ["r", value.call, value.item]
    if isinstance(value, (np.ndarray, np.generic)):
        return encode_array(np.asarray(value))
    if depth >= MAX_DEPTH:
        return ["o", f"{type_name(value)} (nested too deep)"]
    return encode_container(value, depth)


def encode_array(array):
    """The node of a NumPy array, or an opaque node when it is too large or not numeric."""
    if array.dtype.kind not in ARRAY_KINDS:
        return ["o", f"ndarray of {array.dtype}"]
    if array.nbytes > MAX_ARRAY_BYTES:
        return ["o", f"ndarray of shape {array.shape} (too large)"]
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return ["a", base64.b64encode(buffer.getvalue()).decode("ascii")]


def encode_container(value, depth):
    """The node of a tuple, list or dict (exact types only); other objects become opaque."""
    kind = type(value)
    if kind not in (tuple, list, dict) or len(value) > MAX_ITEMS:
        return ["o", type_name(value)]
    if kind is dict:
        if not all(type(k) in (str, int) for k in value):
            return ["o", "dict with keys that are not str or int"]
        return ["d", [[encode(k), encode(v, depth + 1)] for k, v in value.items()]]
    return ["t" if kind is tuple else "l", [encode(v, depth + 1) for v in value]]


# --------------------------------------------------------------------------- decoding

def decode(node, allow_refs=False, depth=0):
    """Decode a node made by :func:`encode`, checking everything.

    Args:
        node: a JSON value, from an untrusted source.
        allow_refs: accept ``["r", ...]`` nodes (plans only, never results).
        depth: the current nesting depth (internal).

    Returns:
        ``None``, a bool, int, float, str, ndarray, tuple, list, dict, :class:`Opaque` or
        :class:`Ref`.

    Raises:
        WireError: on a node the protocol does not allow.
    """
    if not isinstance(node, list) or not node or not isinstance(node[0], str):
        raise WireError(f"Expected a tagged node, got {type(node).__name__}")
    if depth > MAX_DEPTH + 1:
        raise WireError(f"Expected data nested at most {MAX_DEPTH} deep, got deeper")
    tag, args = node[0], node[1:]
    decoder = _DECODERS.get(tag)
    if decoder is None or (tag == "r" and not allow_refs):
        raise WireError(f"Expected a known tag, got {tag[:10]!r}")
    return decoder(args, allow_refs, depth)


def _arg(args, kind, limit=None):
    """The single argument of a node, checked to be of type ``kind`` (and at most ``limit`` long)."""
    if len(args) != 1 or type(args[0]) is not kind:
        raise WireError(f"Expected one {kind.__name__} in the node, got {args!r:.60}")
    if limit is not None and len(args[0]) > limit:
        raise WireError(f"Expected at most {limit} items, got {len(args[0])}")
    return args[0]


def _decode_none(args, allow_refs, depth):
    if args:
        raise WireError("Expected no argument for None")


def _decode_int(args, allow_refs, depth):
    text = _arg(args, str, MAX_INT_DIGITS + 1)
    try:
        return int(text)
    except ValueError:
        raise WireError(f"Expected an integer, got {text!r:.40}") from None


def _decode_float(args, allow_refs, depth):
    text = _arg(args, str, 40)
    try:
        return float(text)
    except ValueError:
        raise WireError(f"Expected a float, got {text!r:.40}") from None


def _decode_array(args, allow_refs, depth):
    text = _arg(args, str, 4 * MAX_ARRAY_BYTES // 3 + 1024)
    try:
        raw = base64.b64decode(text, validate=True)
        array = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
    except Exception as err:   # noqa: BLE001 - any failure to parse is a protocol error
        raise WireError(f"Expected .npy bytes, got unreadable data ({type(err).__name__})") from None
    if array.dtype.kind not in ARRAY_KINDS:
        raise WireError(f"Expected an array of numbers, got dtype {array.dtype}")
    return array


def _decode_items(args, allow_refs, depth):
    return [decode(item, allow_refs, depth + 1) for item in _arg(args, list, MAX_ITEMS)]


def _decode_dict(args, allow_refs, depth):
    out = {}
    for pair in _arg(args, list, MAX_ITEMS):
        if not isinstance(pair, list) or len(pair) != 2:
            raise WireError("Expected [key, value] pairs in a dict node")
        key = decode(pair[0], False, depth + 1)
        if type(key) not in (str, int):
            raise WireError(f"Expected a str or int key, got {type(key).__name__}")
        out[key] = decode(pair[1], allow_refs, depth + 1)
    return out


def _decode_ref(args, allow_refs, depth):
    if len(args) != 2 or type(args[0]) is not int or not (args[1] is None or type(args[1]) is int):
        raise WireError("Expected a ref node [\"r\", call, item]")
    return Ref(*args)


_DECODERS = {
    "n": _decode_none,
    "b": lambda args, *_: _arg(args, bool),
    "i": _decode_int,
    "f": _decode_float,
    "s": lambda args, *_: _arg(args, str, MAX_STR),
    "a": _decode_array,
    "t": lambda args, allow_refs, depth: tuple(_decode_items(args, allow_refs, depth)),
    "l": _decode_items,
    "d": _decode_dict,
    "o": lambda args, *_: Opaque(_arg(args, str, 200)),
    "r": _decode_ref,
}


# --------------------------------------------------------------------------- frames

def frame(token, message):
    """The bytes of one frame: ``b"<token> <length>\\n" + JSON of message + b"\\n"``."""
    payload = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return f"{token} {len(payload)}\n".encode("ascii") + payload + b"\n"


def read_frames(data, token):
    """Split a byte stream into the messages of its frames, accepting only well-formed ones.

    Args:
        data: what came out of the result pipe.
        token: the run's token; a frame with another one is rejected.

    Returns:
        ``(messages, problem)``: the JSON objects of the valid frames before the first invalid
        one, and ``None`` or a description of what was wrong after them.
    """
    messages, pos = [], 0
    while pos < len(data):
        end = data.find(b"\n", pos, pos + 128)
        header = data[pos:end].split(b" ") if end >= 0 else []
        if len(header) != 2 or not hmac.compare_digest(header[0], token.encode("ascii")):
            return messages, "data without the run's token on the result channel"
        if not header[1].isdigit() or int(header[1]) > MAX_FRAME_BYTES:
            return messages, "a frame of invalid length on the result channel"
        start, stop = end + 1, end + 1 + int(header[1])
        if data[stop:stop + 1] != b"\n":
            return messages, "a truncated frame on the result channel"
        try:
            message = json.loads(data[start:stop], parse_constant=_reject_constant)
        except ValueError:
            return messages, "a frame that is not JSON on the result channel"
        if not isinstance(message, dict):
            return messages, "a frame that is not a JSON object on the result channel"
        messages.append(message)
        pos = stop + 1
    return messages, None


def _reject_constant(name):
    raise ValueError(f"Expected no {name} in a frame")
