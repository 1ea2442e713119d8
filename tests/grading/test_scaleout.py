"""Scale-out on the real PostgreSQL with real processes: `rnn-grader serve` (RNN_GRADER_WORKERS=0,
RNN_GRADER_QUEUE=procrastinate) and `rnn-grader worker` subprocesses. Nothing accepted is lost, nothing is
graded twice: (a) 500 submissions over two workers, (b) kill -9 of the worker that is grading,
(c) the API dying between its commit and its enqueue, (d) PostgreSQL restarting under load.

"Graded once" is counted from the workers' logs: `graded submission=N ` is written only by the one
conditional UPDATE that stores the result (server.grading.loop.GradingLoop._finish)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from helpers import wait_for
from solutions.slow import slow_correct_source
from sqlalchemy.engine.url import make_url

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("rnn-grader"))
TEACHER = "scaleout-teacher-token-0123456789"
SECRET = "scaleout-seed-secret-0123456789ab"
GRADED_LINE = re.compile(r"graded submission=(\d+) ")



# ---------------------------------------------------------------- database and processes
def _admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True, connect_timeout=10) as conn:
        conn.execute(statement.encode())


@pytest.fixture
def pg_url(postgres_template: str) -> Iterator[str]:
    admin = os.environ["RNN_GRADER_TEST_DATABASE_URL"]
    name = f"rnn_grader_so_{uuid.uuid4().hex[:12]}"
    _admin(admin, f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)  # its group holds its sandbox zygotes too

    @property
    def pid(self) -> int:
        return self.proc.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, needle: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            assert self.proc.poll() is None, f"{self.proc.args} exited early:\n{self.text()}"
            assert time.monotonic() < deadline, f"no {needle!r} in:\n{self.text()}"
            time.sleep(0.05)

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


class Cluster:
    """One API and N workers on one database; stops them all at the end of the test."""

    def __init__(self, url: str, tmp_path: Path, **settings: str) -> None:
        self.url = url
        self.tmp_path = tmp_path
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("RNN_GRADER_")}
        env.update(
            PYTHONPATH=str(REPO), RNN_GRADER_DATA_DIR=str(tmp_path / "data"), RNN_GRADER_DATABASE_URL=url,
            RNN_GRADER_ADMIN_TOKEN=TEACHER, RNN_GRADER_SECRET=SECRET, RNN_GRADER_QUEUE="procrastinate",
            RNN_GRADER_PORT=str(self.port), RNN_GRADER_RATE_LIMIT_PER_MINUTE="0", RNN_GRADER_SWEEP_SECONDS="0.5",
            RNN_GRADER_DEADLINES=json.dumps({"rnn": "2999-12-31T23:59:59+00:00"}),
        )
        env.update({f"RNN_GRADER_{k.upper()}": v for k, v in settings.items()})
        self.env = env
        self.api: Proc | None = None
        self.workers: list[Proc] = []
        self.engine = sa.create_engine(make_url(url), pool_pre_ping=True)

    def start(self, workers: int, concurrency: int = 1) -> Cluster:
        self.api = Proc([CLI, "serve"], {**self.env, "RNN_GRADER_WORKERS": "0"}, self.tmp_path / "api.log")
        for i in range(workers):
            self.workers.append(Proc([CLI, "worker", "--concurrency", str(concurrency)], self.env,
                                     self.tmp_path / f"worker{i}.log"))
        self.api.wait_for("Application startup complete")
        for worker in self.workers:
            worker.wait_for("grading jobs with")
        return self

    def stop(self) -> None:
        for proc in [*self.workers, *([self.api] if self.api else [])]:
            proc.stop()
        self.engine.dispose()

    def teacher(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TEACHER}"}

    def student(self, student_id: str) -> dict[str, str]:
        created = httpx.post(f"{self.base}/api/v1/students", json={"student_id": student_id, "name": "S"},
                             headers=self.teacher(), timeout=10)
        assert created.status_code == 201, created.text
        return {"Authorization": f"Bearer {created.json()['token']}"}

    def rows(self, ids: list[int]) -> dict[int, Any]:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.text("SELECT id, status, score, attempts, lease_owner FROM submissions WHERE id = ANY(:ids)"),
                {"ids": ids},
            ).all()
        return {int(r.id): r for r in found}

    def wait_graded(self, ids: list[int], timeout: float) -> dict[int, Any]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.rows(ids)
            pending = [i for i in ids if i not in rows or rows[i].status != "graded"]
            if not pending:
                return rows
            assert time.monotonic() < deadline, f"{len(pending)} not graded, e.g. {[rows.get(i) for i in pending[:5]]}"
            time.sleep(0.2)

    def graded_lines(self) -> Counter[int]:
        return Counter(int(m) for proc in self.workers for m in GRADED_LINE.findall(proc.text()))


@pytest.fixture
def cluster(pg_url: str, tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    made: list[Cluster] = []

    def make(**settings: str) -> Cluster:
        made.append(Cluster(pg_url, tmp_path, **settings))
        return made[-1]

    yield make
    for c in made:
        c.stop()


def _submit(client: httpx.Client, headers: dict[str, str], source: str) -> httpx.Response:
    return client.post("/api/v1/submissions", json={"exercise": "rnn", "source": source}, headers=headers)


# ---------------------------------------------------------------- (a) many submissions, two workers
def test_two_worker_processes_grade_500_submissions_each_exactly_once(
    cluster: Callable[..., Cluster], solutions_dir: Path
) -> None:
    c = cluster(LEASE_SECONDS="30").start(workers=2, concurrency=2)
    source = (solutions_dir / "correct_rnn.py").read_text()
    students = [c.student(f"s{i}") for i in range(10)]
    with httpx.Client(base_url=c.base, timeout=30) as client, ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda k: _submit(client, students[k % 10], source), range(500)))
    assert [r.status_code for r in responses] == [202] * 500
    ids = [int(r.json()["id"]) for r in responses]
    rows = c.wait_graded(ids, timeout=150)
    for worker in c.workers:
        worker.stop()  # flush and close the logs before counting
    assert all(rows[i].score == 100 and rows[i].attempts == 1 for i in ids)
    lines = c.graded_lines()
    assert {i: lines[i] for i in ids} == dict.fromkeys(ids, 1)  # one result write per submission
    per_worker = [len(GRADED_LINE.findall(w.text())) for w in c.workers]
    assert sum(per_worker) == 500 and min(per_worker) > 0, per_worker


# ---------------------------------------------------------------- (b) kill -9 mid-grading
def test_kill_9_of_the_grading_worker_another_worker_grades_it_within_the_lease(
    cluster: Callable[..., Cluster], solutions_dir: Path
) -> None:
    lease_s = 3.0
    c = cluster(LEASE_SECONDS=str(lease_s)).start(workers=2)
    source = slow_correct_source(2.0)
    with httpx.Client(base_url=c.base, timeout=30) as client:
        sid = int(_submit(client, c.student("s1"), source).json()["id"])
    deadline = time.monotonic() + 20
    while (row := c.rows([sid])[sid]).status != "running":
        assert time.monotonic() < deadline, "grading never started"
        time.sleep(0.02)
    victim = next(w for w in c.workers if f"-{w.pid}-" in str(row.lease_owner))
    survivor = next(w for w in c.workers if w is not victim)
    victim.kill9()  # in the middle of the 2 s sleep
    killed_at = time.monotonic()
    rows = c.wait_graded([sid], timeout=30)
    took = time.monotonic() - killed_at
    assert rows[sid].score == 100 and rows[sid].attempts == 2
    # lease expiry + a reconciler pass + the 2 s submission itself, with room for a loaded machine
    assert took < lease_s + 2.0 + 5.0, took
    survivor.stop()
    assert GRADED_LINE.findall(survivor.text()).count(str(sid)) == 1
    assert str(sid) not in GRADED_LINE.findall(victim.text())


# ---------------------------------------------------------------- (c) the API dies between commit and enqueue
def test_a_submission_committed_without_a_job_is_still_graded(cluster: Callable[..., Cluster]) -> None:
    from server.security import submission_seed

    c = cluster(LEASE_SECONDS="30").start(workers=1)
    c.student("s1")
    source = (REPO / "tests" / "solutions" / "correct_rnn.py").read_text()
    with c.engine.begin() as conn:  # what the API had committed when it died, before its enqueue
        sid = int(conn.execute(sa.text(
            "INSERT INTO submissions (student_id, exercise, source, status, priority, max_score, late, attempts, "
            "created_at) VALUES ('s1', 'rnn', :source, 'queued', 0, 100, false, 0, now()) RETURNING id"),
            {"source": source}).scalar_one())
        conn.execute(sa.text("UPDATE submissions SET seed = :seed WHERE id = :id"),
                     {"seed": submission_seed(SECRET, sid), "id": sid})
    rows = c.wait_graded([sid], timeout=20)
    assert rows[sid].score == 100 and rows[sid].attempts == 1
    logs = c.api.text() if c.api else ""
    logs += "".join(w.text() for w in c.workers)
    assert "enqueued 1 queued submission(s) that had no grading job" in logs
    c.workers[0].stop()
    assert c.graded_lines()[sid] == 1


# ---------------------------------------------------------------- (d) PostgreSQL restarts under load
def _pg_ctl(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action, *(
        ["-m", "fast"] if action == "stop" else [])], check=True, capture_output=True, timeout=60)


def _pg_wait_up(url: str, timeout: float = 60) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                                 connect_timeout=2):
                return
        except psycopg.OperationalError:
            assert time.monotonic() < deadline, "PostgreSQL did not come back"
            time.sleep(0.2)


def test_postgresql_restart_under_load_loses_nothing_and_answers_503_while_down(
    cluster: Callable[..., Cluster], solutions_dir: Path
) -> None:
    c = cluster(LEASE_SECONDS="4").start(workers=2)
    source = (solutions_dir / "correct_rnn.py").read_text()
    headers = [c.student(f"s{i}") for i in range(4)]
    answers: list[tuple[int, dict[str, Any], str | None]] = []
    stop = threading.Event()

    def load(k: int) -> None:
        with httpx.Client(base_url=c.base, timeout=20) as client:
            while not stop.is_set():
                r = _submit(client, headers[k], source)
                answers.append((r.status_code, r.json(), r.headers.get("Retry-After")))
                time.sleep(0.1)  # ~30 submissions/s in all: about what two workers grade here

    def count(code: int) -> int:
        return sum(1 for c_, _, _ in list(answers) if c_ == code)

    def ready(status: int) -> bool:
        try:
            response = httpx.get(f"{c.base}/readyz", timeout=10)
        except httpx.HTTPError:
            return False
        return response.status_code == status and response.json()["database"] is (status == 200)

    threads = [threading.Thread(target=load, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    try:
        # Each phase ends on what it waits for, not after a guessed duration.
        wait_for(lambda: count(202) >= 8, 60, "submissions accepted before the restart")
        _pg_ctl("stop")
        try:
            wait_for(lambda: ready(503), 30, "/readyz to report the database down")
            down_before = count(503)
            wait_for(lambda: count(503) >= down_before + 8, 60, "clean 503s while the database is down")
        finally:
            _pg_ctl("start")
            _pg_wait_up(c.url)
        # Back up: the API and the workers reconnect by themselves.
        wait_for(lambda: ready(200), 60, "/readyz to report the database back")
        accepted_before = count(202)
        wait_for(lambda: count(202) >= accepted_before + 8, 60, "submissions accepted again after the restart")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    codes = Counter(code for code, _, _ in answers)
    assert set(codes) <= {202, 503}, codes
    assert codes[503] > 0 and codes[202] > 0, codes
    for code, body, retry_after in answers:
        if code == 503:
            assert body["error"] == "DatabaseUnavailable" and body["detail"] and retry_after == "5"
    accepted = [int(body["id"]) for code, body, _ in answers if code == 202]
    rows = c.wait_graded(accepted, timeout=60)
    assert all(rows[i].score == 100 for i in accepted)
    assert all(w.proc.poll() is None for w in c.workers), "a worker died instead of reconnecting"
    assert httpx.get(f"{c.base}/readyz", timeout=10).status_code == 200
    for worker in c.workers:
        worker.stop()
    lines = c.graded_lines()
    assert {i: lines[i] for i in accepted} == dict.fromkeys(accepted, 1)
