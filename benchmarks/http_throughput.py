"""Grading throughput and latency through HTTP on the embedded default (`rnn-grader serve`, SQLite).

Starts a real `rnn-grader serve` process on a free loopback port with a temp data dir (RNN_GRADER_WORKERS as
in the environment, 2 by default), creates one student per client, and drives `--clients` (8) concurrent
clients that each POST the correct `rnn` solution with `?wait=30` on a keep-alive connection, until `--n`
submissions are graded (or `--seconds` pass). Meanwhile a probe asks `GET /healthz` and the scoreboard JSON
every 50 ms. Before that, `--latency-n` submissions from one client, one at a time, give submit-to-result
latency (with 8 clients waiting on 2 workers, latency is mostly queueing: 8 / throughput). Stops everything
at the end, and prints the figures with one `TARGET` line per issue-15 target (2-core machine):
8 clients >= 50 graded/s, submit-to-result p50 <= 30 ms and p99 <= 60 ms, probes p99 <= 50 ms.

    .venv/bin/python benchmarks/http_throughput.py [--clients 8] [--n 600] [--seconds 60] [--latency-n 100]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from live_server import TEACHER_TOKEN, LiveServer, live_server  # noqa: E402

SOURCE = (ROOT / "tests" / "solutions" / "correct_rnn.py").read_text()
PROBE_EVERY_S = 0.05


@dataclass
class Figures:
    latencies_ms: list[float] = field(default_factory=list)
    not_graded: int = 0
    probes_ms: dict[str, list[float]] = field(default_factory=lambda: {"/healthz": [], "/api/v1/scoreboard": []})


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _submit(conn: http.client.HTTPConnection, token: str) -> tuple[float, bool]:
    body = json.dumps({"exercise": "rnn", "source": SOURCE})
    started = time.perf_counter()
    conn.request("POST", "/api/v1/submissions?wait=30", body=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    payload = json.loads(response.read())
    elapsed = (time.perf_counter() - started) * 1000
    graded = response.status == 200 and payload.get("status") == "graded" and payload["score"] == payload["max_score"]
    return elapsed, graded


def _client(server: LiveServer, token: str, remaining: list[int], deadline: float, lock: threading.Lock,
            figures: Figures, warm_up: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        for _ in range(warm_up):
            _submit(conn, token)
        _BARRIER.wait()
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            elapsed, graded = _submit(conn, token)
            with lock:
                figures.latencies_ms.append(elapsed)
                figures.not_graded += not graded
    finally:
        conn.close()


def _one_client(server: LiveServer, token: str, n: int, warm_up: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        for _ in range(warm_up):
            _submit(conn, token)
        latencies = []
        for _ in range(n):
            elapsed, graded = _submit(conn, token)
            if not graded:
                raise SystemExit("a correct submission was not graded within the wait")
            latencies.append(elapsed)
        return latencies
    finally:
        conn.close()


def _probe(server: LiveServer, stop: threading.Event, figures: Figures) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        while not stop.wait(PROBE_EVERY_S):
            for path, samples in figures.probes_ms.items():
                started = time.perf_counter()
                conn.request("GET", path, headers={"Authorization": f"Bearer {TEACHER_TOKEN}"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise SystemExit(f"{path} answered {response.status}")
                samples.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()


_BARRIER: threading.Barrier


def main() -> None:
    global _BARRIER
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--n", type=int, default=600, help="graded submissions to measure")
    parser.add_argument("--seconds", type=float, default=60.0, help="stop measuring after this long anyway")
    parser.add_argument("--warm-up", type=int, default=2, help="submissions per client before measuring")
    parser.add_argument("--latency-n", type=int, default=100, help="one client, one submission at a time")
    args = parser.parse_args()
    workers = os.environ.get("RNN_GRADER_WORKERS", "2")
    print(f"rnn-grader serve, SQLite, RNN_GRADER_WORKERS={workers}; {args.clients} clients with ?wait=30; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    env = {"RNN_GRADER_WORKERS": workers}
    with tempfile.TemporaryDirectory() as tmp, live_server(Path(tmp) / "data", env) as server:
        tokens = [server.create_student(f"bench{i:02d}") for i in range(args.clients)]
        single = _one_client(server, tokens[0], args.latency_n, args.warm_up)
        figures = Figures()
        lock = threading.Lock()
        remaining = [args.n]
        _BARRIER = threading.Barrier(args.clients + 1)
        deadline = time.monotonic() + args.seconds + 120  # warm-up included; measuring is bounded below
        clients = [threading.Thread(target=_client, args=(server, token, remaining, deadline, lock, figures,
                                                          args.warm_up)) for token in tokens]
        for thread in clients:
            thread.start()
        _BARRIER.wait()
        started = time.perf_counter()
        stop_probe = threading.Event()
        probe = threading.Thread(target=_probe, args=(server, stop_probe, figures))
        probe.start()
        measuring_deadline = time.monotonic() + args.seconds
        while any(t.is_alive() for t in clients) and time.monotonic() < measuring_deadline:
            time.sleep(0.05)
        with lock:
            remaining[0] = 0  # the clients finish the submission they are on
        for thread in clients:
            thread.join()
        elapsed = time.perf_counter() - started
        stop_probe.set()
        probe.join()
    n = len(figures.latencies_ms)
    throughput = (n - figures.not_graded) / elapsed
    p50, p99 = _pct(single, 0.5), _pct(single, 0.99)
    print(f"one client: submit-to-result p50 {p50:.1f} ms, p99 {p99:.1f} ms (n={len(single)})")
    print(f"{args.clients} clients: {n} submissions in {elapsed:.1f} s, {figures.not_graded} not graded within the "
          f"wait (or not full marks); submit-to-result p50 {_pct(figures.latencies_ms, 0.5):.1f} ms, "
          f"p99 {_pct(figures.latencies_ms, 0.99):.1f} ms")
    for path, samples in figures.probes_ms.items():
        print(f"GET {path} while grading: n={len(samples)} p50 {_pct(samples, 0.5):.1f} ms, "
              f"p99 {_pct(samples, 0.99):.1f} ms")
    print("summary (issue 15 targets, embedded default, 2 cores):")
    _target(f"{args.clients} clients graded/s", throughput, "/s", ">=", 50)
    _target("submit-to-result p50", p50, "ms", "<=", 30)
    _target("submit-to-result p99", p99, "ms", "<=", 60)
    for path, samples in figures.probes_ms.items():
        _target(f"GET {path} p99 while grading", _pct(samples, 0.99), "ms", "<=", 50)


def _target(what: str, value: float, unit: str, op: str, bound: float) -> None:
    ok = value <= bound if op == "<=" else value >= bound
    print(f"TARGET {what}: {value:.1f} {unit} ({op} {bound:g}): {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
