"""Where the CLI keeps the server URL and the token: one small JSON file, mode 0600.

On Linux and other Unix-likes the file is `$XDG_CONFIG_HOME/rnn-grader/config.json` (default
`~/.config/rnn-grader/config.json`); on Windows and macOS it lives in `typer.get_app_dir("rnn-grader")`.
The environment variables RNN_GRADER_SERVER and RNN_GRADER_TOKEN override what the file says.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import typer

from cli.messages import say
from grader.result import Text

APP_NAME = "rnn-grader"
CONFIG_FILE = "config.json"
SERVER_ENV = "RNN_GRADER_SERVER"
TOKEN_ENV = "RNN_GRADER_TOKEN"
DEFAULT_SERVER = "http://127.0.0.1:8000"


class ConfigFileError(RuntimeError):
    """The config file exists but cannot be read or written: one line, in both languages (str(): English)."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


@dataclass(frozen=True)
class Config:
    server: str | None = None
    token: str | None = None


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


def load_file(path: Path | None = None) -> Config:
    path = path or config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, ValueError) as exc:
        raise ConfigFileError(say("cannot_read", path=path, reason=exc)) from None
    if not isinstance(data, dict):
        raise ConfigFileError(say("config_not_object", path=path))
    server, token = data.get("server"), data.get("token")
    return Config(server=server if isinstance(server, str) else None, token=token if isinstance(token, str) else None)


def load(env: Mapping[str, str] | None = None, path: Path | None = None) -> Config:
    """The file's settings with the environment variables on top."""
    env = os.environ if env is None else env
    stored = load_file(path or config_path(env))
    server = env.get(SERVER_ENV) or stored.server
    token = env.get(TOKEN_ENV) or stored.token
    return Config(server=normalize_server(server) if server else None, token=token)


def save(config: Config, path: Path | None = None) -> Path:
    """Write atomically with mode 0600 (the token is a password); the directory gets 0700 when created."""
    path = path or config_path()
    data = {"server": config.server, "token": config.token}
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
    return path
