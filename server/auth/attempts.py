"""Failed credentials per client address, with backoff: both sign-in forms and the API's bearer tokens.

An address may fail RNN_GRADER_AUTH_FAILURES_FREE times (20) without delay; each further failure closes the
door for 1 s, 2 s, 4 s, ... up to RNN_GRADER_AUTH_BACKOFF_MAX_S (900 s). While it is closed every credential
from that address is refused with 429 and Retry-After *before* it is checked, so the refusal tells nothing
about the token. Failures are forgotten after RNN_GRADER_AUTH_FAILURE_WINDOW_S (900 s) without one. Only a
credential that was sent and is unknown counts: a request without one, or a valid token of the wrong kind
(a student's on the teacher's form), does not.

The address is the ASGI client address, which uvicorn takes from X-Forwarded-For only when the request
comes from RNN_GRADER_FORWARDED_ALLOW_IPS (server.main); IPv6 addresses count per /64, the block one host
usually gets. The counts live in this API process's memory: no database write per failure, nothing an
attacker can make the database do; with several API replicas each counts on its own (docs/server.md).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import Scope

# Addresses remembered at most; the least recently failing are forgotten first.
MAX_ADDRESSES = 100_000
IPV6_PREFIX = 64


def client_address(scope: Scope) -> str:
    """Who is asking, as the limiter counts them: an IPv4 address, an IPv6 /64, or the raw client name."""
    client = scope.get("client")
    host = str(client[0]) if client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


@dataclass
class _Record:
    failures: int
    last: float
    closed_until: float


class AttemptLimiter:
    """Thread-safe: request threads and the event loop both ask."""

    def __init__(self, free: int, window_s: float, max_backoff_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free = free
        self.window_s = window_s
        self.max_backoff_s = max_backoff_s
        self.clock = clock  # tests replace it instead of sleeping
        self._lock = threading.Lock()
        self._records: OrderedDict[str, _Record] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.free > 0

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until this address may try again, or None if it may now."""
        if not self.enabled:
            return None
        with self._lock:
            record = self._records.get(address)
            if record is None:
                return None
            left = record.closed_until - self.clock()
        return math.ceil(left) if left > 0 else None

    def failed(self, address: str) -> None:
        """One more unknown credential from this address."""
        if not self.enabled:
            return
        now = self.clock()
        with self._lock:
            record = self._records.pop(address, None)
            if record is None or now - record.last > self.window_s:
                record = _Record(0, now, now)
            record.failures += 1
            record.last = now
            beyond = record.failures - self.free
            if beyond > 0:
                record.closed_until = now + min(self.max_backoff_s, 2.0 ** min(beyond - 1, 62))
            self._records[address] = record  # most recent last
            while len(self._records) > MAX_ADDRESSES:
                self._records.popitem(last=False)
