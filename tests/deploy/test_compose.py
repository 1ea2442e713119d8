"""docker-compose.yml, Dockerfile, deploy/proxy/ and deploy/env.example, without a Docker engine.

Static: the compose file is valid Compose Specification (checked with jsonschema against the schema in
tests/deploy/compose-spec.schema.json: the Compose Specification's schema/compose-spec.json, as shipped in
the npm package dclint 3.1.0, schemas/compose.schema.json), has no top-level `name:` (docker-compose 1.29
rejects it) and has what README and docs/deployment.md promise (services, volumes, health checks, required
secrets, a hardened grader with its seccomp profile, each service with only its own secrets and database
role, the proxy as the only published service, its body limit equal to the API's largest budget); every
variable it reads is documented in the env example; the Dockerfile is a non-root image on python:3.11-slim
by default with a HEALTHCHECK.
Dynamic (PostgreSQL): each service's command, run directly with the environment compose would give it
(the database URLs pointed at a fresh local database, with roles of their own), creates the roles and
migrates an empty database, serves as the application role, grades a submission as the grading role
without any secret, and passes the image's HEALTHCHECK command. The stack itself on a Docker engine:
tests/deploy/test_compose_engine.py."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from role_databases import RoleDatabase
from sqlalchemy.engine.url import make_url

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / "deploy" / "env.example"
COMPOSE_SCHEMA = REPO / "tests" / "deploy" / "compose-spec.schema.json"
SECCOMP_PROFILE = REPO / "deploy" / "seccomp-grader.json"
CLONE_NEWUSER = 0x10000000
REQUIRED = ("POSTGRES_PASSWORD", "RNN_GRADER_APP_DB_PASSWORD", "RNN_GRADER_GRADER_DB_PASSWORD",
            "RNN_GRADER_BACKUP_DB_PASSWORD", "RNN_GRADER_SECRET", "RNN_GRADER_ADMIN_TOKEN")
CADDYFILE = REPO / "deploy" / "proxy" / "Caddyfile"
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?:(:\?|:-)([^}]*))?\}")


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """What `docker compose` does to ${VAR}, ${VAR:-default} and ${VAR:?error} (error if unset or empty)."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        if op == ":?" and not env.get(name):
            raise KeyError(f"{name}: {arg}")
        if op == ":-" and not env.get(name):
            return arg
        return env.get(name, "")

    return VARIABLE.sub(one, value)


def dockerfile_instructions(name: str) -> list[str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [line.split(None, 1)[1].strip() for line in text.splitlines() if line.split(None, 1)[:1] == [name]]


def dockerfile_instruction(name: str) -> str:
    found = dockerfile_instructions(name)
    assert len(found) == 1, f"expected one {name} in the Dockerfile, found {found}"
    return found[0]


def exec_form(instruction: str) -> list[str]:
    argv = json.loads(instruction)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv)
    return argv


# ---------------------------------------------------------------- static checks
def test_compose_has_the_services_volume_and_health_checks_the_docs_name() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "migrate", "api", "grader", "proxy", "backup"}
    assert interpolate(services["db"]["image"], {}) == "postgres:16"  # the default; a stand-in by variable
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert any(v.startswith("pgdata:") for v in services["db"]["volumes"]) and "pgdata" in compose()["volumes"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "grader"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["api"]["environment"]["RNN_GRADER_WORKERS"] == "0"
    assert services["grader"]["deploy"]["replicas"] == 2
    for name in ("migrate", "api", "grader"):  # one image, several commands (backup: on the db's image)
        assert services[name]["image"] == services["api"]["image"]
        assert services[name]["environment"]["RNN_GRADER_QUEUE"] == "procrastinate"


def test_the_grader_container_is_hardened() -> None:
    spec = compose()
    grader = spec["services"]["grader"]
    assert grader["read_only"] is True
    assert any(t.startswith("/tmp:") for t in grader["tmpfs"])  # the sandbox's work directory
    assert "no-new-privileges:true" in grader["security_opt"]
    assert grader["cap_drop"] == ["ALL"] and "cap_add" not in grader
    assert grader["pids_limit"] > 0 and grader["mem_limit"]
    assert "ports" not in grader
    # Only the database is on its network: not the API, not the Internet.
    assert grader["networks"] == ["grading"] and spec["networks"]["grading"]["internal"] is True
    assert {name for name, svc in spec["services"].items() if "grading" in svc["networks"]} == {"db", "grader"}
    assert "privileged" not in grader and "network_mode" not in grader
    assert f"seccomp={SECCOMP_PROFILE.relative_to(REPO)}" in grader["security_opt"]


SECRETS_VALUES = {name: f"{name.lower()}-value-0123456789" for name in REQUIRED}


def _environment(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in interpolate(compose()["services"][service], SECRETS_VALUES)["environment"].items()}


def test_each_service_gets_only_its_own_secrets_and_database_role() -> None:
    """The superuser password only in db and migrate; the teacher token and the seed secret only in the API;
    the graders: their own role, no token, no secret of any other role (docs/deployment.md)."""
    holders = {name: {secret for secret, value in SECRETS_VALUES.items()
                      if any(value in v for v in _environment(name).values())}
               for name in compose()["services"]}
    assert holders == {
        "db": {"POSTGRES_PASSWORD"},
        "migrate": {"POSTGRES_PASSWORD", "RNN_GRADER_APP_DB_PASSWORD", "RNN_GRADER_GRADER_DB_PASSWORD",
                    "RNN_GRADER_BACKUP_DB_PASSWORD"},
        "api": {"RNN_GRADER_APP_DB_PASSWORD", "RNN_GRADER_SECRET", "RNN_GRADER_ADMIN_TOKEN"},
        "grader": {"RNN_GRADER_GRADER_DB_PASSWORD"},
        "backup": {"RNN_GRADER_BACKUP_DB_PASSWORD"},
        "proxy": set(),
    }
    users = {name: make_url(_environment(name)["RNN_GRADER_DATABASE_URL"]).username
             for name in ("migrate", "api", "grader", "backup")}
    superuser = _environment("db")["POSTGRES_USER"]
    assert users == {"migrate": "rnn_grader_app", "api": "rnn_grader_app", "grader": "rnn_grader_grader",
                     "backup": "rnn_grader_backup"}
    assert make_url(_environment("migrate")["RNN_GRADER_BACKUP_DATABASE_URL"]).username == users["backup"]
    assert superuser not in users.values()
    assert make_url(_environment("migrate")["RNN_GRADER_DATABASE_ADMIN_URL"]).username == superuser
    assert make_url(_environment("migrate")["RNN_GRADER_GRADER_DATABASE_URL"]).username == users["grader"]
    grader_env = _environment("grader")
    assert not {"RNN_GRADER_ADMIN_TOKEN", "RNN_GRADER_SECRET", "RNN_GRADER_DATABASE_ADMIN_URL"} & set(grader_env)


def test_only_the_proxy_is_published_and_the_api_trusts_forwarded_headers_from_its_network_only() -> None:
    spec = compose()
    services = interpolate(spec["services"], SECRETS_VALUES)
    assert [name for name, svc in services.items() if svc.get("ports")] == ["proxy"]
    assert services["proxy"]["ports"] == ["127.0.0.1:8443:8443", "127.0.0.1:8080:8080"]
    assert spec["networks"]["edge"]["internal"] is True
    assert {name for name, svc in services.items() if "edge" in svc["networks"]} == {"proxy", "api"}
    subnet = interpolate(spec["networks"]["edge"], {})["ipam"]["config"][0]["subnet"]
    assert _environment("api")["RNN_GRADER_FORWARDED_ALLOW_IPS"] == subnet
    assert _environment("api")["RNN_GRADER_COOKIE_SECURE"] == "always"
    assert interpolate(spec["services"]["proxy"]["build"]["args"]["CADDY_IMAGE"], {}) == "caddy:2"
    proxy = services["proxy"]
    assert proxy["read_only"] is True and proxy["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in proxy["security_opt"]


def test_the_proxy_body_limit_is_the_apis_largest_budget() -> None:
    from server.config import Settings
    from server.ingress.budgets import largest_body_bytes

    limit = int(_environment("proxy")["RNN_GRADER_PROXY_MAX_BODY"])
    assert limit == largest_body_bytes(Settings(database_url="sqlite://"))
    assert "max_size {$RNN_GRADER_PROXY_MAX_BODY}" in CADDYFILE.read_text()
    assert f"RNN_GRADER_PROXY_MAX_BODY:={limit}" in (REPO / "deploy" / "proxy" / "entrypoint.sh").read_text()
    assert f"#RNN_GRADER_PROXY_MAX_BODY={limit}" in ENV_EXAMPLE.read_text()


def test_the_compose_file_is_valid_compose_specification_without_a_top_level_name() -> None:
    validator = jsonschema.Draft7Validator(json.loads(COMPOSE_SCHEMA.read_text()))
    spec = compose()
    validator.validate(spec)
    secrets = {name: "x" * 24 for name in REQUIRED}
    validator.validate(interpolate(spec, secrets))
    assert "name" not in spec  # docker-compose 1.29 rejects it: COMPOSE_PROJECT_NAME in .env instead
    assert re.search(r"^COMPOSE_PROJECT_NAME=rnn-grader$", ENV_EXAMPLE.read_text(), flags=re.M)
    broken = {**spec, "services": {**spec["services"], "grader": {**spec["services"]["grader"], "replica": 2}}}
    with pytest.raises(jsonschema.ValidationError):  # the schema does catch a mistake
        validator.validate(broken)


def test_the_grader_seccomp_profile_adds_only_user_namespaces_and_mounts() -> None:
    """Docker's default profile, plus unshare (only with CLONE_NEWUSER) and mount/umount2; the calls the
    default keeps behind CAP_SYS_ADMIN stay there (docs/deployment.md)."""
    profile = json.loads(SECCOMP_PROFILE.read_text())
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"
    unconditional = set()
    for rule in profile["syscalls"]:
        if rule["action"] != "SCMP_ACT_ALLOW" or rule.get("includes", {}).get("caps"):
            continue
        if "unshare" in rule["names"]:
            assert rule["names"] == ["unshare"]
            assert rule["args"] == [{"index": 0, "value": CLONE_NEWUSER, "valueTwo": CLONE_NEWUSER,
                                     "op": "SCMP_CMP_MASKED_EQ"}]
        elif not rule.get("args"):
            unconditional |= set(rule["names"])
    assert {"mount", "umount2", "landlock_create_ruleset", "seccomp"} <= unconditional
    for name in ("setns", "bpf", "perf_event_open", "pivot_root", "open_by_handle_at", "init_module",
                 "kexec_load", "syslog", "quotactl", "clone3", "unshare"):
        assert name not in unconditional, name


def test_secrets_are_required_and_every_variable_is_documented_in_the_env_example() -> None:
    text = COMPOSE.read_text()
    used = {m.group(1): m.group(2) for m in VARIABLE.finditer(text)}
    assert {name for name, op in used.items() if op == ":?"} == set(REQUIRED)
    example = ENV_EXAMPLE.read_text()
    documented = set(re.findall(r"^#?([A-Z0-9_]+)=", example, flags=re.M))
    assert set(used) <= documented, set(used) - documented
    for name in REQUIRED:  # present, uncommented, and empty: the operator must fill them in
        assert re.search(rf"^{name}=$", example, flags=re.M), name
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD|RNN_GRADER_"):
        interpolate(compose(), {})  # compose refuses to start without them


def test_the_dockerfile_is_a_non_root_slim_image_with_a_healthcheck() -> None:
    assert dockerfile_instruction("FROM") == "${PYTHON_IMAGE}"
    assert dockerfile_instruction("ARG") == "PYTHON_IMAGE=python:3.11-slim"
    build_arg = compose()["x-app"]["build"]["args"]["PYTHON_IMAGE"]
    assert interpolate(build_arg, {}) == "python:3.11-slim"  # compose passes the same default
    assert dockerfile_instruction("USER") not in ("root", "0")
    assert "libseccomp2" in DOCKERFILE.read_text()
    healthcheck = dockerfile_instruction("HEALTHCHECK")
    assert "CMD [" in healthcheck
    assert exec_form(dockerfile_instruction("CMD")) == ["rnn-grader", "serve"]
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".env", "data/", "deploy/*.env"} <= set(ignored)


def test_the_readme_says_how_to_deploy_and_scale_out() -> None:
    readme = (REPO / "README.md").read_text()
    deployment = readme.split("## Deployment", 1)[1].split("\n## ", 1)[0]
    for needle in ("cp deploy/env.example .env", "docker compose build", "docker compose up -d", *REQUIRED,
                   "db", "migrate", "api", "grader"):
        assert needle in deployment, needle
    scaling = readme.split("## Scaling out", 1)[1].split("\n## ", 1)[0]
    for needle in ("--scale grader=", "RNN_GRADER_DATABASE_URL", "rnn-grader worker", "/metrics",
                   "rnn_grader_queue_depth", "rnn_grader_grading_seconds"):
        assert needle in scaling, needle


# ---------------------------------------------------------------- the commands, run directly
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(service: str, secrets: dict[str, str], overrides: dict[str, str]) -> dict[str, str]:
    """The environment compose gives `service`, under the Dockerfile's ENV, plus local `overrides`."""
    image_env: dict[str, str] = {}
    for pair in shlex.split(" ".join(dockerfile_instructions("ENV"))):
        key, _, value = pair.partition("=")
        image_env[key] = value
    spec = interpolate(compose()["services"][service], secrets)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RNN_GRADER_")}
    env.update(image_env)
    env.update({k: str(v) for k, v in spec["environment"].items()})
    env.update(overrides)
    return env


def argv_of(command: list[str]) -> list[str]:
    """`rnn-grader` and `python` as installed in the image are this venv's."""
    tools = {"rnn-grader": str(Path(sys.executable).with_name("rnn-grader")), "python": sys.executable}
    return [tools.get(command[0], command[0]), *command[1:]]


def _healthcheck(env: dict[str, str]) -> int:
    argv = exec_form(dockerfile_instruction("HEALTHCHECK").split("CMD", 1)[1].strip())
    return subprocess.run(argv_of(argv), env=env, timeout=30, capture_output=True).returncode


@pytest.mark.postgres
@pytest.mark.slow
def test_each_service_command_starts_with_the_compose_environment(
    role_database: Callable[..., RoleDatabase], tmp_path: Path, solutions_dir: Path
) -> None:
    database = role_database()  # EMPTY: the migrate service's command must build everything from nothing
    secrets = {**SECRETS_VALUES, "RNN_GRADER_SECRET": "compose-seed-secret-0123456789",
               "RNN_GRADER_ADMIN_TOKEN": "compose-admin-token-0123456789"}
    api_port, api_metrics_port, metrics_port = _free_port(), _free_port(), _free_port()
    local = {  # what differs outside a container: the database host and roles, ports, paths
        "RNN_GRADER_EXERCISES_DIR": str(REPO / "exercises"),
        "RNN_GRADER_CLIENT_DIR": str(REPO / "client"),
        "RNN_GRADER_DATA_DIR": str(tmp_path / "data"),
        "RNN_GRADER_HOST": "127.0.0.1",
        "PYTHONPATH": str(REPO),
    }

    def service_env_here(service: str, overrides: dict[str, str]) -> dict[str, str]:
        env = service_env(service, secrets, {**local, **overrides})
        for name in ("RNN_GRADER_DATABASE_URL", "RNN_GRADER_DATABASE_ADMIN_URL", "RNN_GRADER_GRADER_DATABASE_URL",
                     "RNN_GRADER_BACKUP_DATABASE_URL"):
            if name in env:
                env[name] = database.localize(env[name])
        return env

    services = compose()["services"]
    migrate_env = service_env_here("migrate", {})
    migrated = subprocess.run(argv_of(services["migrate"]["command"]), env=migrate_env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    assert "latest migration" in migrated.stdout
    again = subprocess.run(argv_of(services["migrate"]["command"]), env=migrate_env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr  # a second run (a restart of the stack) is a no-op

    api_env = service_env_here("api", {"RNN_GRADER_PORT": str(api_port),
                                       "RNN_GRADER_METRICS_BIND": f"127.0.0.1:{api_metrics_port}",
                                       "RNN_GRADER_HEALTHCHECK_URL": f"http://127.0.0.1:{api_port}/healthz"})
    assert services["api"]["environment"]["RNN_GRADER_METRICS_BIND"] == "0.0.0.0:9100"  # scraped inside compose
    grader_env = service_env_here("grader", {"RNN_GRADER_METRICS_PORT": str(metrics_port),
                                             "RNN_GRADER_HEALTHCHECK_URL": f"http://127.0.0.1:{metrics_port}/metrics"})
    assert api_env["RNN_GRADER_WORKERS"] == "0" and grader_env["RNN_GRADER_WORKERS"] == "2"
    # The grader runs as the grading role with no secret at all (and no forwarded-header trust to need).
    assert grader_env["RNN_GRADER_DATABASE_URL"] == database.grader_url
    assert not [k for k in grader_env if k in ("RNN_GRADER_SECRET", "RNN_GRADER_ADMIN_TOKEN")]
    assert api_env["RNN_GRADER_DATABASE_URL"] == database.app_url
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for name, env in (("api", api_env), ("grader", grader_env)):
            with (tmp_path / f"{name}.log").open("wb") as log:
                procs.append(subprocess.Popen(argv_of(services[name]["command"]), env=env, cwd=tmp_path,
                                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        base = f"http://127.0.0.1:{api_port}"
        deadline = time.monotonic() + 60
        while True:
            assert all(p.poll() is None for p in procs), (tmp_path / "api.log").read_text() + (
                tmp_path / "grader.log").read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200 and httpx.get(
                        f"http://127.0.0.1:{metrics_port}/metrics", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "api.log").read_text()
            time.sleep(0.2)
        assert httpx.get(f"{base}/healthz").status_code == 200
        ours = os.getpriority(os.PRIO_PROCESS, 0)  # the worker grades below the API's CPU priority, the API not
        assert os.getpriority(os.PRIO_PROCESS, procs[1].pid) == min(19, ours + 10)
        assert os.getpriority(os.PRIO_PROCESS, procs[0].pid) == ours
        assert _healthcheck(api_env) == 0 and _healthcheck(grader_env) == 0

        teacher = {"Authorization": f"Bearer {secrets['RNN_GRADER_ADMIN_TOKEN']}"}
        created = httpx.post(f"{base}/api/v1/students", json={"student_id": "s1", "name": "S"}, headers=teacher)
        student = {"Authorization": f"Bearer {created.json()['token']}"}
        source = (solutions_dir / "correct_rnn.py").read_text()
        graded = httpx.post(f"{base}/api/v1/submissions?wait=30", json={"exercise": "rnn", "source": source},
                            headers=student, timeout=40)
        assert graded.status_code == 200, graded.text
        assert graded.json()["status"] == "graded" and graded.json()["score"] == 100
        client = httpx.get(f"{base}/api/v1/client").json()  # the image builds the student client too
        assert httpx.get(base + client["url"]).status_code == 200
        metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        assert "rnn_grader_grading_seconds_count" in metrics and "rnn_grader_queue_depth 0.0" in metrics
        api_metrics = httpx.get(f"http://127.0.0.1:{api_metrics_port}/metrics")  # the API's scrape address
        assert api_metrics.status_code == 200 and "rnn_grader_http_requests_total" in api_metrics.text
        assert httpx.get(f"{base}/metrics").status_code == 401  # not on the public port without a token
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    # Both stop cleanly on SIGTERM (docker stop). uvicorn re-raises the signal after its graceful shutdown.
    assert procs[0].returncode in (0, -signal.SIGTERM) and procs[1].returncode == 0
    assert "Application shutdown complete" in (tmp_path / "api.log").read_text()
    assert _healthcheck(api_env) != 0  # and the health check notices a dead API
