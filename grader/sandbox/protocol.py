"""Control messages between Sandbox and zygote: one JSON object per SOCK_SEQPACKET datagram, with
descriptors passed alongside (SCM_RIGHTS). Payload and results never cross here: they travel in
descriptors the zygote only hands on, so its memory (copied into every child) never holds them.

Sandbox -> zygote: {"op": "run", "run": n, "limits": {...}} + [payload memfd, result pipe, output memfd]
                   {"op": "kill", "run": n, "reason": "result_cap"}
                   {"op": "status"}                                               between runs only
zygote -> Sandbox: {"op": "ready", "pid": p, "layers": {...}, "reasons": {...}}       once, at start
                   {"op": "error", "message": m}                                  instead, then exits
                   {"op": "started", "run": n, "pid": p} + [pidfd of the child]
                   {"op": "done", "run": n, "wait_status": s, "cpu_s": t, "setup_cpu_s": t0, "minflt": f,
                    "maxrss_kib": m, "killed": reason | None, "setup_error": str | None}
                   {"op": "status", "spare": pid | None, "prefork": bool}         answers "status"
                   {"op": "notice", "message": m}                                 to log, at any time
zygote -> child:   {"op": "job", "limits": {...}} + [payload memfd, result pipe, output memfd], over the
                   child's own socket pair: a child forked in advance waits for it there.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

MAX_MESSAGE = 64 * 1024
MAX_FDS = 4


class ProtocolError(RuntimeError):
    """The other side sent something off-protocol (a bug, never the student's doing)."""


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message, separators=(",", ":")).encode()
    # MSG_NOSIGNAL: a dead peer is an EPIPE error here, never a SIGPIPE in the server.
    socket.send_fds(sock, [data], fds or [], socket.MSG_NOSIGNAL)


def recv(sock: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    """The next message and the descriptors that came with it (close-on-exec); None at end of stream."""
    data, fds, flags, _ = socket.recv_fds(sock, MAX_MESSAGE, MAX_FDS, socket.MSG_CMSG_CLOEXEC)
    if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
        _close_all(fds)
        raise ProtocolError("truncated control message")
    if not data:
        _close_all(fds)
        return None
    try:
        message = json.loads(data)
    except ValueError as exc:
        _close_all(fds)
        raise ProtocolError("control message is not JSON") from exc
    if not isinstance(message, dict):
        _close_all(fds)
        raise ProtocolError("control message is not an object")
    return message, fds


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)
