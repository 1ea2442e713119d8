"""Deadline rush: the deployment shape on this machine, loaded over HTTP like the last minute before a deadline.

A fresh PostgreSQL database, `python -m server.migrate`, one `rnn-grader serve` (RNN_GRADER_WORKERS=0,
RNN_GRADER_QUEUE=procrastinate) and N `rnn-grader worker` processes. S students each submit 3 times at
random moments of a 60 s window (60% correct, 25% buggy, 15% slow = correct but with Python loops
over every hidden unit), from a bounded pool of client threads on loopback.

Two client shapes:
- separate (default): each client thread POSTs without waiting and goes on with the plan; each accepted
  submission is then awaited separately with `GET /api/v1/submissions/{id}?wait=30` (long polls from an
  asyncio client in a process of its own, up to --waiters at once). The API must accept or refuse every
  POST at once while the graders are behind: the issue-20 measurement is `--students 1000 --clients 96`
  (3,000 in 60 s, about 3x what 2 workers grade), with --workers 2 and --workers 4.
- inline (--inline-wait): each POST waits for its result itself (?wait=30, so POST -> accepted is then the time
  to the answer, result or not); the waiter follows what is not final by then.

Prints: accepted, graded, failed, lost (accepted but not final at the end; must be 0), 5xx (must be 0),
result writes per submission (from the workers' logs; must be exactly 1), POST -> accepted (the answer to
the POST), POST -> graded (as the client saw it, and as the database recorded it: created_at -> graded_at),
graded/s (while the graders were busy), how late the load generator sent (it must keep up for the figures
to mean anything), and the load average before and after (the machine may be shared).
PASS: lost 0, 5xx 0, one write each, POST -> accepted p99 <= 1 s, lateness p99 <= 1 s.

    .venv/bin/python benchmarks/deadline_rush.py [--students 300] [--per-student 3] [--window 60]
        [--workers 2] [--concurrency 2] [--clients 48] [--waiters 1000] [--nice N] [--inline-wait]
        [--admin-url postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine.url import make_url

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("rnn-grader"))
TEACHER = "rush-teacher-token-0123456789abcdef"
SECRET = "rush-seed-secret-0123456789abcdef"
CORRECT = (ROOT / "tests" / "solutions" / "correct_rnn.py").read_text()
# Two real mistakes: BPTT that forgets the gradient from the next step, and clipping that can scale up.
BUGGY = CORRECT.replace("dh = dy[t] @ W_hy + dh_next", "dh = dy[t] @ W_hy").replace("1e-6), 1.0)", "1e-6), 2.0)")
# Correct but loop-heavy: the forward pass computes every hidden unit of every step in its own Python
# loop iteration (4-5x the grading time of the vectorised solution, well within the CPU limit).
SLOW = CORRECT + """

def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):
    T, B, _ = x.shape
    H = W_hh.shape[0]
    hs = np.zeros((T, B, H))
    h_prev = h0
    for t in range(T):
        for b in range(B):
            for j in range(H):
                hs[t, b, j] = np.tanh(x[t, b] @ W_xh[j] + h_prev[b] @ W_hh[j] + b_h[j])
        h_prev = hs[t]
    return hs @ W_hy.T + b_y, hs
"""
KINDS = (("correct", CORRECT, 0.60), ("buggy", BUGGY, 0.25), ("slow", SLOW, 0.15))
GRADED_LINE = re.compile(r"graded submission=(\d+) ")
# Idle client connections are dropped before uvicorn's keep-alive timeout (5 s) closes them: a request sent on a
# connection the server is closing at that instant fails with ReadError, which is the client's race, not an answer.
KEEPALIVE_S = 2.0
Seen = dict[int, tuple[float, str, int, str, int, int]]


@dataclass
class Outcome:
    kind: str
    scheduled: float
    sent: float = 0.0
    accepted: float = 0.0  # when the POST was answered
    done: float = 0.0  # when the client saw the result
    http: int = 0  # the POST's status
    poll_http: int = 0  # a failed GET ?wait= (5xx), if any
    status: str = ""
    submission_id: int | None = None
    error: str = ""
    resent: int = 0  # requests sent again after a connection closed under them (POST and polls)
    shed: int = 0  # polls the API refused at once (503 Overloaded + Retry-After) and that were sent again after it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _admin(url: str, statement: str) -> None:
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True, connect_timeout=10) as conn:
        conn.execute(statement.encode())


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Stack:
    """The API and the workers as subprocesses (own process groups), logs in a temporary directory."""

    def __init__(self, url: str, workers: int, concurrency: int, logs: Path, nice: int | None = None) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logs = logs
        env = {k: v for k, v in os.environ.items() if not k.startswith("RNN_GRADER_")}
        env.update(PYTHONPATH=str(ROOT), RNN_GRADER_DATABASE_URL=url, RNN_GRADER_SECRET=SECRET,
                   RNN_GRADER_ADMIN_TOKEN=TEACHER, RNN_GRADER_QUEUE="procrastinate", RNN_GRADER_HOST="127.0.0.1",
                   RNN_GRADER_PORT=str(self.port), RNN_GRADER_DATA_DIR=str(logs / "data"),
                   RNN_GRADER_DEADLINES=json.dumps({"rnn": "2999-12-31T23:59:59+00:00"}))
        if nice is not None:
            env["RNN_GRADER_GRADING_NICE"] = str(nice)
        subprocess.run([sys.executable, "-m", "server.migrate"], env=env, cwd=ROOT, check=True,
                       capture_output=True, timeout=120)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.worker_logs = [logs / f"worker{i}.log" for i in range(workers)]
        self._start([CLI, "serve"], {**env, "RNN_GRADER_WORKERS": "0"}, logs / "api.log")
        for log in self.worker_logs:
            self._start([CLI, "worker", "--concurrency", str(concurrency)], env, log)
        deadline = time.monotonic() + 60
        while not all("grading jobs with" in log.read_text() for log in self.worker_logs) or not self._ready():
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                self.stop()
                raise SystemExit(f"the stack did not start; logs in {logs}")
            time.sleep(0.2)

    def _start(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        with log.open("wb") as out:
            self.procs.append(subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                               start_new_session=True))

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def api_cpu_s(self) -> float:
        """CPU seconds the API process has used (user + system), from /proc."""
        fields = Path(f"/proc/{self.procs[0].pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _one(client: httpx.Client, token: str, outcome: Outcome, source: str, t0: float, waiter: Waiter,
         inline: bool) -> None:
    """Send one planned submission at its moment (inline: the POST itself waits, ?wait=30); the waiter follows
    what is not final yet to its result."""
    delay = t0 + outcome.scheduled - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    outcome.sent = time.monotonic() - t0
    # As the CLI does: a key makes the POST safe to send again if the connection closes under it.
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    try:
        r = _resending(lambda: client.post(f"/api/v1/submissions{'?wait=30' if inline else ''}",
                                           json={"exercise": "rnn", "source": source}, headers=headers), outcome)
    except httpx.HTTPError as exc:
        outcome.error = type(exc).__name__
        return
    outcome.accepted = outcome.done = time.monotonic() - t0
    outcome.http = r.status_code
    if r.status_code in (200, 202):
        body = r.json()
        outcome.submission_id = int(body["id"])
        outcome.status = str(body["status"])
        if not _final(body):
            waiter.follow(token, outcome.submission_id)


def _resending(send: Callable[[], httpx.Response], outcome: Outcome) -> httpx.Response:
    """Send; once more if the connection closed before any answer came (a keep-alive connection the server
    closed as the request left: a client-side race, which HTTP clients resolve by sending again)."""
    try:
        return send()
    except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
        outcome.resent += 1
        return send()


def _final(body: dict[str, object]) -> bool:
    return body["status"] in ("graded", "failed")


class Waiter:
    """Follows accepted submissions to their results with long polls (`GET ?wait=30`): an asyncio client in a
    process of its own (a thread of the load generator would compete for its GIL with the client threads and
    fall behind), at most `limit` polls at once however many submissions are pending."""

    def __init__(self, base: str, limit: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._inbox: multiprocessing.Queue[tuple[str, int] | None] = context.Queue()
        self._outbox: multiprocessing.Queue[Seen] = context.Queue()
        self._process = context.Process(target=_waiter_main, args=(base, limit, self._inbox, self._outbox),
                                        name="rush-waiter", daemon=True)
        self._process.start()

    def follow(self, token: str, submission_id: int) -> None:
        self._inbox.put((token, submission_id))

    def drain(self, outcomes: list[Outcome], t0: float, timeout: float) -> None:
        """Until every followed submission has its result (or `timeout`): fill in what the waiter saw."""
        self._inbox.put(None)
        try:
            seen = self._outbox.get(timeout=timeout)
        except queue.Empty:
            seen = {}
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()
        for outcome in outcomes:
            if outcome.submission_id in seen:
                done, outcome.status, outcome.poll_http, error, resent, outcome.shed = seen[outcome.submission_id]
                outcome.done = done - t0
                outcome.error = outcome.error or error
                outcome.resent += resent


def _waiter_main(base: str, limit: int, inbox: multiprocessing.Queue[tuple[str, int] | None],
                 outbox: multiprocessing.Queue[Seen]) -> None:
    outbox.put(asyncio.run(_wait_all(base, limit, inbox)))


async def _wait_all(base: str, limit: int, inbox: multiprocessing.Queue[tuple[str, int] | None]) -> Seen:
    """(monotonic time seen, status, a 5xx of a poll, a client error, polls sent again, polls shed) per followed
    submission. A poll is a GET: sent again once if its connection closed before any answer, and after its
    Retry-After when the API shed it (503 Overloaded: the overload answer, counted apart; any other 5xx
    ends the follow and counts as a 5xx)."""
    seen: Seen = {}
    slots = asyncio.Semaphore(limit)
    limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit, keepalive_expiry=KEEPALIVE_S)
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=base, timeout=40, limits=limits) as client:

        async def follow(token: str, submission_id: int) -> None:
            status, poll_http, error, resent, shed = "", 0, "", 0, 0
            url, headers = f"/api/v1/submissions/{submission_id}?wait=30", {"Authorization": f"Bearer {token}"}
            try:
                async with slots:
                    while status not in ("graded", "failed"):
                        try:
                            r = await client.get(url, headers=headers)
                        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
                            resent += 1
                            r = await client.get(url, headers=headers)
                        if r.status_code == 503 and r.json().get("error") == "Overloaded" and shed < 100:
                            shed += 1
                            await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                            continue
                        if r.status_code >= 500:
                            poll_http = r.status_code
                            break
                        status = str(r.json()["status"])
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            seen[submission_id] = (time.monotonic(), status, poll_http, error, resent, shed)

        tasks = []
        while (item := await loop.run_in_executor(None, inbox.get)) is not None:
            tasks.append(asyncio.create_task(follow(*item)))
        await asyncio.gather(*tasks)
    return seen


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--per-student", type=int, default=3)
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which submissions arrive")
    parser.add_argument("--workers", type=int, default=2, help="`rnn-grader worker` processes")
    parser.add_argument("--concurrency", type=int, default=2, help="grading slots per worker (compose: 2)")
    parser.add_argument("--clients", type=int, default=48, help="client threads that send the POSTs")
    parser.add_argument("--waiters", type=int, default=1000, help="long polls in flight at most (separate shape)")
    parser.add_argument("--nice", type=int, default=None,
                        help="RNN_GRADER_GRADING_NICE of the workers (default: the server's)")
    parser.add_argument("--inline-wait", action="store_true", help="each POST waits for its result (?wait=30)")
    parser.add_argument("--drain", type=float, default=600.0, help="seconds to wait for the backlog after the window")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--admin-url", default=os.environ.get(
        "RNN_GRADER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()

    rng = random.Random(args.seed)
    name = f"rnn_grader_rush_{uuid.uuid4().hex[:10]}"
    _admin(args.admin_url, f'CREATE DATABASE "{name}"')
    url = make_url(args.admin_url).set(database=name).render_as_string(hide_password=False)
    logs = Path(tempfile.mkdtemp(prefix="rnn-grader-rush-"))
    stack: Stack | None = None
    load_before = _loadavg()
    try:
        started = time.monotonic()
        stack = Stack(url, args.workers, args.concurrency, logs, args.nice)
        teacher = {"Authorization": f"Bearer {TEACHER}"}
        with httpx.Client(base_url=stack.base, timeout=40, limits=httpx.Limits(max_connections=args.clients + 8)) \
                as client, ThreadPoolExecutor(16) as pool:
            tokens = list(pool.map(lambda i: client.post(
                "/api/v1/students", json={"student_id": f"s{i:04d}", "name": f"Student {i}"}, headers=teacher,
            ).json()["token"], range(args.students)))
        print(f"setup: database, migration, 1 API + {args.workers} worker(s) x {args.concurrency} slot(s), "
              f"{args.students} students in {time.monotonic() - started:.1f} s", flush=True)

        plan: list[tuple[str, Outcome, str]] = []
        for token in tokens:
            for _ in range(args.per_student):
                kind, source, _p = rng.choices(KINDS, weights=[k[2] for k in KINDS])[0]
                plan.append((token, Outcome(kind, rng.uniform(0, args.window)), source))
        plan.sort(key=lambda item: item[1].scheduled)
        waiter = Waiter(stack.base, args.waiters)
        api_cpu_before = stack.api_cpu_s()
        t0 = time.monotonic()
        with httpx.Client(base_url=stack.base, timeout=40,
                          limits=httpx.Limits(max_connections=args.clients + 8, keepalive_expiry=KEEPALIVE_S)) \
                as client, ThreadPoolExecutor(args.clients) as pool:
            for token, outcome, source in plan:
                pool.submit(_one, client, token, outcome, source, t0, waiter, args.inline_wait)
        waiter.drain([o for _, o, _ in plan], t0, args.drain)
        elapsed = time.monotonic() - t0
        api_cpu = stack.api_cpu_s() - api_cpu_before
        stack.stop()
        stack = None
        status = report(plan, url, logs, elapsed, args, (load_before, _loadavg()), api_cpu)
        if status == 0:
            shutil.rmtree(logs, ignore_errors=True)
        else:
            print(f"logs: {logs}")
        return status
    finally:
        if stack is not None:
            stack.stop()
        _admin(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(plan: list[tuple[str, Outcome, str]], url: str, logs: Path, elapsed: float,
           args: argparse.Namespace, load: tuple[str, str], api_cpu_s: float) -> int:
    outcomes = [o for _, o, _ in plan]
    accepted = [o for o in outcomes if o.http in (200, 202) and o.submission_id is not None]
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        rows = conn.execute(
            "SELECT id, status, extract(epoch FROM graded_at - created_at), attempts, "
            "extract(epoch FROM graded_at) FROM submissions"
        ).fetchall()
    by_id = {int(r[0]): r for r in rows}
    graded = [o for o in accepted if by_id.get(o.submission_id or -1, (0, ""))[1] == "graded"]
    failed = [o for o in accepted if by_id.get(o.submission_id or -1, (0, ""))[1] == "failed"]
    lost = len(accepted) - len(graded) - len(failed)
    five_xx = sum(1 for o in outcomes if o.http >= 500 or o.poll_http >= 500)
    refused = Counter(o.http for o in outcomes if o.http and o.http not in (200, 202))
    errors = Counter(o.error for o in outcomes if o.error)
    writes = Counter(int(m) for log in logs.glob("worker*.log") for m in GRADED_LINE.findall(log.read_text()))
    not_once = sum(1 for o in graded if writes[o.submission_id or -1] != 1)
    answer_s = [o.accepted - o.sent for o in accepted]
    client_s = [o.done - o.sent for o in graded if o.status == "graded"]
    server_s = [float(by_id[o.submission_id or -1][2]) for o in graded]
    lag = [o.sent - o.scheduled for o in outcomes]
    graded_at = sorted(float(by_id[o.submission_id or -1][4]) for o in graded)
    busy = graded_at[-1] - graded_at[0] if len(graded_at) > 1 else float("nan")
    shape = "inline ?wait=30" if args.inline_wait else f"POST without waiting, then GET ?wait=30 (<= {args.waiters})"
    nice = "the server's default" if args.nice is None else args.nice
    print(f"shape: {args.students} students x {args.per_student}, {args.clients} client threads, {shape}; "
          f"{args.workers} worker(s) x {args.concurrency} slot(s), grading nice {nice}")
    print(f"submissions: {len(outcomes)} planned over {args.window:.0f} s "
          f"({', '.join(f'{k}={sum(o.kind == k for o in outcomes)}' for k, _, _ in KINDS)}), run {elapsed:.1f} s")
    print(f"accepted: {len(accepted)}  refused: {dict(refused) or 0}  graded: {len(graded)}  failed: {len(failed)}"
          f"  lost: {lost}  5xx: {five_xx}  client errors: {dict(errors) or 0}")
    print(f"requests sent again after their connection closed before an answer: "
          f"{sum(o.resent for o in outcomes)} (POSTs carry an Idempotency-Key)")
    print(f"polls shed by the API (503 Overloaded, sent again after Retry-After): {sum(o.shed for o in outcomes)}")
    print(f"result writes: exactly one for {len(graded) - not_once}/{len(graded)} graded; "
          f"attempts > 1: {sum(1 for r in rows if r[3] > 1)}")
    print(f"POST -> accepted: p50 {_pct(answer_s, 0.5) * 1000:.0f} ms  p99 {_pct(answer_s, 0.99) * 1000:.0f} ms"
          f"  max {max(answer_s, default=float('nan')) * 1000:.0f} ms")
    print(f"POST -> graded, client: p50 {_pct(client_s, 0.5) * 1000:.0f} ms  p99 {_pct(client_s, 0.99) * 1000:.0f} ms"
          f"  max {max(client_s, default=float('nan')) * 1000:.0f} ms")
    print(f"created -> graded, database: p50 {_pct(server_s, 0.5) * 1000:.0f} ms  "
          f"p99 {_pct(server_s, 0.99) * 1000:.0f} ms")
    for kind, _, _ in KINDS:
        mine = [o.done - o.sent for o in graded if o.kind == kind]
        print(f"  {kind:8s} n={len(mine):4d}  p50 {_pct(mine, 0.5) * 1000:5.0f} ms  "
              f"p99 {_pct(mine, 0.99) * 1000:5.0f} ms")
    print(f"throughput: {len(graded) / busy:.1f} graded/s over {busy:.1f} s of grading "
          f"(offered {len(outcomes) / args.window:.1f}/s)")
    print(f"load generator lateness: p50 {_pct(lag, 0.5) * 1000:.0f} ms  p99 {_pct(lag, 0.99) * 1000:.0f} ms")
    print(f"API process CPU: {api_cpu_s:.1f} s during the run ({api_cpu_s / max(len(outcomes), 1) * 1000:.1f} ms "
          f"per planned submission, its POST and its polls)")
    print(f"load average (1/5/15 min): before {load[0]}, after {load[1]}")
    ok = (lost == 0 and five_xx == 0 and not errors and not_once == 0 and _pct(answer_s, 0.99) <= 1.0
          and _pct(lag, 0.99) <= 1.0)
    print("PASS" if ok else "FAIL", "(lost 0, 5xx 0, one write each, POST -> accepted p99 <= 1 s, lateness p99 <= 1 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
