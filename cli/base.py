"""What every command shares: options, the one-line error handling, the API session, safe file writes.

The HTTP client comes from `cli.transport.client_factory` and waits go through `cli.transport.sleep`, both
looked up at call time: those two names are the override points for tests.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from cli import config as cfg
from cli import render, transport
from cli.client import ApiClient, ApiError, one_line
from cli.messages import say
from grader.result import Text


class Lang(StrEnum):
    zh = "zh"
    en = "en"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
LangOpt = Annotated[
    Lang | None, typer.Option("--lang", help="Language of feedback: zh or en (default: from LC_ALL/LANG).")
]


ERROR_CHARS = 1000  # an error is one line; a refusal that names a notebook's cells may be long


class CliError(Exception):
    """A reason to stop with exit code 1: one line, in both languages (cli.messages); str() is the English."""

    def __init__(self, message: str | Text) -> None:
        self.text = message if isinstance(message, Text) else Text(en=message, zh=message)
        super().__init__(self.text.en)


def detect_lang(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def lang_of(lang: Lang | None) -> str:
    return lang.value if lang is not None else detect_lang()


def fail(message: str | Text) -> NoReturn:
    raise CliError(message)


def error_text(exc: Exception) -> Text:
    """What a failure says, in both languages (an English-only one says it in English)."""
    text = getattr(exc, "text", None)
    return text if isinstance(text, Text) else Text(en=str(exc), zh=str(exc))


def _lang_of_call(kwargs: Mapping[str, object]) -> str:
    """The language the command was asked to speak: its --lang, else the environment's."""
    lang = kwargs.get("lang")
    return lang.value if isinstance(lang, Lang) else detect_lang()


P = ParamSpec("P")
R = TypeVar("R")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Known failures become `error: <one line>` on stderr (in the command's language) and exit code 1, never
    a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (CliError, ApiError, cfg.ConfigFileError) as exc:
            typer.echo(f"error: {one_line(error_text(exc).get(_lang_of_call(kwargs)), ERROR_CHARS)}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None

    return wrapper


def stdout_console() -> Console:
    return Console(highlight=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def note(message: str) -> None:
    typer.echo(message, err=True)


@contextlib.contextmanager
def session(lang: str, *, need_token: bool = True, server: str | None = None,
            token: str | None = None) -> Iterator[ApiClient]:
    """An ApiClient on the configured server with the configured token (env vars win over the file)."""
    conf = cfg.load() if not (server and token) else cfg.Config()  # `login` brings both: no saved login needed
    server = cfg.normalize_server(server) if server else conf.server
    token = token or conf.token
    if not server:
        fail(say("no_server"))
    if need_token and not token:
        fail(say("not_logged_in"))
    http = transport.client_factory(server)
    # Retry notices only for a person watching; a script gets silence or a single `error:` line.
    on_retry = note if stderr_console().is_terminal else None
    try:
        yield ApiClient(http, token, lang=lang, sleep=transport.sleep, on_retry=on_retry, on_notice=note,
                        on_timezone=render.use_zone)
    finally:
        http.close()


def write_private(path: Path, data: bytes, *, force: bool) -> None:
    """Create `path` with mode 0600; refuse to replace an existing file unless `force`."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        fail(say("exists_use_force", path=path))
    except OSError as exc:
        fail(say("cannot_write", path=path, reason=exc.strerror or exc))
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(data)


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        fail(say("file_not_found", path=path))
    except IsADirectoryError:
        fail(say("is_directory", path=path))
    except OSError as exc:
        fail(say("cannot_read", path=path, reason=exc.strerror or exc))


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(say("file_not_found", path=path))
    except IsADirectoryError:
        fail(say("is_directory", path=path))
    except UnicodeDecodeError:
        fail(say("not_utf8", path=path))
    except OSError as exc:
        fail(say("cannot_read", path=path, reason=exc.strerror or exc))
