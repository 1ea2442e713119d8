#!/usr/bin/env python3
"""Run docker-compose.yml on this machine: a Docker engine, the base images, the app image, `.env`, compose.

Used by `make compose-up` / `make compose-down` and by the compose test (tests/deploy/). Standard library
only, so any python3 runs it.

    python3 deploy/compose_stack.py up       # engine, images, .env, `compose up -d`, wait until healthy,
                                             # the local CA's root certificate in .compose/ca.crt
    python3 deploy/compose_stack.py down     # `compose down -v`; stops dockerd if this script started it
    python3 deploy/compose_stack.py images   # only the engine and the images
    python3 deploy/compose_stack.py compose -- ps   # any compose command, with this stack's options

- Engine: `docker info` must answer; if not, dockerd is started (`--iptables=false`; Debian's docker.io is
  installed with apt first if there is no dockerd), and its pid is recorded so `down` stops it again.
- Compose: `docker compose` (v2) if present, else `docker-compose` (v1.29, installed from Debian if
  neither exists), which needs `--compatibility` for `deploy.replicas`.
- Base images: the official `python:3.11-slim`, `postgres:16` and `caddy:2` when the engine has or can pull
  them; otherwise stand-ins built from Debian packages (deploy/standin/) on a `debootstrap --variant=minbase`
  root file system, cached as a tarball and as images so later runs reuse them.
- The app image is built with BuildKit, `--network host`, and this machine's CA bundle as a build secret
  (pip in the build may need it; a secret never ends up in the image); the proxy image (deploy/proxy/) on
  the Caddy base.
- `.env`: written from deploy/env.example with fresh secrets; an existing one is kept, and a secret it
  lacks (one added by a newer version of the stack) is appended.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / "deploy" / "env.example"
STANDIN_DIR = REPO / "deploy" / "standin"
CACHE = Path(os.environ.get("RNN_GRADER_DEPLOY_CACHE") or Path.home() / ".cache" / "rnn-grader-deploy")
DOCKERD_PID = CACHE / "dockerd.pid"
DOCKERD_LOG = CACHE / "dockerd.log"

DEFAULT_PROJECT = "rnn-grader"
DEFAULT_APP_IMAGE = "rnn-grader:latest"
DEFAULT_PROXY_IMAGE = "rnn-grader-proxy:latest"
DEFAULT_BACKUP_IMAGE = "rnn-grader-backup:latest"
DEFAULT_HTTPS_PUBLISH = "127.0.0.1:8443"
DEFAULT_HTTP_PUBLISH = "127.0.0.1:8080"
OFFICIAL = {"python": "python:3.11-slim", "postgres": "postgres:16", "caddy": "caddy:2"}
STANDIN = {"python": "rnn-grader-standin/python:3.11-bookworm", "postgres": "rnn-grader-standin/postgres:15-bookworm",
           "caddy": "rnn-grader-standin/caddy:2-bookworm"}
ROOTFS_IMAGE = "rnn-grader-standin/bookworm:minbase"
ROOTFS_TAR = CACHE / "bookworm-minbase.tar"
SOURCE_LABEL = "org.rnn-grader.standin-source"  # hash of a stand-in's Dockerfile: rebuilt when it changes
APP_LABEL = "org.rnn-grader.app"
# The compose variables that pick the base images (docker-compose.yml; defaults: the official images).
BASE_VARIABLES = {"python": "RNN_GRADER_PYTHON_IMAGE", "postgres": "RNN_GRADER_POSTGRES_IMAGE",
                  "caddy": "RNN_GRADER_CADDY_IMAGE"}
SECRETS = ("POSTGRES_PASSWORD", "RNN_GRADER_APP_DB_PASSWORD", "RNN_GRADER_GRADER_DB_PASSWORD",
           "RNN_GRADER_BACKUP_DB_PASSWORD", "RNN_GRADER_SECRET", "RNN_GRADER_ADMIN_TOKEN")
# Caddy's local CA (deploy/proxy/: XDG_DATA_HOME=/srv/caddy/data), and where `up` saves its root certificate.
PROXY_CA_ROOT = "/srv/caddy/data/caddy/pki/authorities/local/root.crt"
LOCAL_CA_FILE = REPO / ".compose" / "ca.crt"
CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


# dockerd processes this process started, kept so they are waited for (not garbage-collected while running).
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


class DeployError(Exception):
    """Something this machine lacks or refused; the message says what to do."""


def say(message: str) -> None:
    print(f"[compose-stack] {message}", file=sys.stderr, flush=True)


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 600, quiet: bool = False,
        env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command; its output is captured when `quiet` (shown if it fails), streamed otherwise."""
    full_env = {**os.environ, **(env or {})}
    try:
        done = subprocess.run(list(argv), text=True, timeout=timeout, env=full_env, stdin=subprocess.DEVNULL,
                              capture_output=quiet, cwd=cwd)
    except FileNotFoundError as exc:
        raise DeployError(f"{argv[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise DeployError(f"`{' '.join(argv)}` did not finish within {timeout:.0f} s") from exc
    if check and done.returncode != 0:
        detail = (done.stderr or done.stdout or "").strip()[-2000:] if quiet else "(output above)"
        raise DeployError(f"`{' '.join(argv)}` exited with {done.returncode}: {detail}")
    return done


def succeeds(argv: Sequence[str], timeout: float = 60) -> bool:
    try:
        return run(argv, check=False, quiet=True, timeout=timeout).returncode == 0
    except DeployError:
        return False


def apt_install(packages: Sequence[str]) -> None:
    if os.geteuid() != 0:
        raise DeployError(f"{', '.join(packages)} missing: install them (Debian: apt-get install {' '.join(packages)})")
    say(f"installing {' '.join(packages)} with apt")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    argv = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
    if not succeeds(argv, timeout=900):  # an old or missing package list: refresh it once
        run(["apt-get", "update", "-qq"], quiet=True, env=env)
        run(argv, quiet=True, env=env, timeout=900)


# ---------------------------------------------------------------- the engine
def engine_answers() -> bool:
    return shutil.which("docker") is not None and succeeds(["docker", "info", "--format", "{{.ServerVersion}}"], 30)


def _recorded_dockerd() -> int | None:
    """The pid of the dockerd this script started, if it still runs."""
    try:
        pid = int(DOCKERD_PID.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if cmdline.split(b"\0")[0].endswith(b"dockerd") else None


def ensure_engine() -> bool:
    """Make `docker info` answer. True if this call started dockerd."""
    if engine_answers():
        return False
    if shutil.which("dockerd") is None:
        apt_install(["docker.io"])  # also brings a docker CLI (/usr/bin/docker) if none was on PATH
    if os.geteuid() != 0:
        raise DeployError("no Docker engine answers and only root can start one: start dockerd first")
    CACHE.mkdir(parents=True, exist_ok=True)
    say(f"starting dockerd --iptables=false (log: {DOCKERD_LOG})")
    with DOCKERD_LOG.open("ab") as log:
        proc = subprocess.Popen(["dockerd", "--iptables=false"], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    _STARTED[proc.pid] = proc
    DOCKERD_PID.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + 90
    while not engine_answers():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_engine()
            tail = DOCKERD_LOG.read_text(errors="replace")[-1500:]
            raise DeployError(f"dockerd did not come up (exit {proc.poll()}); its log ends:\n{tail}")
        time.sleep(0.5)
    return True


def stop_engine() -> bool:
    """Stop the dockerd this script started (none other). True if one was stopped."""
    pid = _recorded_dockerd()
    DOCKERD_PID.unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    proc = _STARTED.pop(pid, None)
    if proc is not None:  # started by this process: wait for it (and reap it)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    else:
        deadline = time.monotonic() + 60
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)
    say(f"stopped dockerd (pid {pid})")
    return True


# ---------------------------------------------------------------- compose and the builder
@dataclass(frozen=True)
class Compose:
    argv: tuple[str, ...]
    v1: bool


def find_compose() -> Compose:
    if succeeds(["docker", "compose", "version"]):
        return Compose(("docker", "compose"), v1=False)
    if shutil.which("docker-compose") is None:
        apt_install(["docker-compose"])
    version = run(["docker-compose", "version", "--short"], quiet=True).stdout.strip()
    return Compose(("docker-compose",), v1=version.startswith("1."))


def _client_major(cli: str) -> int | None:
    done = run([cli, "version", "--format", "{{.Client.Version}}"], check=False, quiet=True, timeout=30)
    match = re.match(r"(\d+)\.", done.stdout.strip())
    return int(match.group(1)) if match else None


def build_command() -> tuple[list[str], dict[str, str]]:
    """A BuildKit build (the Dockerfile mounts a build secret): buildx if installed, else a docker CLI
    older than 23 (Debian's docker.io), whose built-in BuildKit DOCKER_BUILDKIT=1 turns on."""
    if succeeds(["docker", "buildx", "version"]):
        return ["docker", "buildx", "build", "--load"], {}
    for cli in dict.fromkeys(p for p in (shutil.which("docker"), "/usr/bin/docker") if p and Path(p).exists()):
        major = _client_major(cli)
        if major is not None and major < 23:
            return [cli, "build"], {"DOCKER_BUILDKIT": "1"}
    raise DeployError("building the image needs BuildKit: install the docker buildx plugin")


def ca_bundle() -> str | None:
    for candidate in (os.environ.get("PIP_CERT"), os.environ.get("REQUESTS_CA_BUNDLE"),
                      os.environ.get("SSL_CERT_FILE"), *CA_BUNDLES):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def build(dockerfile: Path, context: Path, tag: str, args: dict[str, str], labels: dict[str, str]) -> None:
    argv, env = build_command()
    argv = [*argv, "--network", "host", "--file", str(dockerfile), "--tag", tag]
    argv += [f"--build-arg={k}={v}" for k, v in args.items()]
    argv += [f"--label={k}={v}" for k, v in labels.items()]
    bundle = ca_bundle()
    if bundle:
        argv.append(f"--secret=id=pip_ca,src={bundle}")
    say(f"building {tag}")
    run([*argv, str(context)], env=env, timeout=3600)


def image_exists(image: str) -> bool:
    return succeeds(["docker", "image", "inspect", "--format", "{{.Id}}", image], 30)


def image_label(image: str, label: str) -> str:
    done = run(["docker", "image", "inspect", "--format", f'{{{{ index .Config.Labels "{label}" }}}}', image],
               check=False, quiet=True, timeout=30)
    return done.stdout.strip() if done.returncode == 0 else ""


# ---------------------------------------------------------------- base images
def _pullable(image: str) -> bool:
    if image_exists(image):
        return True
    say(f"trying to pull {image}")
    return succeeds(["docker", "pull", "--quiet", image], timeout=300)


def ensure_rootfs() -> None:
    """A Debian bookworm minbase image, from the cached tarball or a fresh debootstrap (~1 min)."""
    if image_exists(ROOTFS_IMAGE):
        return
    if not ROOTFS_TAR.is_file():
        if shutil.which("debootstrap") is None:
            apt_install(["debootstrap"])
        mirror = os.environ.get("RNN_GRADER_DEBIAN_MIRROR", "http://deb.debian.org/debian")
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="rootfs-", dir=CACHE) as tmp:
            root = Path(tmp) / "root"
            say(f"debootstrap --variant=minbase bookworm ({mirror})")
            run(["debootstrap", "--variant=minbase", "bookworm", str(root), mirror], quiet=True, timeout=1800)
            security = mirror.replace("/debian", "/debian-security") if mirror.endswith("/debian") else ""
            sources = f"deb {mirror} bookworm main\ndeb {mirror} bookworm-updates main\n"
            if security:
                sources += f"deb {security} bookworm-security main\n"
            (root / "etc/apt/sources.list").write_text(sources)
            for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for item in (root / junk).glob("*"):
                    if item.is_file():
                        item.unlink()
            part = ROOTFS_TAR.with_suffix(".part")
            run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(part), "."], quiet=True)
            part.rename(ROOTFS_TAR)
    say(f"importing {ROOTFS_TAR} as {ROOTFS_IMAGE}")
    run(["docker", "import", str(ROOTFS_TAR), ROOTFS_IMAGE], quiet=True)


def _standin_source(kind: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(STANDIN_DIR.glob(f"{kind}*")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_standin(kind: str) -> str:
    tag, source = STANDIN[kind], _standin_source(kind)
    if image_exists(tag) and image_label(tag, SOURCE_LABEL) == source:
        return tag
    ensure_rootfs()
    build(STANDIN_DIR / f"{kind}.Dockerfile", STANDIN_DIR, tag, {"ROOTFS": ROOTFS_IMAGE}, {SOURCE_LABEL: source})
    return tag


def base_images(*, build_missing: bool = True) -> dict[str, str]:
    """{kind: image}: a choice already in the environment, else the official image if the engine has it or
    can pull it, else the stand-in (built now unless `build_missing` is false)."""
    chosen: dict[str, str] = {}
    for kind, official in OFFICIAL.items():
        preset = os.environ.get(BASE_VARIABLES[kind])
        if preset:
            chosen[kind] = preset
        elif image_exists(official) or (build_missing and _pullable(official)):
            chosen[kind] = official
        elif build_missing:
            say(f"{official} cannot be pulled: using a stand-in built from Debian packages")
            chosen[kind] = ensure_standin(kind)
        else:
            chosen[kind] = STANDIN[kind] if image_exists(STANDIN[kind]) else official
    return chosen


def build_app(tag: str, python_image: str) -> None:
    build(REPO / "Dockerfile", REPO, tag, {"PYTHON_IMAGE": python_image}, {})
    # The previous build of this tag, now untagged: remove it (only ours, by label) so rebuilds do not pile up.
    run(["docker", "image", "prune", "--force", "--filter", f"label={APP_LABEL}"], check=False, quiet=True)


def build_backup(tag: str, postgres_image: str) -> None:
    """The backup service's image: rnn-grader on the database's image, whose pg_dump is the server's."""
    build(REPO / "deploy" / "backup" / "Dockerfile", REPO, tag, {"POSTGRES_IMAGE": postgres_image}, {})
    run(["docker", "image", "prune", "--force", "--filter", f"label={APP_LABEL}=rnn-grader-backup"], check=False,
        quiet=True)


def build_proxy(tag: str, caddy_image: str) -> None:
    build(REPO / "deploy" / "proxy" / "Dockerfile", REPO / "deploy" / "proxy", tag, {"CADDY_IMAGE": caddy_image},
          {APP_LABEL: "rnn-grader-proxy"})


# ---------------------------------------------------------------- the stack
def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and not key.startswith("#"):
                values[key.strip()] = value.strip()
    return values


def ensure_env_file(path: Path) -> bool:
    """Write `path` from deploy/env.example with fresh secrets, unless it exists (then append the secrets it
    lacks: a stack from before they existed). True if written."""
    if path.exists():
        missing = [name for name in SECRETS if not read_env_file(path).get(name)]
        if missing:
            path.write_text(_with_secrets(path.read_text(), missing))
            say(f"added {', '.join(missing)} to {path}")
        return False
    text = _with_secrets(ENV_EXAMPLE.read_text(), SECRETS)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    say(f"wrote {path} with new secrets")
    return True


def _with_secrets(text: str, names: Sequence[str]) -> str:
    """`NAME=` lines filled in with fresh secrets; a name with no line gets one at the end."""
    for name in names:
        value = secrets.token_urlsafe(32)
        text, found = re.subn(rf"^{name}=$", f"{name}={value}", text, count=1, flags=re.M)
        if not found:
            text = text.rstrip("\n") + f"\n{name}={value}\n"
    return text


@dataclass
class Stack:
    env_file: Path = REPO / ".env"
    project: str = ""
    app_image: str = ""
    proxy_image: str = ""
    backup_image: str = ""
    https_publish: str = ""
    http_publish: str = ""
    compose: Compose | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = read_env_file(self.env_file)

        def setting(given: str, name: str, default: str) -> str:
            return given or os.environ.get(name) or values.get(name) or default

        self.project = setting(self.project, "COMPOSE_PROJECT_NAME", DEFAULT_PROJECT)
        self.app_image = setting(self.app_image, "RNN_GRADER_IMAGE", DEFAULT_APP_IMAGE)
        self.proxy_image = setting(self.proxy_image, "RNN_GRADER_PROXY_IMAGE", DEFAULT_PROXY_IMAGE)
        self.backup_image = setting(self.backup_image, "RNN_GRADER_BACKUP_IMAGE", DEFAULT_BACKUP_IMAGE)
        self.https_publish = setting(self.https_publish, "RNN_GRADER_HTTPS_PUBLISH", DEFAULT_HTTPS_PUBLISH)
        self.http_publish = setting(self.http_publish, "RNN_GRADER_HTTP_PUBLISH", DEFAULT_HTTP_PUBLISH)
        self.domain = setting("", "RNN_GRADER_DOMAIN", "")

    def environment(self) -> dict[str, str]:
        return {"RNN_GRADER_IMAGE": self.app_image, "RNN_GRADER_PROXY_IMAGE": self.proxy_image,
                "RNN_GRADER_BACKUP_IMAGE": self.backup_image,
                "RNN_GRADER_HTTPS_PUBLISH": self.https_publish, "RNN_GRADER_HTTP_PUBLISH": self.http_publish,
                **self.extra_env}

    @property
    def https_url(self) -> str:
        """Where browsers and students go: the domain (ACME), else localhost, on the published HTTPS port."""
        port = self.https_publish.rsplit(":", 1)[-1]
        return f"https://{self.domain or 'localhost'}{'' if port == '443' else ':' + port}/"

    def command(self, *args: str) -> list[str]:
        compose = self.compose or find_compose()
        self.compose = compose
        options = ["--compatibility"] if compose.v1 else []
        return [*compose.argv, *options, "--project-name", self.project, "--env-file", str(self.env_file),
                "--file", str(COMPOSE_FILE), *args]

    def run(self, *args: str, check: bool = True, quiet: bool = False,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
        # From the project directory: docker-compose 1.29 reads the grader's seccomp profile relative to the
        # working directory (v2: to the project directory).
        return run(self.command(*args), check=check, quiet=quiet, timeout=timeout, env=self.environment(), cwd=REPO)

    def containers(self, service: str | None = None) -> list[str]:
        """Ids of this project's containers (running or not), found by compose's labels (v1 and v2 alike)."""
        argv = ["docker", "ps", "--all", "--quiet", "--no-trunc",
                "--filter", f"label=com.docker.compose.project={self.project}"]
        if service:
            argv += ["--filter", f"label=com.docker.compose.service={service}"]
        return run(argv, quiet=True, timeout=30).stdout.split()

    def state(self) -> dict[str, list[tuple[str, str, str]]]:
        """service -> [(status, health, exit code)] of each container."""
        ids = self.containers()
        if not ids:
            return {}
        fmt = ('{{ index .Config.Labels "com.docker.compose.service" }} {{ .State.Status }} '
               '{{ if .State.Health }}{{ .State.Health.Status }}{{ else }}-{{ end }} {{ .State.ExitCode }}')
        found: dict[str, list[tuple[str, str, str]]] = {}
        for line in run(["docker", "inspect", "--format", fmt, *ids], quiet=True, timeout=30).stdout.splitlines():
            service, status, health, code = line.split()
            found.setdefault(service, []).append((status, health, code))
        return found

    def wait_healthy(self, graders: int = 2, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if (state.get("migrate") == [("exited", "-", "0")]
                    and self._healthy(state, "db", 1) and self._healthy(state, "api", 1)
                    and self._healthy(state, "grader", graders)
                    and [s for s, _h, _c in state.get("proxy", [])] == ["running"]
                    and [s for s, _h, _c in state.get("backup", [])] == ["running"]):
                return
            migrate = state.get("migrate", [])
            if migrate and migrate[0][0] == "exited" and migrate[0][2] != "0":
                raise DeployError(f"the migrate service failed:\n{self.logs('migrate')}")
            if time.monotonic() > deadline:
                raise DeployError(f"the stack is not healthy after {timeout:.0f} s: {state}\n{self.logs()}")
            time.sleep(1)

    @staticmethod
    def _healthy(state: dict[str, list[tuple[str, str, str]]], service: str, count: int) -> bool:
        rows = state.get(service, [])
        return len(rows) == count and all(status == "running" and health == "healthy" for status, health, _ in rows)

    def logs(self, service: str | None = None) -> str:
        done = self.run("logs", "--no-color", "--tail", "60", *([service] if service else []), check=False,
                        quiet=True, timeout=60)
        return done.stdout + done.stderr

    def up(self) -> None:
        self.run("up", "--detach", "--no-build")

    def save_local_ca(self, path: Path = LOCAL_CA_FILE, timeout: float = 60) -> Path:
        """Copy the proxy's local root certificate (made at its first start, kept in its volume) to `path`."""
        deadline = time.monotonic() + timeout
        while True:
            (proxy,) = self.containers("proxy")
            done = run(["docker", "exec", proxy, "cat", PROXY_CA_ROOT], check=False, quiet=True, timeout=30)
            if done.returncode == 0 and "BEGIN CERTIFICATE" in done.stdout:
                break
            if time.monotonic() > deadline:
                raise DeployError(f"the proxy made no local CA within {timeout:.0f} s:\n{self.logs('proxy')}")
            time.sleep(0.5)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(done.stdout)
        return path

    def wait_https(self, ca_file: Path | None, timeout: float = 60) -> None:
        """Until the API answers /readyz through the proxy, over HTTPS verified with `ca_file` (None: the
        system's trust store, for a certificate from ACME)."""
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.https_url + "readyz", context=context, timeout=10) as response:
                    if json.load(response).get("status"):
                        return
            except (OSError, ValueError) as exc:  # URLError, SSL errors, resets: not up yet
                if time.monotonic() > deadline:
                    raise DeployError(f"{self.https_url} does not answer over HTTPS: {exc}") from exc
            time.sleep(0.5)

    def down(self) -> None:
        self.run("down", "--volumes", "--remove-orphans", "--timeout", "20")


def prepare_images(stack: Stack) -> dict[str, str]:
    """Base images, the app, proxy and backup images; the chosen bases go into the stack's environment."""
    bases = base_images()
    stack.extra_env.update({BASE_VARIABLES[kind]: image for kind, image in bases.items()})
    build_app(stack.app_image, bases["python"])
    build_proxy(stack.proxy_image, bases["caddy"])
    build_backup(stack.backup_image, bases["postgres"])
    return bases


def bring_up(stack: Stack, *, wait: bool = True) -> None:
    started_engine = ensure_engine()
    try:
        find_compose()
        prepare_images(stack)
        ensure_env_file(stack.env_file)
        stack.up()
        if wait:
            stack.wait_healthy()
            stack.wait_https(None if stack.domain else stack.save_local_ca())
    except BaseException:
        if started_engine and not stack.containers():
            stop_engine()
        raise


def tear_down(stack: Stack) -> None:
    if not engine_answers():
        say("no Docker engine answers: nothing to stop")
        stop_engine()
        return
    stack.extra_env.update({BASE_VARIABLES[kind]: image for kind, image in base_images(build_missing=False).items()})
    stack.down()
    if _recorded_dockerd() is None:
        return
    others = run(["docker", "ps", "--quiet"], quiet=True, timeout=30).stdout.split()
    if others:
        say(f"dockerd keeps running: {len(others)} other container(s) use it")
    else:
        stop_engine()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("action", choices=["up", "down", "images", "engine", "stop-engine", "compose"])
    parser.add_argument("args", nargs="*", help="for `compose`: the compose command and its arguments")
    parser.add_argument("--env-file", type=Path, default=REPO / ".env", help="default: .env at the project root")
    parser.add_argument("--project", default="", help="compose project name (default: COMPOSE_PROJECT_NAME)")
    parser.add_argument("--image", default="", help="app image tag (default: RNN_GRADER_IMAGE or rnn-grader:latest)")
    parser.add_argument("--https-publish", default="", help=f"host:port for HTTPS (default: {DEFAULT_HTTPS_PUBLISH})")
    parser.add_argument("--no-wait", action="store_true", help="`up`: do not wait until every service is healthy")
    options = parser.parse_args(argv)
    stack = Stack(env_file=options.env_file.resolve(), project=options.project, app_image=options.image,
                  https_publish=options.https_publish)
    try:
        if options.action == "up":
            bring_up(stack, wait=not options.no_wait)
            print(f"rnn-grader is up: {stack.https_url} (compose project {stack.project})")
            if not stack.domain:
                ca = LOCAL_CA_FILE.relative_to(REPO)
                print(f"Its certificate is from the proxy's local CA, whose root is in {ca}: trust it in the "
                      f"browser, or e.g. `curl --cacert {ca} {stack.https_url}healthz`")
            print(f"Teacher token: RNN_GRADER_ADMIN_TOKEN in {stack.env_file}")
        elif options.action == "down":
            tear_down(stack)
        elif options.action == "images":
            ensure_engine()
            for kind, image in prepare_images(stack).items():
                print(f"{BASE_VARIABLES[kind]}={image}")
            print(f"RNN_GRADER_IMAGE={stack.app_image}")
        elif options.action == "engine":
            print("started" if ensure_engine() else "running")
        elif options.action == "stop-engine":
            print("stopped" if stop_engine() else "not started by this script")
        else:
            stack.extra_env.update({BASE_VARIABLES[k]: v for k, v in base_images(build_missing=False).items()})
            return stack.run(*options.args, check=False).returncode
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
