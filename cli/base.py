"""What every command shares: options, the one-line error handling, the API session, safe file writes.

The HTTP client comes from `cli.transport.client_factory` and waits go through `cli.transport.sleep`, both
looked up at call time: those two names are the override points for tests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import sys
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
from cli.terminal import SafeConsole, terminal_safe
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
            typer.echo(f"error: {terminal_safe(one_line(error_text(exc).get(_lang_of_call(kwargs)), ERROR_CHARS))}",
                       err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None

    return wrapper


def stdout_console() -> Console:
    """Where commands print for people: server text in it cannot drive the terminal (cli.terminal)."""
    return SafeConsole()


def stderr_console() -> Console:
    return SafeConsole(stderr=True)


def note(message: str) -> None:
    typer.echo(terminal_safe(message), err=True)


def print_download(data: bytes) -> None:
    """A downloaded file (a CSV) on stdout: no byte-order mark, control characters shown escaped (a terminal
    may be reading it); `--out FILE` keeps the server's exact bytes."""
    sys.stdout.write(terminal_safe(data.decode("utf-8-sig", errors="replace")))
    sys.stdout.flush()


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


def iso_datetime(text: str) -> str:
    """Refuse here what the server would refuse, with a hint: ISO 8601 with a UTC offset."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        fail(say("not_iso_datetime", text=repr(text)))
    if value.tzinfo is None:
        fail(say("no_utc_offset", text=text))
    return text


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


def find_examples(student_file: Path) -> Path:
    """The public examples next to the student's file: the name the local exercise spec gives, else the
    only `*.npz` there, else the one whose manifest names this file as the student's."""
    folder = student_file.parent
    names: list[str] = []
    try:
        from grader.exercise import DEFAULT_EXERCISES_DIR, SpecError, load_spec

        for spec_file in sorted(DEFAULT_EXERCISES_DIR.glob("*/spec.toml")):
            with contextlib.suppress(SpecError):
                spec = load_spec(spec_file.parent)
                if spec.student_file == student_file.name:
                    names += [spec.public_examples, f"{spec.id}_public_examples.npz"]
    except ImportError:  # pragma: no cover - the grader package ships with the CLI
        pass
    for name in names:
        if (folder / name).is_file():
            return folder / name
    found = sorted(folder.glob("*.npz"))
    if len(found) == 1:
        return found[0]
    mine = [path for path in found if manifest_field(path, "student_file") == student_file.name]
    if len(mine) == 1:
        return mine[0]
    if not found:
        fail(say("no_examples_next_to", path=student_file))
    fail(say("several_examples", path=student_file))


def manifest_field(path: Path, key: str) -> str | None:
    """One string of a public examples file's manifest ("exercise", "student_file"), or None if it has none."""
    from grader.casefile import CaseFileError, read_manifest

    try:
        manifest, _ = read_manifest(path)
    except (CaseFileError, OSError, ValueError, KeyError):
        return None
    value = manifest.get(key)
    return value if isinstance(value, str) else None
