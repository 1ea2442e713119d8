"""docker-compose.yml on a real Docker engine: the image builds, the stack comes up healthy and grades.

The stack is brought up by deploy/compose_stack.py, the code `make compose-up` runs: a Docker engine (dockerd
started, and Debian's docker.io installed, when none answers), the base images (stand-ins built from
Debian packages when the official ones cannot be pulled), the app image, a generated env file, `compose up`.
The test uses its own compose project name, image tags, env file, edge subnet and free host ports, so a
teacher's stack on the same engine is never touched. Marked `docker`: `make test` runs this module on its
own. It never skips: if no engine can be started the module FAILS.

Every request goes through the proxy over HTTPS, verified with the proxy's local root certificate as
`make compose-up` saves it. In order, on one stack: the image; health; least privilege from inside a grader
container (no token or secret in its environment, its database role denied students' token hashes and the
staff table, no route to the API); HTTPS (only the proxy published, HTTP redirected, the body limit,
/metrics kept in, client address and scheme forwarded and trusted, a sign-in on the pages with Secure
cookies); a correct submission graded 100/100 by a grader container; a wrong one losing the right part;
hostile ones contained; the sandbox layers the grader containers report (the set docs/deployment.md
documents); `docker kill` of the grading container mid-grading (graded exactly once, counted from the
graders' logs); the database stopped and started (503, then recovery); `compose down` and `up` keeping
the data. At the end nothing of the test's project is left, and a dockerd the test started is stopped again.
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from helpers import cookie_flags, page_sign_in, set_cookies
from solutions.slow import slow_correct_source

from grader.sandbox import landlock

REPO = Path(__file__).resolve().parents[2]
CORRECT = (REPO / "tests" / "solutions" / "correct_rnn.py").read_text(encoding="utf-8")
GRADED_LINE = re.compile(r"graded submission=(\d+) ")
LAYERS_DOC = REPO / "docs" / "deployment.md"

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(3600)]


def _load_compose_stack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compose_stack", REPO / "deploy" / "compose_stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["compose_stack"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


cs = _load_compose_stack()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def container_logs(cid: str) -> str:
    """What the container wrote, stdout and stderr (the app logs to stderr)."""
    done = subprocess.run(["docker", "logs", cid], capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def docker(*args: str, check: bool = True, timeout: float = 120) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr}"
    return done.stdout


@dataclass
class Deployment:
    stack: Any  # compose_stack.Stack
    env: dict[str, str]
    base_url: str
    ca_file: Path  # the proxy's local root certificate, as `make compose-up` saves it
    bases: dict[str, str]
    timings: dict[str, float]
    submissions: dict[str, int] = field(default_factory=dict)  # name -> id, for the later checks

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    @property
    def teacher(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.env['RNN_GRADER_ADMIN_TOKEN']}"}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=90, verify=self.tls())

    def student(self, student_id: str) -> dict[str, str]:
        with self.client() as c:
            created = c.post("/api/v1/students", json={"student_id": student_id, "name": student_id},
                             headers=self.teacher)
        assert created.status_code == 201, created.text
        return {"Authorization": f"Bearer {created.json()['token']}"}

    def submit(self, student: dict[str, str], source: str, wait: int = 60) -> dict[str, Any]:
        with self.client() as c:
            response = c.post(f"/api/v1/submissions?wait={wait}", json={"exercise": "rnn", "source": source},
                              headers=student)
        assert response.status_code in (200, 202), response.text
        body: dict[str, Any] = response.json()
        return body

    def teacher_view(self, submission_id: int) -> dict[str, Any]:
        with self.client() as c:
            response = c.get(f"/api/v1/submissions/{submission_id}", headers=self.teacher)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait_final(self, submission_id: int, timeout: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            view = self.teacher_view(submission_id)
            if view["status"] in ("graded", "failed"):
                return view
            assert time.monotonic() < deadline, f"submission {submission_id} still {view['status']}"
            time.sleep(0.5)

    def graded(self, student: dict[str, str], source: str) -> dict[str, Any]:
        """Submit and wait for the final teacher view."""
        return self.wait_final(int(self.submit(student, source)["id"]))

    def graders(self) -> list[str]:
        return list(self.stack.containers("grader"))

    def grader_logs(self) -> dict[str, str]:
        return {cid: container_logs(cid) for cid in self.graders()}

    def graded_lines(self, submission_id: int) -> int:
        return sum(int(m.group(1)) == submission_id
                   for text in self.grader_logs().values() for m in GRADED_LINE.finditer(text))

    def psql(self, sql: str) -> str:
        (db,) = self.stack.containers("db")
        return docker("exec", db, "psql", "-U", "rnn_grader", "-d", "rnn_grader", "-tAc", sql).strip()

    def in_grader(self, code: str) -> str:
        """Python run inside a grader container (its environment: the worker's), as the image's user."""
        done = subprocess.run(["docker", "exec", "-i", self.graders()[0], "python", "-"], input=code,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout


def _unused_subnet() -> str:
    """A /29 for the test stack's edge network that no network of this engine overlaps."""
    import ipaddress

    used = [ipaddress.ip_network(subnet) for network in docker("network", "ls", "-q").split()
            for subnet in docker("network", "inspect", "--format",
                                 "{{range .IPAM.Config}}{{.Subnet}} {{end}}", network).split()]
    while True:
        candidate = ipaddress.ip_network(f"172.16.{random.randrange(1, 250)}.{8 * random.randrange(0, 32)}/29")
        if not any(candidate.overlaps(net) for net in used):
            return str(candidate)


def _leftovers(project: str) -> list[str]:
    label = f"label=com.docker.compose.project={project}"
    found = [f"container {c}" for c in docker("ps", "-aq", "--filter", label).split()]
    for kind in ("network", "volume"):
        names = docker(kind, "ls", "--format", "{{.Name}}").split()
        found += [f"{kind} {n}" for n in names if n.startswith(f"{project}_")]
        found += [f"{kind} {n}" for n in docker(kind, "ls", "-q", "--filter", label).split()]
    return found


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, compose_timings: dict[str, float]) -> Iterator[Deployment]:
    started_at = time.monotonic()
    try:
        started_engine = cs.ensure_engine()
        cs.find_compose()
    except cs.DeployError as exc:
        pytest.fail(f"no Docker engine could be started: {exc}")
    compose_timings["engine (and packages) ready"] = time.monotonic() - started_at
    project = f"rnn-grader-test-{uuid.uuid4().hex[:8]}"
    folder = tmp_path_factory.mktemp("compose")
    env_file = folder / "test.env"
    assert cs.ensure_env_file(env_file) and not cs.ensure_env_file(env_file)  # written once, then kept
    stack = cs.Stack(env_file=env_file, project=project, app_image="rnn-grader:compose-test",
                     proxy_image="rnn-grader-proxy:compose-test", https_publish=f"127.0.0.1:{_free_port()}",
                     http_publish=f"127.0.0.1:{_free_port()}")
    stack.extra_env["RNN_GRADER_EDGE_SUBNET"] = _unused_subnet()
    try:
        t = time.monotonic()
        bases = cs.prepare_images(stack)
        compose_timings["base + app + proxy + backup images"] = time.monotonic() - t
        t = time.monotonic()
        stack.up()
        stack.wait_healthy()
        ca_file = stack.save_local_ca(folder / "ca.crt")
        stack.wait_https(ca_file)
        compose_timings["compose up until healthy (HTTPS)"] = time.monotonic() - t
        yield Deployment(stack=stack, env=cs.read_env_file(env_file), base_url=stack.https_url.rstrip("/"),
                         ca_file=ca_file, bases=bases, timings=compose_timings)
    finally:
        t = time.monotonic()
        stack.run("down", "--volumes", "--remove-orphans", "--timeout", "20", check=False, quiet=True)
        left = _leftovers(project)
        if started_engine:
            cs.stop_engine()
        compose_timings["compose down (and dockerd stop)"] = time.monotonic() - t
        compose_timings["compose test in all"] = time.monotonic() - started_at
    assert left == [], f"left behind: {left}"
    if started_engine:
        assert not cs.engine_answers(), "the dockerd this test started still answers"


def _override(body: str) -> str:
    return CORRECT + "\n\n" + body + "\n"


def _forward_calls(snippet: str) -> str:
    """rnn_forward runs `snippet` first, then answers correctly: full forward marks mean it got through."""
    indented = "\n".join("    " + line for line in snippet.strip().splitlines())
    return _override(f"_correct_forward = rnn_forward\ndef rnn_forward(*args):\n{indented}\n"
                     "    return _correct_forward(*args)\n")


def _parts(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in view["parts"]}


def _documented_layers() -> dict[str, str]:
    """layer -> 'yes' | 'no' | 'Landlock ABI >= N', from the table in docs/deployment.md."""
    text = LAYERS_DOC.read_text(encoding="utf-8")
    section = text.split("### Sandbox layers in the grader container", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \|", section, flags=re.M)
    assert rows, "no layer table in docs/deployment.md"
    return {name: state.strip() for name, state in rows}


def _expected_layers() -> dict[str, bool]:
    abi = landlock.abi_version()  # the grader containers share this kernel
    expected = {}
    for name, state in _documented_layers().items():
        needs = re.fullmatch(r"Landlock ABI >= (\d+)", state)
        expected[name] = abi >= int(needs.group(1)) if needs else state == "yes"
    return expected


# ---------------------------------------------------------------- the image and the stack
def test_the_image_builds_without_the_ca_bundle_in_it(deployment: Deployment) -> None:
    image = deployment.stack.app_image
    config = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", image))
    assert config["User"] == "grader" and config["Healthcheck"]["Test"][0] == "CMD"
    assert not any(v.startswith(("PIP_CERT=", "REQUESTS_CA_BUNDLE=")) for v in config["Env"])
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image)
    assert "BEGIN CERTIFICATE" not in history  # the CA bundle was a build secret, in no layer
    probe = docker("run", "--rm", "--entrypoint", "sh", image, "-c",
                   "id -u; python -c 'import sys; print(sys.version_info[:2])'; "
                   "if [ -e /run/secrets/pip_ca ]; then echo present; else echo absent; fi")
    assert probe.split() == ["10001", "(3,", "11)", "absent"], probe
    for kind, official in cs.OFFICIAL.items():  # stand-ins only where the official image is not to be had
        chosen = deployment.bases[kind]
        assert chosen == official or (chosen == cs.STANDIN[kind] and not cs.image_exists(official))
    # The compose file as this machine's compose (v1.29 here) reads it, with the test's env file.
    assert deployment.stack.run("config", "--quiet", quiet=True).returncode == 0


def test_the_stack_is_healthy_and_the_graders_are_confined(deployment: Deployment) -> None:
    state = deployment.stack.state()
    assert state["migrate"] == [("exited", "-", "0")]
    for service, count in (("db", 1), ("api", 1), ("grader", 2)):
        assert [(s, h) for s, h, _ in state[service]] == [("running", "healthy")] * count, state
    assert [s for s, _h, _c in state["proxy"]] == ["running"]
    with deployment.client() as c:
        assert c.get("/readyz").status_code == 200
    assert deployment.psql("SHOW server_encoding") == "UTF8"
    project = deployment.stack.project
    for cid in deployment.graders():
        info = json.loads(docker("inspect", cid))[0]
        host = info["HostConfig"]
        assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"] and not host["CapAdd"]
        assert host["PidsLimit"] == 256 and host["Memory"] == 2 * 1024**3 and not host["PortBindings"]
        assert "no-new-privileges:true" in host["SecurityOpt"]
        assert any(opt.startswith("seccomp=") and "unshare" in opt for opt in host["SecurityOpt"])
        assert set(info["NetworkSettings"]["Networks"]) == {f"{project}_grading"}
        assert info["Config"]["User"] == "grader" and host["Init"] is True


# ---------------------------------------------------------------- least privilege
def test_a_grader_container_holds_no_token_or_secret_and_its_role_is_denied_what_grading_does_not_need(
    deployment: Deployment,
) -> None:
    secrets = {deployment.env[name] for name in ("RNN_GRADER_ADMIN_TOKEN", "RNN_GRADER_SECRET", "POSTGRES_PASSWORD",
                                                 "RNN_GRADER_APP_DB_PASSWORD")}
    for cid in deployment.graders():
        env = json.loads(docker("inspect", "--format", "{{json .Config.Env}}", cid))
        names = {item.split("=", 1)[0] for item in env}
        assert not names & {"RNN_GRADER_ADMIN_TOKEN", "RNN_GRADER_SECRET", "RNN_GRADER_SESSION_SECRET",
                            "RNN_GRADER_DATABASE_ADMIN_URL", "POSTGRES_PASSWORD"}, names
        assert not [item for item in env if any(secret in item for secret in secrets)]
        # The worker started without them and did not ask for them.
        assert "needs neither" not in container_logs(cid)
    # As the worker's process sees it, and what its database role may do.
    found = json.loads(deployment.in_grader((Path(__file__).parent / "grader_probe.py").read_text()))
    assert found["secret_names"] == []
    for denied in ("token_hash", "staff", "sessions", "audit", "extensions", "source_write"):
        assert found[denied] == "denied", (denied, found)
    assert found["superuser"] == [[False]] and isinstance(found["queue_depth"][0][0], int)  # grading's reads work
    assert found["api"].startswith("unreachable"), found  # and no network to the API
    # The application role is no superuser either, and owns what it migrated.
    assert deployment.psql("SELECT rolsuper FROM pg_roles WHERE rolname = 'rnn_grader_app'") == "f"
    assert deployment.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'submissions'") == "rnn_grader_app"


# ---------------------------------------------------------------- HTTPS through the proxy
def test_only_the_proxy_is_published_and_it_speaks_https_with_its_local_ca(deployment: Deployment) -> None:
    stack = deployment.stack
    published = {}
    for cid in stack.containers():
        ports = json.loads(docker("inspect", "--format", "{{json .HostConfig.PortBindings}}", cid)) or {}
        service = docker("inspect", "--format", '{{ index .Config.Labels "com.docker.compose.service" }}', cid)
        if ports:
            published[service.strip()] = ports
    assert set(published) == {"proxy"}, published
    with deployment.client() as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        assert c.get("/metrics").status_code == 404  # the operator's scrapers use the internal network
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):  # not a publicly trusted name
        httpx.get(f"{deployment.base_url}/healthz", verify=ssl.create_default_context())
    # Plain HTTP only redirects, to the same path on the HTTPS port.
    redirect = httpx.get(f"http://localhost:{stack.http_publish.rsplit(':', 1)[1]}/student/login?lang=zh")
    assert redirect.status_code == 308
    assert redirect.headers["location"] == f"{deployment.base_url}/student/login?lang=zh"


def test_the_proxy_refuses_a_body_over_the_apis_largest_budget_with_json(deployment: Deployment) -> None:
    student = deployment.student("compose-big")
    limit = int(cs.read_env_file(deployment.stack.env_file).get("RNN_GRADER_PROXY_MAX_BODY") or 2113536)

    def chunks() -> Iterator[bytes]:  # no Content-Length: only counting stops it
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    with deployment.client() as c:
        refused = c.post("/api/v1/submissions", content=chunks(),
                         headers={**student, "Content-Type": "application/json"})
    assert refused.status_code == 413 and refused.headers["content-type"] == "application/json"
    assert refused.json()["error"] == "PayloadTooLarge" and refused.json()["detail"]


def test_the_api_sees_the_client_address_and_scheme_only_as_the_proxy_forwards_them(deployment: Deployment) -> None:
    with deployment.client() as c:
        info = c.get("/api/v1/client", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http"})
    assert info.json()["install"].startswith(f'pip install "{deployment.base_url}/api/v1/client/')  # https
    (api,) = deployment.stack.containers("api")
    lines = [line for line in container_logs(api).splitlines() if "GET /api/v1/client 200" in line]
    assert lines and "203.0.113.9" not in lines[-1]
    client = lines[-1].rsplit("client=", 1)[1]
    proxy_ip = docker("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                      deployment.stack.containers("proxy")[0]).split()
    assert client not in proxy_ip  # the proxy's forwarded address was trusted, the client's forged one not


def test_signing_in_on_the_pages_over_https_sets_secure_cookies(deployment: Deployment) -> None:
    student = deployment.student("compose-pages")
    token = student["Authorization"].removeprefix("Bearer ")
    with deployment.client() as c:
        c.headers["Origin"] = deployment.base_url  # as a browser sends with a form POST
        signed_in = page_sign_in(c, token, "/student")
        assert signed_in.status_code == 303, signed_in.text
        assert "secure" in cookie_flags(set_cookies(signed_in)["rnn_grader_student"])  # the session
        assert c.get("/student").status_code == 200
        teacher = page_sign_in(c, deployment.env["RNN_GRADER_ADMIN_TOKEN"], "/scoreboard")
        assert teacher.status_code == 303, teacher.text
        staff_cookie = [c for name, c in set_cookies(teacher).items() if not name.endswith("_login")]
        assert staff_cookie and all("secure" in cookie_flags(c) for c in staff_cookie), set_cookies(teacher)
        board = c.get("/scoreboard")
        assert board.status_code == 200 and "compose-pages" in board.text


# ---------------------------------------------------------------- grading through the containers
def test_a_correct_submission_is_graded_100_by_a_grader_container(deployment: Deployment) -> None:
    student = deployment.student("compose-correct")
    posted = deployment.submit(student, CORRECT)
    assert posted["status"] == "graded", posted
    assert posted["score"] == posted["max_score"] == 100
    deployment.submissions["correct"] = int(posted["id"])
    assert deployment.graded_lines(int(posted["id"])) == 1  # a grader container wrote it, once
    (api,) = deployment.stack.containers("api")
    assert not GRADED_LINE.search(container_logs(api))  # the API grades nothing (RNN_GRADER_WORKERS=0)


def test_a_wrong_submission_loses_exactly_the_broken_part(deployment: Deployment) -> None:
    truncated_bptt = CORRECT.replace("dh_next = da @ W_hh", "dh_next = np.zeros_like(h0)")
    assert truncated_bptt != CORRECT
    view = deployment.graded(deployment.student("compose-wrong"), truncated_bptt)
    parts = _parts(view)
    assert view["status"] == "graded"
    assert parts["forward"]["score"] == parts["forward"]["max_score"]
    assert parts["clip"]["score"] == parts["clip"]["max_score"]
    assert parts["backward"]["score"] < parts["backward"]["max_score"]
    # Scores are stored rounded (credit per output makes fractions): the lost marks are backward's, to rounding.
    lost = parts["backward"]["max_score"] - parts["backward"]["score"]
    assert view["score"] == pytest.approx(100 - lost, abs=1e-3)


HOSTILE = {
    "fork bomb": "import os\nwhile True:\n    os.fork()",
    "pid 1's environment": "print(open('/proc/1/environ', 'rb').read())",
    "its worker's environment": (
        "import os\nzygote = os.getppid()\n"
        "worker = [l.split()[1] for l in open('/proc/%d/status' % zygote) if l.startswith('PPid:')][0]\n"
        "print(open('/proc/%s/environ' % worker, 'rb').read())"
    ),
    "the db service": "import socket\nsocket.create_connection(('db', 5432), timeout=3).sendall(b'x')",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_submissions_are_contained(deployment: Deployment, name: str) -> None:
    before = {c: docker("inspect", "--format", "{{.RestartCount}} {{.State.StartedAt}}", c) for c in
              deployment.graders()}
    view = deployment.graded(deployment.student(f"compose-hostile-{len(name)}-{uuid.uuid4().hex[:6]}"),
                             _forward_calls(HOSTILE[name]))
    parts = _parts(view)
    assert view["status"] == "graded"
    assert {t["outcome"] for t in parts["forward"]["tests"]} == {"runtime_error"}, parts["forward"]
    assert parts["backward"]["score"] == parts["backward"]["max_score"]
    assert parts["clip"]["score"] == parts["clip"]["max_score"]
    blob = json.dumps(view)
    for secret in cs.SECRETS:
        assert deployment.env[secret] not in blob, f"{secret} came back in the result"
    # The graders survived it: same containers, not restarted; the next honest submission gets 100.
    assert {c: docker("inspect", "--format", "{{.RestartCount}} {{.State.StartedAt}}", c) for c in
            deployment.graders()} == before
    assert deployment.graded(deployment.student(f"honest-{uuid.uuid4().hex[:6]}"), CORRECT)["score"] == 100


def test_the_grader_containers_report_the_documented_sandbox_layers(deployment: Deployment) -> None:
    expected = _expected_layers()
    view = deployment.teacher_view(deployment.submissions["correct"])
    assert view["sandbox_layers"] == expected
    for cid, log in deployment.grader_logs().items():  # each container says what it lacks, and why
        for name, active in expected.items():
            assert (f"sandbox layer {name} is not active" in log) is (not active), (cid, name)


# ---------------------------------------------------------------- backups
CHECKSUM = ("SELECT count(*) || ':' || coalesce(md5(string_agg(id || '/' || status || '/' || coalesce(score, -1) "
            "|| '/' || md5(source), ',' ORDER BY id)), '') FROM submissions")


def test_the_backup_service_writes_backups_that_restore(deployment: Deployment) -> None:
    """The service took one at start, with its own role (reads everything, holds no token or secret); the
    same command now, restored into a fresh database, gives back every submission and student."""
    (backup,) = deployment.stack.containers("backup")
    env = json.loads(docker("inspect", "--format", "{{json .Config.Env}}", backup))
    assert not {item.split("=", 1)[0] for item in env} & {"RNN_GRADER_ADMIN_TOKEN", "RNN_GRADER_SECRET"}
    assert [item for item in env if item.startswith("RNN_GRADER_DATABASE_URL=")][0].split("//")[1].startswith(
        "rnn_grader_backup:")
    deadline = time.monotonic() + 120
    while not docker("exec", backup, "sh", "-c", "ls /backups/rnn-grader-*.dump 2>/dev/null",
                  check=False).split():
        assert time.monotonic() < deadline, container_logs(backup)
        time.sleep(1)
    t = time.monotonic()
    taken = json.loads(docker("exec", backup, "rnn-grader", "backup", "--out", "/backups/test.dump", "--json"))
    deployment.timings["a backup (pg_dump -Fc, checked)"] = time.monotonic() - t
    assert taken["backend"] == "postgresql" and taken["bytes"] > 0
    deployment.psql("DROP DATABASE IF EXISTS restored")
    deployment.psql("CREATE DATABASE restored")
    try:
        target = f"postgresql+psycopg://rnn_grader:{deployment.env['POSTGRES_PASSWORD']}@db:5432/restored"
        restored = subprocess.run(["docker", "exec", backup, "rnn-grader", "restore", "/backups/test.dump",
                                   "--database-url", target], capture_output=True, text=True, timeout=300)
        assert restored.returncode == 0, restored.stderr
        (db,) = deployment.stack.containers("db")
        source = deployment.psql(CHECKSUM)
        copy = docker("exec", db, "psql", "-U", "rnn_grader", "-d", "restored", "-tAc", CHECKSUM).strip()
        assert copy == source and int(source.split(":")[0]) > 0
        students = "SELECT string_agg(student_id || token_hash, ',' ORDER BY student_id) FROM students"
        assert docker("exec", db, "psql", "-U", "rnn_grader", "-d", "restored", "-tAc", students).strip() == \
            deployment.psql(students)
    finally:
        deployment.psql("DROP DATABASE IF EXISTS restored")


# ---------------------------------------------------------------- failures
def test_docker_kill_of_the_grading_container_still_grades_once(deployment: Deployment) -> None:
    posted = deployment.submit(deployment.student("compose-kill"), slow_correct_source(3.0), wait=0)
    submission_id = int(posted["id"])
    deadline = time.monotonic() + 60
    owner = ""
    while not owner:
        assert time.monotonic() < deadline, "the submission was never claimed"
        owner = deployment.psql(f"SELECT coalesce(lease_owner, '') FROM submissions WHERE id = {submission_id} "
                                "AND status = 'running'")
        time.sleep(0.2)
    (victim,) = [c for c in deployment.graders() if c[:12] in owner]
    t = time.monotonic()
    docker("kill", victim)
    view = deployment.wait_final(submission_id, timeout=240)
    deployment.timings["kill -> graded by the other grader"] = time.monotonic() - t
    assert view["status"] == "graded" and view["score"] == 100
    assert deployment.graded_lines(submission_id) == 1
    deployment.stack.up()  # the killed replica back (if its restart policy has not done it already)
    deployment.stack.wait_healthy()


def test_stopping_the_database_gives_503_then_recovers(deployment: Deployment) -> None:
    stack = deployment.stack
    submission_id = deployment.submissions["correct"]
    stack.run("stop", "--timeout", "20", "db", quiet=True)
    try:
        with deployment.client() as c:
            deadline = time.monotonic() + 30
            while (ready := c.get("/readyz")).status_code != 503:
                assert time.monotonic() < deadline, ready.text
                time.sleep(0.5)
            down = c.get(f"/api/v1/submissions/{submission_id}", headers=deployment.teacher)
            assert down.status_code == 503 and down.json()["error"] == "DatabaseUnavailable", down.text
            assert down.headers.get("Retry-After")
    finally:
        stack.run("start", "db", quiet=True)
    t = time.monotonic()
    with deployment.client() as c:
        deadline = time.monotonic() + 120
        while c.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the API did not recover"
            time.sleep(0.5)
    deployment.timings["database back -> API ready"] = time.monotonic() - t
    stack.wait_healthy()
    assert deployment.graded(deployment.student("compose-after-db"), CORRECT)["score"] == 100


def test_down_and_up_keep_the_data(deployment: Deployment) -> None:
    stack = deployment.stack
    before = deployment.teacher_view(deployment.submissions["correct"])
    stack.run("down", "--timeout", "20", quiet=True)
    assert stack.containers() == []
    docker("volume", "inspect", f"{stack.project}_pgdata")
    stack.up()
    stack.wait_healthy()
    stack.wait_https(deployment.ca_file)  # the same local CA: it lives in the proxy's volume
    after = deployment.teacher_view(deployment.submissions["correct"])
    assert after["status"] == "graded" and after["score"] == before["score"] == 100
    assert after["graded_at"] == before["graded_at"]
    assert deployment.graded(deployment.student("compose-after-restart"), CORRECT)["score"] == 100
