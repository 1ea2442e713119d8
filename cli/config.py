"""Where the CLI keeps its logins: one small JSON file, mode 0600, with one login per server and role.

On Linux and other Unix-likes the file is `$XDG_CONFIG_HOME/rnn-grader/config.json` (default
`~/.config/rnn-grader/config.json`); on Windows and macOS it lives in `typer.get_app_dir("rnn-grader")`.

Each `rnn-grader login` is kept under a name, its profile: `student@grader.example.edu`,
`teacher@grader.example.edu` (the role the server names for the token, and the server's host), or the name
given with `--profile NAME`. A teacher who also tests as a student keeps both. Commands use the profile named
by `--profile NAME` (anywhere on the command line) or RNN_GRADER_PROFILE, else the last login; a name may be
shortened to its role when only one server has it (`--profile teacher`). The environment variables
RNN_GRADER_SERVER and RNN_GRADER_TOKEN override what the profile says.

The file keeps the current login at its top level too (`server`, `token`), which is all a file written before
profiles had, and all an older client reads: such a file still reads, as the profile `default`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer

from cli.messages import say
from grader.result import Text

APP_NAME = "rnn-grader"
CONFIG_FILE = "config.json"
SERVER_ENV = "RNN_GRADER_SERVER"
TOKEN_ENV = "RNN_GRADER_TOKEN"
PROFILE_ENV = "RNN_GRADER_PROFILE"
DEFAULT_SERVER = "http://127.0.0.1:8000"
DEFAULT_PROFILE = "default"  # the one login of a file written before profiles


class ConfigFileError(RuntimeError):
    """The config file exists but cannot be read or written, or names no such login: one line, in both
    languages (str(): English)."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


@dataclass(frozen=True)
class Config:
    server: str | None = None
    token: str | None = None
    profile: str | None = None  # the login's name in the file (None: not from the file)
    role: str | None = None  # student, instructor or ta, as the server said at login


@dataclass
class Logins:
    """Everything the file holds: the logins by name, and which one commands use when none is named."""

    profiles: dict[str, Config] = field(default_factory=dict)
    current: str | None = None


# `--profile NAME` of this invocation (cli.main hoists it from anywhere on the command line).
_chosen: dict[str, str | None] = {"profile": None}


def choose(profile: str | None) -> None:
    _chosen["profile"] = profile or None


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if sys.platform in ("win32", "darwin"):
        return Path(typer.get_app_dir(APP_NAME))
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP_NAME


def config_path(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / CONFIG_FILE


def normalize_server(url: str) -> str:
    """`host:8000` -> `http://host:8000`; no trailing slash, so paths join cleanly."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    return url.rstrip("/")


def profile_name(server: str, role: str | None) -> str:
    """`student@grader.example.edu`: one login per role (staff of either role: teacher; a server that does not
    say: login) and server."""
    kind = {None: "login", "student": "student"}.get(role, "teacher")
    return f"{kind}@{urlsplit(normalize_server(server)).netloc or server}"


def _login(name: str, data: Any) -> Config | None:
    if not isinstance(data, dict):
        return None
    values = {k: data.get(k) if isinstance(data.get(k), str) else None for k in ("server", "token", "role")}
    return Config(profile=name, **values)


def read_logins(path: Path | None = None) -> Logins:
    path = path or config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Logins()
    except (OSError, ValueError) as exc:
        raise ConfigFileError(say("cannot_read", path=path, reason=exc)) from None
    if not isinstance(data, dict):
        raise ConfigFileError(say("config_not_object", path=path))
    stored = data.get("profiles")
    if not isinstance(stored, dict):  # a file from before profiles: its one login
        login = _login(DEFAULT_PROFILE, data)
        has_login = login is not None and (login.server or login.token)
        return Logins({DEFAULT_PROFILE: login}, DEFAULT_PROFILE) if has_login and login else Logins()
    profiles = {str(k): c for k, v in stored.items() if (c := _login(str(k), v)) is not None}
    current = data.get("current")
    return Logins(profiles, current if isinstance(current, str) and current in profiles else None)


def resolve(logins: Logins, asked: str) -> str:
    """The profile `asked` names: itself, or the one login of that role (`teacher` -> `teacher@host`)."""
    if asked in logins.profiles:
        return asked
    matches = [name for name in logins.profiles if name.split("@")[0] == asked]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(sorted(logins.profiles)) or "-"
    raise ConfigFileError(say("no_such_login", name=asked, names=names))


def chosen(env: Mapping[str, str] | None = None) -> str | None:
    """The profile this invocation names (--profile, else RNN_GRADER_PROFILE), if any."""
    return _asked(os.environ if env is None else env, None)


def existing_name(asked: str, path: Path | None = None) -> str:
    """The stored profile `asked` names (`teacher` -> `teacher@host`), else `asked` itself (a new login)."""
    try:
        return resolve(read_logins(path), asked)
    except ConfigFileError:
        return asked


def use(name: str, path: Path | None = None) -> str:
    """Make the stored login `name` (or its role's one) the one commands use; returns its full name."""
    path = path or config_path()
    logins = read_logins(path)
    logins.current = resolve(logins, name)
    _write(logins, path)
    return logins.current


def _stored(path: Path, asked: str | None) -> Config:
    logins = read_logins(path)
    if asked:
        return logins.profiles[resolve(logins, asked)]
    return logins.profiles.get(logins.current or "", Config())


def _asked(env: Mapping[str, str], profile: str | None) -> str | None:
    return profile or _chosen["profile"] or env.get(PROFILE_ENV) or None


def load_file(path: Path | None = None, profile: str | None = None) -> Config:
    """The login named `profile` (or chosen with --profile / RNN_GRADER_PROFILE), else the current one."""
    return _stored(path or config_path(), _asked(os.environ, profile))


def load(env: Mapping[str, str] | None = None, path: Path | None = None, profile: str | None = None) -> Config:
    """The chosen login with the environment variables on top."""
    env = os.environ if env is None else env
    stored = _stored(path or config_path(env), _asked(env, profile))
    server = env.get(SERVER_ENV) or stored.server
    token = env.get(TOKEN_ENV) or stored.token
    return replace(stored, server=normalize_server(server) if server else None, token=token)


def save(config: Config, path: Path | None = None) -> Path:
    """Keep this login under its profile name (default: the chosen one, else `default`) and make it the
    current one. Written atomically with mode 0600 (tokens are passwords); the directory gets 0700."""
    path = path or config_path()
    logins = read_logins(path)
    name = config.profile or _asked(os.environ, None) or DEFAULT_PROFILE
    logins.profiles[name] = replace(config, profile=name)
    logins.current = name
    _write(logins, path)
    return path


def _write(logins: Logins, path: Path) -> None:
    current = logins.profiles.get(logins.current or "", Config())
    data = {
        # What a client from before profiles reads: the current login.
        "server": current.server, "token": current.token, "current": logins.current,
        "profiles": {name: {k: v for k, v in (("server", c.server), ("token", c.token), ("role", c.role)) if v}
                     for name, c in sorted(logins.profiles.items())},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".json", dir=path.parent)  # mkstemp: mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2)
                f.write("\n")
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigFileError(say("cannot_write", path=path, reason=exc.strerror or exc)) from None
