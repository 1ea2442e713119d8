"""The child side: runs ONLY the student's code, on copies of the inputs, and writes raw results.

This module is imported by the sandbox zygote before any student code exists, so it must stay free of
secrets: it never imports the reference, the server, the settings or the comparison code. It compares
nothing; it reduces whatever the student returned to numbers and type names (grader.wire) and writes
framed records to `out_fd`. Everything it writes is untrusted by the parent.
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import time
import traceback
from typing import Any

import numpy as np

from grader import wire

_ALIGN = 16  # bytes: every input array starts at a multiple of this in the payload


def _pack(value: Any, chunks: list[bytes], offset: list[int]) -> Any:
    """Inputs travel as one raw byte buffer plus a JSON tree of (offset, dtype, shape): one copy in the
    child instead of one parse per array. This direction is trusted (parent to child)."""
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value).tobytes()
        node = {"t": "r", "o": offset[0], "d": value.dtype.str, "s": list(value.shape)}
        pad = -len(data) % _ALIGN  # keep every array aligned for fast NumPy access
        chunks.append(data + b"\0" * pad)
        offset[0] += len(data) + pad
        return node
    if isinstance(value, dict):
        return {"t": "d", "k": list(value), "v": [_pack(v, chunks, offset) for v in value.values()]}
    if isinstance(value, tuple | list):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"t": "q", "c": kind, "v": [_pack(v, chunks, offset) for v in value]}
    if isinstance(value, bool) or value is None:
        raise TypeError(f"cannot send {value!r} as a case input")
    if isinstance(value, int | float):
        return {"t": "f", "v": float(value)} if isinstance(value, float) else {"t": "i", "v": int(value)}
    raise TypeError(f"cannot send a {type(value).__name__} as a case input")


def _unpack(node: Any, buffer: bytearray | memoryview) -> Any:
    t = node["t"]
    if t == "r":
        dtype = np.dtype(node["d"])
        count = 1
        for d in node["s"]:
            count *= d
        return np.frombuffer(buffer, dtype=dtype, count=count, offset=node["o"]).reshape(node["s"])
    if t == "d":
        return {k: _unpack(v, buffer) for k, v in zip(node["k"], node["v"], strict=True)}
    if t == "q":
        items = [_unpack(v, buffer) for v in node["v"]]
        return tuple(items) if node["c"] == "tuple" else items
    return node["v"]


def encode_payload(
    source: str, filename: str, calls: list[tuple[str, tuple[Any, ...]]], max_blob_bytes: int
) -> bytes:
    """Trusted side: the student source and the calls (function name, positional args) for one run."""
    chunks: list[bytes] = []
    offset = [0]
    header = {
        "source": source,
        "filename": filename,
        "max_blob_bytes": max_blob_bytes,
        "calls": [{"function": f, "args": [_pack(a, chunks, offset) for a in args]} for f, args in calls],
    }
    text = json.dumps(header).encode()
    text += b" " * (-(len(text) + 8) % _ALIGN)  # the arrays' frame starts aligned in the payload
    return wire.frame(text) + wire.frame(b"".join(chunks))


def _decode_payload(payload: bytes | bytearray) -> dict[str, Any]:
    frames = wire.iter_frames(memoryview(payload))
    header: dict[str, Any] = json.loads(bytes(next(frames)).decode("utf-8"))
    # Writable and aligned (NumPy is slower on misaligned data): students get arrays they may (wrongly)
    # modify. The sandbox hands us a bytearray of our own, used in place when the arrays' frame is
    # aligned in it; bytes (the local runner) are copied.
    frame = next(frames)
    in_place = not frame.readonly and np.frombuffer(frame, dtype=np.uint8).ctypes.data % _ALIGN == 0
    buffer = frame if in_place else bytearray(frame)
    header["calls"] = [(c["function"], [_unpack(a, buffer) for a in c["args"]]) for c in header["calls"]]
    return header


class _Writer:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def record(self, header: dict[str, Any], blobs: list[bytes] | None = None) -> None:
        data = memoryview(wire.encode_record(header, blobs or []))
        while data:
            n = os.write(self.fd, data)
            data = data[n:]


def _student_line(tb: Any, filename: str) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def _error(exc: BaseException, filename: str) -> dict[str, Any]:
    try:
        message = str(exc)[:500]
    except BaseException:  # a hostile __str__ must not take the harness down
        message = ""
    return {
        "type": type(exc).__name__[:64],
        "line": _student_line(exc.__traceback__, filename),
        "message": message,
    }


def main(payload: bytes | bytearray, out_fd: int) -> None:
    """Entry point inside the sandbox (and in the local runner)."""
    out = _Writer(out_fd)
    job = _decode_payload(payload)
    # Marks that the harness itself is up: a child that dies before this is the grader's fault.
    out.record({"harness": "ready"})
    filename: str = job["filename"]
    max_blob_bytes: int = job["max_blob_bytes"]
    try:
        code = compile(job["source"], filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        out.record(
            {
                "import": "syntax_error",
                "error": {"type": type(exc).__name__, "line": exc.lineno, "message": str(exc.msg)[:300]},
            }
        )
        return
    except (ValueError, MemoryError, RecursionError) as exc:  # e.g. NUL bytes in the source
        out.record({"import": "syntax_error", "error": {"type": type(exc).__name__, "line": None,
                                                         "message": str(exc)[:300]}})
        return
    namespace: dict[str, Any] = {"__name__": "student", "__file__": filename, "__builtins__": builtins}
    try:
        exec(code, namespace)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt at import are the student's too
        out.record({"import": "error", "error": _error(exc, filename)})
        return
    wanted = sorted({f for f, _ in job["calls"]})
    missing = [f for f in wanted if not callable(namespace.get(f))]
    out.record({"import": "ok", "missing": missing})
    for i, (function, args) in enumerate(job["calls"]):
        if function in missing:
            continue
        originals = [_snapshot(a) for a in args]
        started = time.perf_counter()
        try:
            value = namespace[function](*args)
        except BaseException as exc:
            out.record({"call": i, "ok": False, "error": _error(exc, filename),
                        "seconds": time.perf_counter() - started})
            continue
        seconds = time.perf_counter() - started
        blobs: list[bytes] = []
        try:
            tree = wire.encode_value(value, blobs, max_blob_bytes)
        except BaseException as exc:  # e.g. a dict subclass whose keys() raises
            out.record({"call": i, "ok": False, "error": _error(exc, filename), "seconds": seconds})
            continue
        mutated = [k for k, (a, o) in enumerate(zip(args, originals, strict=True)) if not _unchanged(a, o)]
        out.record({"call": i, "ok": True, "tree": tree, "seconds": seconds, "mutated": mutated}, blobs)


def _snapshot(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    return value


def _unchanged(value: Any, original: Any) -> bool:
    """Did the call leave this argument as it was given? (Only the student's own honesty is at stake.)"""
    try:
        if isinstance(original, np.ndarray):
            if not isinstance(value, np.ndarray) or value.shape != original.shape or value.dtype != original.dtype:
                return False
            if value.size == 0:
                return True
            if value.flags.c_contiguous:  # bytes == bytes is a memcmp; a memoryview compares per element
                return value.tobytes() == original.tobytes()
            return bool(np.array_equal(value, original, equal_nan=True))
        if isinstance(original, dict):
            return (
                isinstance(value, dict)
                and value.keys() == original.keys()
                and all(_unchanged(value[k], original[k]) for k in original)
            )
        return True
    except BaseException:
        return False


# Trusted stand-in for a submission, run by each spare sandbox child before it gets its job: the same
# NumPy operations, result shapes (arrays, tuples, dicts, floats) and harness paths (decode, calls,
# an exception, encode, mutation checks) as a real run, so that their first-use costs (page faults on
# memory shared with the zygote, lazy initialisation) are paid before the run, not during it.
_WARM_UP_SOURCE = """\
import numpy as np

def forward(x, h0, W, U, b):
    hs, ys = [], []
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ W.T + h @ U.T + b)
        hs.append(h)
        ys.append(h @ U.T + b)
    return np.stack(ys), np.einsum("tbh->tbh", np.stack(hs))

def backward(dy, x, h0, W, U):
    g = {"W": np.zeros_like(W), "U": np.zeros_like(U), "b": np.zeros(W.shape[0]), "x": np.zeros_like(x)}
    dh = np.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        da = (dy[t] + dh) * (1.0 - np.tanh(dy[t]) ** 2)
        g["W"] += da.T @ x[t]
        g["U"] += np.einsum("bi,bj->ij", da, dy[t])
        g["b"] += da.sum(axis=0)
        g["x"][t] = da @ W
        dh = da @ U
    g["h0"] = dh
    return g

def clip(g, max_norm):
    total = float(np.sqrt(sum(float(np.sum(v * v)) for v in g.values())))
    return {k: v * min(max_norm / (total + 1e-6), 1.0) for k, v in g.items()}, total

def fails(x):
    x[0] = 0.0
    raise ValueError("warm-up")
"""


def warm_up(out_fd: int) -> None:
    """Run `main` on a small built-in payload (no case data of any exercise), records to `out_fd`."""
    def arr(*shape: int) -> np.ndarray[Any, Any]:
        return np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape)

    T, B, D, H = 3, 2, 3, 4
    x, h0, W, U, b = arr(T, B, D), arr(B, H), arr(H, D), arr(H, H), arr(H)
    grads = {"W": arr(H, D), "U": arr(H, H), "b": arr(H)}
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("forward", (x, h0, W, U, b)), ("backward", (arr(T, B, H), x, h0, W, U)), ("clip", (grads, 0.5)),
        ("fails", (arr(2),)),
    ]
    main(encode_payload(_WARM_UP_SOURCE, "warm_up.py", calls, 1 << 20), out_fd)


def _local_entry() -> None:
    """`python -m grader.harness FD`: payload on stdin, records on fd FD (the unconfined local runner)."""
    payload = sys.stdin.buffer.read()
    main(payload, int(sys.argv[1]))


if __name__ == "__main__":
    _local_entry()
