"""Bytes that cross the sandbox boundary: the framing both directions share, and the results coming out.

A frame is a 4-byte big-endian length, then that many bytes. Going in (grader.harness.encode_payload, trusted
encoder): one JSON frame with the student source and the calls, then one frame of the input arrays' raw bytes,
aligned so the child uses them in place. Coming out: result records, each a small JSON header frame (with its
`blobs` count) followed by that many `.npy` frames, which the parent parses strictly: bounded JSON, bounded
tree shape, and `.npy` frames checked byte by byte (magic, version, header size, numeric descr, C order,
shape * itemsize == frame length) before any array is built. No pickle, no objects.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_HEADER_BYTES = 16 * 1024
MAX_BLOBS_PER_RECORD = 64
MAX_TREE_DEPTH = 4
MAX_KEY_CHARS = 64
MAX_NDIM = 8
NPY_MAGIC = b"\x93NUMPY"
# dtypes a student's result may have: numbers only. Object, string, void and datetime never cross.
ALLOWED_DESCR = frozenset(
    {"<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1", "<c16", "<c8"}
)


class WireError(ValueError):
    """The child sent bytes that do not follow the protocol. Treated as the student's malformed output."""


def frame(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def iter_frames(data: bytes | memoryview) -> Iterator[memoryview]:
    view = memoryview(data)
    pos = 0
    while pos < len(view):
        if pos + 4 > len(view):
            raise WireError("truncated frame length")
        (n,) = struct.unpack(">I", view[pos : pos + 4])
        pos += 4
        if pos + n > len(view):
            raise WireError("truncated frame")
        yield view[pos : pos + n]
        pos += n


def npy_bytes(arr: np.ndarray[Any, Any]) -> bytes:
    """`.npy` version 1.0 bytes, header exactly as NumPy writes it (np.load reads them back)."""
    arr = np.asarray(arr)
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")  # not np.ascontiguousarray: it turns 0-d arrays into 1-d ones
    shape = repr(tuple(int(d) for d in arr.shape))
    header = f"{{'descr': '{arr.dtype.str}', 'fortran_order': False, 'shape': {shape}, }}"
    pad = 64 - (10 + len(header) + 1) % 64
    head = (header + " " * (pad % 64) + "\n").encode("latin1")
    return NPY_MAGIC + b"\x01\x00" + struct.pack("<H", len(head)) + head + arr.tobytes()


# The only header layout accepted: what NumPy (and npy_bytes) write. Parsed by pattern, never evaluated.
_NPY_HEADER = re.compile(
    r"\{'descr': '(?P<descr>[^'\\]{1,16})', 'fortran_order': (?P<fortran>False|True), "
    r"'shape': \((?P<shape>(?:[0-9]{1,13}, ?)*[0-9]{0,13}),?\)(?:, )?\} *\n?"
)


def parse_npy(blob: memoryview | bytes, max_elements: int) -> np.ndarray[Any, Any]:
    """Strict `.npy` parser: everything is checked before data is touched; returns a private copy."""
    view = memoryview(blob)
    if len(view) < 10 or bytes(view[:6]) != NPY_MAGIC:
        raise WireError("not an .npy array")
    major = view[6]
    if major == 1:
        (hlen,) = struct.unpack("<H", view[8:10])
        start = 10
    elif major in (2, 3):
        if len(view) < 12:
            raise WireError("truncated .npy header")
        (hlen,) = struct.unpack("<I", view[8:12])
        start = 12
    else:
        raise WireError("unknown .npy version")
    if hlen > 4096 or start + hlen > len(view):
        raise WireError(".npy header too large")
    match = _NPY_HEADER.fullmatch(bytes(view[start : start + hlen]).decode("latin1"))
    if match is None:
        raise WireError("bad .npy header")
    descr = match["descr"]
    if descr not in ALLOWED_DESCR:
        raise WireError(f"dtype {descr!r} not allowed")
    if match["fortran"] != "False":
        raise WireError("fortran order not allowed")
    shape = tuple(int(d) for d in match["shape"].replace(" ", "").split(",") if d)
    if len(shape) > MAX_NDIM or not all(d <= 2**40 for d in shape):
        raise WireError("bad shape")
    count = 1
    for d in shape:
        count *= d
    if count > max_elements:
        raise WireError("array too large")
    dtype = np.dtype(descr)
    data = view[start + hlen :]
    if len(data) != count * dtype.itemsize:
        raise WireError("byte count does not match shape")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


# ---------------------------------------------------------------- value trees (both directions)
#
# node := {"t": "a", "i": k}                      array k of the record's blobs
#       | {"t": "s", "i": k}                      a scalar (Python or NumPy number) as a 0-d array
#       | {"t": "f", "v": 1.5}                    a Python float (inputs only: max_norm)
#       | {"t": "d", "k": [key...], "v": [node...]}
#       | {"t": "q", "c": "tuple"|"list", "v": [node...]}
#       | {"t": "n"}                              None
#       | {"t": "o", "c": "type name"}            anything else: only its type name crosses
#       | {"t": "big", "shape": [...], "dtype": "float64"}   an array over the size cap (not sent)


@dataclass(frozen=True)
class Opaque:
    """A student value that did not cross: we know only its type name (or its claimed shape)."""

    type_name: str
    shape: tuple[int, ...] | None = None
    dtype: str | None = None


def encode_value(value: Any, blobs: list[bytes], max_blob_bytes: int | None = None) -> dict[str, Any]:
    """Encode a value into a node, appending arrays to `blobs`. The child uses it for results: whatever the
    student returned is reduced to data or a name. Without `max_blob_bytes` (tests, trusted callers) a
    Python float stays a JSON number."""
    if value is None:
        return {"t": "n"}
    if isinstance(value, np.ndarray):
        arr = np.asarray(value)
        if type(value) is not np.ndarray:
            arr = value.view(np.ndarray)
        if arr.dtype.kind not in "biufc" or arr.dtype.byteorder == ">":
            return {"t": "o", "c": f"ndarray[{arr.dtype.name}]"[:MAX_KEY_CHARS]}
        if max_blob_bytes is not None and arr.nbytes > max_blob_bytes:
            return {"t": "big", "shape": [int(d) for d in arr.shape][:MAX_NDIM], "dtype": arr.dtype.name}
        blobs.append(npy_bytes(arr))
        return {"t": "a", "i": len(blobs) - 1}
    if isinstance(value, bool):
        return {"t": "o", "c": "bool"}
    if isinstance(value, float) and type(value) is float:
        return {"t": "f", "v": value} if max_blob_bytes is None else _scalar(value, blobs)
    if isinstance(value, int | float | np.number):
        return _scalar(value, blobs)
    if isinstance(value, dict):
        keys = list(value.keys())
        if not all(isinstance(k, str) for k in keys):
            return {"t": "o", "c": "dict with non-string keys"}
        return {
            "t": "d",
            "k": [k[:MAX_KEY_CHARS] for k in keys],
            "v": [encode_value(value[k], blobs, max_blob_bytes) for k in keys],
        }
    if isinstance(value, tuple | list):
        return {
            "t": "q",
            "c": "tuple" if isinstance(value, tuple) else "list",
            "v": [encode_value(v, blobs, max_blob_bytes) for v in value],
        }
    return {"t": "o", "c": type(value).__name__[:MAX_KEY_CHARS]}


def _scalar(value: Any, blobs: list[bytes]) -> dict[str, Any]:
    arr = np.asarray(value)
    if arr.dtype.kind not in "biufc":
        return {"t": "o", "c": type(value).__name__[:MAX_KEY_CHARS]}
    blobs.append(npy_bytes(arr))
    return {"t": "s", "i": len(blobs) - 1}


def decode_value(node: Any, blobs: list[np.ndarray[Any, Any]], depth: int = 0) -> Any:
    """Rebuild a value from a node. Strict: anything off-protocol raises WireError."""
    if depth > MAX_TREE_DEPTH or not isinstance(node, dict):
        raise WireError("bad tree")
    t = node.get("t")
    if t == "n":
        return None
    if t in ("a", "s"):
        i = node.get("i")
        if type(i) is not int or not 0 <= i < len(blobs):
            raise WireError("bad blob index")
        arr = blobs[i]
        if t == "s":
            if arr.shape != ():
                raise WireError("scalar is not 0-d")
            return arr[()]
        return arr
    if t == "f":
        v = node.get("v")
        if not isinstance(v, float | int) or isinstance(v, bool):
            raise WireError("bad float")
        return float(v)
    if t == "d":
        keys, vals = node.get("k"), node.get("v")
        if (
            not isinstance(keys, list)
            or not isinstance(vals, list)
            or len(keys) != len(vals)
            or len(keys) > MAX_BLOBS_PER_RECORD
            or not all(isinstance(k, str) and len(k) <= MAX_KEY_CHARS for k in keys)
        ):
            raise WireError("bad dict")
        return {k: decode_value(v, blobs, depth + 1) for k, v in zip(keys, vals, strict=True)}
    if t == "q":
        vals, kind = node.get("v"), node.get("c")
        if not isinstance(vals, list) or len(vals) > MAX_BLOBS_PER_RECORD or kind not in ("tuple", "list"):
            raise WireError("bad sequence")
        items = [decode_value(v, blobs, depth + 1) for v in vals]
        return tuple(items) if kind == "tuple" else items
    if t == "o":
        c = node.get("c")
        if not isinstance(c, str):
            raise WireError("bad type name")
        return Opaque(type_name=c[:MAX_KEY_CHARS])
    if t == "big":
        shape, dtype = node.get("shape"), node.get("dtype")
        if (
            not isinstance(shape, list)
            or len(shape) > MAX_NDIM
            or not all(type(d) is int and d >= 0 for d in shape)
            or not isinstance(dtype, str)
        ):
            raise WireError("bad big-array note")
        return Opaque(type_name="ndarray", shape=tuple(shape), dtype=dtype[:16])
    raise WireError("unknown node")


def encode_record(header: dict[str, Any], blobs: list[bytes]) -> bytes:
    header = dict(header, blobs=len(blobs))
    out = [frame(json.dumps(header, separators=(",", ":")).encode())]
    out.extend(frame(b) for b in blobs)
    return b"".join(out)


def decode_records(data: bytes, max_elements: int) -> list[tuple[dict[str, Any], list[np.ndarray[Any, Any]]]]:
    """Parse a stream of records. A damaged tail (the child died mid-write) ends the list cleanly;
    everything before it stands."""
    stream = RecordStream(max_elements)
    stream.feed(data)
    return stream.records


class RecordStream:
    """The result records parsed as the child's bytes arrive (it writes one record per call), so the trusted
    side can judge a call while the child runs the next. Fed in any pieces, it yields exactly what
    `decode_records` yields for all the bytes at once: the records up to the first damaged one (nothing
    after it is read); a record cut short by the end of the bytes is not one."""

    def __init__(self, max_elements: int) -> None:
        self.max_elements = max_elements
        self.records: list[tuple[dict[str, Any], list[np.ndarray[Any, Any]]]] = []
        self._pending = b""  # bytes of the records not complete yet
        self._damaged = False

    def feed(self, data: bytes) -> list[tuple[dict[str, Any], list[np.ndarray[Any, Any]]]]:
        """Add bytes; return the records they completed."""
        if self._damaged:
            return []
        self._pending += data
        new: list[tuple[dict[str, Any], list[np.ndarray[Any, Any]]]] = []
        pos = 0
        while True:
            parsed = self._record_at(pos)
            if parsed is None:
                break
            record, pos = parsed
            new.append(record)
        self._pending = b"" if self._damaged else self._pending[pos:]
        self.records.extend(new)
        return new

    def _length_at(self, pos: int) -> int | None:
        """The length of the frame at `pos`, once its 4 bytes have arrived."""
        if pos + 4 > len(self._pending):
            return None
        (n,) = struct.unpack(">I", self._pending[pos : pos + 4])
        return int(n)

    def _frame_at(self, pos: int) -> tuple[memoryview, int] | None:
        n = self._length_at(pos)
        if n is None or pos + 4 + n > len(self._pending):
            return None
        return memoryview(self._pending)[pos + 4 : pos + 4 + n], pos + 4 + n

    def _record_at(self, pos: int) -> tuple[tuple[dict[str, Any], list[np.ndarray[Any, Any]]], int] | None:
        """The complete record at `pos` and where the next one starts; None if it is incomplete, or damaged
        (then nothing more is read)."""
        declared = self._length_at(pos)
        if declared is not None and declared > MAX_HEADER_BYTES:
            self._damaged = True  # a header this large is never accepted, whatever follows
            return None
        head = self._frame_at(pos)
        if head is None:
            return None
        try:
            header = json.loads(bytes(head[0]).decode("utf-8"))
            if not isinstance(header, dict):
                raise WireError("record header is not an object")
            n = header.get("blobs")
            if type(n) is not int or not 0 <= n <= MAX_BLOBS_PER_RECORD:
                raise WireError("bad blob count")
            frames: list[memoryview] = []
            end = head[1]
            for _ in range(n):
                blob = self._frame_at(end)
                if blob is None:
                    return None  # the rest of the record has not arrived (yet)
                frames.append(blob[0])
                end = blob[1]
            blobs = [parse_npy(f, self.max_elements) for f in frames]
        except (WireError, ValueError, UnicodeDecodeError, RecursionError):
            self._damaged = True
            return None
        return (header, blobs), end
