"""`rnn-grader`: the student commands and the app (teacher commands live in cli.teacher).

Commands talk to the server only through `cli.client.ApiClient`, over the `httpx.Client` that
`cli.transport.client_factory` builds (tests replace it with Starlette's TestClient or an httpx.MockTransport
client, and `cli.transport.sleep` with a recorder). Exit codes: 0 when the command did its job (whatever the score),
1 with a one-line reason otherwise, 2 for a usage error.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from cli import config as cfg
from cli import gradcheck, regrade_requests, render, transport
from cli.base import (
    JsonOpt,
    LangOpt,
    detect_lang,
    fail,
    find_examples,
    handle_errors,
    lang_of,
    note,
    read_bytes,
    read_text,
    session,
    stderr_console,
    stdout_console,
)
from cli.client import ApiClient, ApiError, RateLimited, one_line
from cli.messages import say
from cli.terminal import terminal_safe

WAIT_TIMEOUT_S = 600.0
# Each status request asks the server to hold it up to WAIT_SLICE_S seconds (returning as soon as the
# submission is graded), so the status line refreshes at least that often.
WAIT_SLICE_S = 2.0
MIN_POLL_S = 0.1
POLL_INTERVALS_S = (0.25, 0.5, 0.5, 1.0, 1.0, 2.0)
MAX_RATE_LIMIT_WAIT_S = 300.0
DEFAULT_EXERCISE = "rnn"


PROFILE_OPTION = "--profile"


def hoist_profile(args: list[str]) -> list[str]:
    """`rnn-grader history --profile teacher` -> `rnn-grader --profile teacher history`: the option belongs to
    the app, and may be written anywhere before a `--`."""
    found: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == PROFILE_OPTION and i + 1 < len(args):
            found += args[i:i + 2]
            i += 2
            continue
        (found if arg.startswith(PROFILE_OPTION + "=") else rest).append(arg)
        i += 1
    return found + rest


class ProfileAnywhere(TyperGroup):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # ctx: typer's own click.Context
        return super().parse_args(ctx, hoist_profile(list(args)))


app = typer.Typer(
    name="rnn-grader",
    help="Fetch, check and submit rnn-grader exercises (.py files or Jupyter notebooks).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=ProfileAnywhere,
)


@app.callback()
def choose_login(
    profile: Annotated[str | None, typer.Option(
        PROFILE_OPTION, metavar="NAME", help="Which saved login to use: one per server and role, e.g. "
        "student@grader.example.edu, or just `teacher`/`student` (default: RNN_GRADER_PROFILE, else the last "
        "login). `rnn-grader profiles` lists them.")] = None,
) -> None:
    cfg.choose(profile)


# ====================================================================== everyone
@app.command()
@handle_errors
def login(
    token: Annotated[str, typer.Option(prompt=True, hide_input=True, help="Your token (from your teacher).")],
    server: Annotated[str | None, typer.Option(help="Server URL, e.g. https://grader.example.edu")] = None,
) -> None:
    """Check a token against the server and remember it: one login per server and role (or --profile NAME)."""
    server = cfg.normalize_server(server) if server else _saved_server()
    if not server:
        fail(say("give_server"))
    with session("en", server=server, token=token) as api:
        api.retries = 0  # a mistyped URL should say so at once
        api.check_token()
        who = api.me()
    role = str(who["role"]) if who and who.get("role") else None
    asked = cfg.chosen()
    # A role alone (`--profile teacher`) names the login of that role on *this* server, as the token says:
    # resolving it to a stored teacher@other-host would overwrite that other server's login.
    by_role = not asked or asked in ("teacher", "student", "login")
    name = cfg.profile_name(server, role) if by_role else cfg.existing_name(asked or "")
    path = cfg.save(cfg.Config(server=server, token=token, profile=name, role=role))
    as_whom = f" as {role} {who.get('id')} ({who.get('name')})" if who and role else ""
    note(f"Logged in to {server}{as_whom}; saved as the login {name} in {path} (mode 0600).")
    if os.environ.get(cfg.TOKEN_ENV) or os.environ.get(cfg.SERVER_ENV):
        note(f"note: {cfg.SERVER_ENV}/{cfg.TOKEN_ENV} are set and override the saved values.")


def _saved_server() -> str | None:
    """The server of the login this invocation names (or the last one); none for a new --profile name."""
    try:
        return cfg.load().server
    except cfg.ConfigFileError:
        return None


@app.command()
@handle_errors
def profiles(
    use: Annotated[str | None, typer.Option("--use", metavar="NAME",
                                            help="Make this login the one commands use.")] = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Your saved logins (one per server and role), and which one commands use."""
    if use:
        note(f"Commands now use the login {cfg.use(use)}.")
    logins = cfg.read_logins()
    rows = [{"profile": name, "server": c.server, "role": c.role, "current": name == logins.current}
            for name, c in sorted(logins.profiles.items())]
    if json_:
        render.print_json(stdout_console(), rows)
    else:
        stdout_console().print(render.profiles_view(rows, lang_of(lang)))


@app.command()
@handle_errors
def exercises(json_: JsonOpt = False, lang: LangOpt = None) -> None:
    """List the exercises with their points, deadlines and your best scores."""
    lang_ = lang_of(lang)
    with session(lang_) as api:
        items = api.exercises()
        best = _best_scores(api)
    if json_:
        render.print_json(stdout_console(), [{**e, "best_score": (best or {}).get(str(e.get("id")))} for e in items])
    else:
        stdout_console().print(render.exercises_view(items, best, lang_))


def _is_teacher_view(subs: list[dict[str, Any]]) -> bool:
    """The teacher's view of a submission carries the fields only teachers see."""
    return any("sandbox_layers" in s for s in subs)


def _best_scores(api: ApiClient, page: int = 100) -> dict[str, float] | None:
    """Best graded score per exercise over the caller's own submissions (None for the teacher, who has
    none of their own)."""
    best: dict[str, float] = {}
    offset = 0
    while True:
        subs = api.submissions(limit=page, offset=offset, status="graded")
        if _is_teacher_view(subs):
            return None
        for s in subs:
            if isinstance(s.get("score"), int | float):
                key = str(s.get("exercise"))
                best[key] = max(best.get(key, float("-inf")), float(s["score"]))
        if len(subs) < page:
            return best
        offset += page


@app.command()
@handle_errors
def fetch(
    exercise: Annotated[str, typer.Argument(help="Exercise id, e.g. rnn.")] = DEFAULT_EXERCISE,
    dir_: Annotated[Path, typer.Option("--dir", help="Where to write the files.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Download the starter file and the public examples into the current directory (or --dir)."""
    with session(detect_lang()) as api:
        info = api.exercise(exercise)
        template_name = Path(str(info.get("template_filename") or f"{exercise}.py")).name
        examples_name = Path(str(info.get("examples_filename") or f"{exercise}_public_examples.npz")).name
        targets = [dir_ / template_name, dir_ / examples_name]
        if not force:
            for target in targets:
                if target.exists():
                    fail(say("exists_use_force", path=target))
        template = api.template(exercise)
        examples = api.examples(exercise)
    try:
        dir_.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(say("cannot_create", path=dir_, reason=exc.strerror or exc))
    for target, data in zip(targets, (template, examples), strict=True):
        try:
            target.write_bytes(data)
        except OSError as exc:
            fail(say("cannot_write", path=target, reason=exc.strerror or exc))
        if not json_:
            note(f"wrote {target}")
    if json_:
        render.print_json(stdout_console(), {"exercise": exercise, "files": [str(t) for t in targets]})
    else:
        note(f"Next: edit {targets[0]}, then `rnn-grader check {targets[0]}` and `rnn-grader submit {targets[0]}`.")


@app.command()
@handle_errors
def check(
    file: Annotated[Path, typer.Argument(help="Your solution, e.g. exercise_01_rnn.py, or a notebook (.ipynb).")],
    examples: Annotated[Path | None, typer.Option(help="Public examples file (default: next to FILE).")] = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Run the public examples locally, offline, with the server's own comparison and feedback."""
    import zipfile

    from grader.casefile import CaseFileError, read_manifest
    from grader.check import check_file, spec_from_manifest
    from grader.gradable import NothingToGrade
    from grader.notebook import NotebookError

    lang_ = lang_of(lang)
    if not file.is_file():
        fail(say("file_not_found", path=file))
    examples = examples or find_examples(file)
    if not examples.is_file():
        fail(say("examples_not_found", path=examples))
    show = not json_ and stderr_console().is_terminal
    status = stderr_console().status("Running the public examples...") if show else contextlib.nullcontext()
    try:
        with status:
            result = check_file(file, examples)
            spec = spec_from_manifest(read_manifest(examples)[0], file.name)
    except UnicodeDecodeError:
        fail(say("not_utf8", path=file))
    except (NotebookError, NothingToGrade) as exc:  # the same words as the server's refusal
        fail(say("in_file", path=file, reason=exc.text))
    except (CaseFileError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        fail(say("not_examples", path=examples, reason=one_line(str(exc))))
    except OSError as exc:
        fail(say("cannot_read", path=exc.filename or file, reason=exc.strerror or exc))
    data = render.result_to_dict(result, lang_, {p.name: p.title.get(lang_) for p in spec.parts})
    if json_:
        render.print_json(stdout_console(), data)
    else:
        stdout_console().print(render.submission_view(data, lang_, local=True))


# Offline: your backward against finite differences of your own forward (exit status 0, 1 or 2).
app.command()(gradcheck.gradcheck)


def _defined_functions(source: str, notebook: bytes | None) -> frozenset[str]:
    """The top-level functions of the file (a notebook's extracted definitions); empty if it does not parse."""
    import ast

    if notebook is not None:
        from grader.notebook import NotebookError, extract_notebook

        try:
            source = extract_notebook(notebook).source
        except NotebookError:
            return frozenset()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return frozenset()
    return frozenset(node.name for node in tree.body if isinstance(node, ast.FunctionDef))


def _infer_exercise(api: ApiClient, file: Path, defined: frozenset[str] = frozenset()) -> str:
    """The exercise whose starter file has this name; else the one exercise whose functions the file defines
    (a notebook has its own name); else the only exercise there is; else the default."""
    with contextlib.suppress(ApiError):
        items = api.exercises()
        for e in items:
            if e.get("template_filename") == file.name and e.get("id"):
                return str(e["id"])
        solved = [str(e["id"]) for e in items if e.get("id") and e.get("parts")
                  and {str(p.get("function")) for p in e["parts"]} <= defined]
        if len(solved) == 1:
            return solved[0]
        if len(items) == 1 and items[0].get("id"):
            return str(items[0]["id"])
    return DEFAULT_EXERCISE


def _submission_id(sub: dict[str, Any]) -> int:
    value = sub.get("id")
    if not isinstance(value, int) or isinstance(value, bool):
        fail(say("no_numeric_id"))
    return value


def _wait_for_grade(api: ApiClient, sub: dict[str, Any], timeout_s: float, show: bool) -> dict[str, Any]:
    """Long-poll `GET /submissions/{id}?wait=` in short slices until graded or failed, with a live status
    line when `show`."""
    started = time.monotonic()
    sub_id = _submission_id(sub)
    later = say("see_later", id=sub_id)
    status_line = stderr_console().status("") if show else None
    polls = 0
    try:
        with status_line if status_line is not None else contextlib.nullcontext():
            while sub.get("status") not in ("graded", "failed"):
                elapsed = time.monotonic() - started
                if status_line is not None:
                    what = "Running the tests" if sub.get("status") == "running" else "Waiting in the queue"
                    status_line.update(f"{what} (submission #{sub_id}, {elapsed:.0f} s)...")
                remaining = timeout_s - elapsed
                if remaining <= 0:
                    fail(say("still_waiting", id=sub_id, status=render.status_word(sub.get("status")),
                             seconds=f"{timeout_s:g}", later=later))
                asked = time.monotonic()
                try:
                    sub = api.submission(sub_id, wait_s=min(WAIT_SLICE_S, remaining))
                except ApiError as exc:
                    fail(say("received_then", error=exc.text, id=sub_id, later=later))
                if time.monotonic() - asked < MIN_POLL_S:  # a server that does not hold the request: do not spin
                    transport.sleep(POLL_INTERVALS_S[min(polls, len(POLL_INTERVALS_S) - 1)])
                    polls += 1
    except KeyboardInterrupt:
        note(f"stopped waiting; submission #{sub_id} is still being graded: {later.en}")
        raise typer.Exit(130) from None
    return sub


@app.command()
@handle_errors
def submit(
    file: Annotated[Path, typer.Argument(help="Your solution file (.py), or a notebook (.ipynb).")],
    exercise: Annotated[str | None, typer.Option(help="Exercise id (default: from the file name).")] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Print the submission id and return.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the grade.")] = WAIT_TIMEOUT_S,
    wait_if_limited: Annotated[
        bool, typer.Option("--wait-if-limited/--exit-if-limited", help="On 429, wait Retry-After or stop.")
    ] = True,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Upload a solution, wait for the grade with a live status, and show the scores and feedback."""
    lang_ = lang_of(lang)
    # A notebook goes up as a file: the server extracts its definitions and keeps the report of skipped cells.
    notebook = read_bytes(file) if file.suffix.lower() == ".ipynb" else None
    source = read_text(file) if notebook is None else ""
    # One key per invocation: a retry after a network error returns the same submission, never a second one.
    key = str(uuid.uuid4())
    with session(lang_) as api:
        exercise_id = exercise or _infer_exercise(api, file, _defined_functions(source, notebook))
        waited = 0.0
        while True:
            try:
                if notebook is not None:
                    sub = api.submit_file(exercise_id, file.name, notebook, key)
                else:
                    sub = api.submit(exercise_id, source, key)
                break
            except RateLimited as exc:
                if not wait_if_limited or waited + exc.retry_after_s > MAX_RATE_LIMIT_WAIT_S:
                    fail(say("try_again_in", error=exc.text, seconds=f"{exc.retry_after_s:g}"))
                note(f"{exc}; waiting {exc.retry_after_s:g} s before trying again (Ctrl-C to stop)")
                transport.sleep(exc.retry_after_s)
                waited += exc.retry_after_s
        if no_wait:
            if json_:
                render.print_json(stdout_console(), sub)
            else:
                typer.echo(terminal_safe(sub.get("id")))
            return
        show = not json_ and stderr_console().is_terminal
        sub = _wait_for_grade(api, sub, timeout, show)
    if json_:
        render.print_json(stdout_console(), sub)
    else:
        stdout_console().print(render.submission_view(sub, lang_))


@app.command()
@handle_errors
def status(
    submission_id: Annotated[
        int | None, typer.Argument(metavar="[ID]", help="Submission id (default: latest).")
    ] = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Show one submission (your latest when no ID is given) with its scores and feedback."""
    lang_ = lang_of(lang)
    with session(lang_) as api:
        if submission_id is None:
            latest = api.submissions(limit=1)
            if not latest:
                fail(say("no_submissions_yet"))
            submission_id = _submission_id(latest[0])
        sub = api.submission(submission_id)
    if json_:
        render.print_json(stdout_console(), sub)
    else:
        stdout_console().print(render.submission_view(sub, lang_))


@app.command()
@handle_errors
def history(
    exercise: Annotated[str | None, typer.Option(help="Only this exercise.")] = None,
    student: Annotated[str | None, typer.Option(help="Teacher: only this student.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many, newest first.")] = 20,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List your submissions, newest first (the teacher sees everyone's)."""
    lang_ = lang_of(lang)
    with session(lang_) as api:
        subs = api.submissions(limit=limit, exercise=exercise, student_id=student)
    if json_:
        render.print_json(stdout_console(), subs)
    else:
        stdout_console().print(render.history_view(subs, lang_, with_student=_is_teacher_view(subs)))


# A grade's history and regrade requests: students ask and read the answer (the client has these too).
app.command()(regrade_requests.gradings)
app.add_typer(regrade_requests.requests_app, name="requests")


# ====================================================================== teachers
# Only in the full install: the student client wheel ships neither the server nor the teacher commands. Looked
# up in this very package (the wheel moves it to rnn_grader_client.cli), never by a top-level name that a
# student's own cli.py or server.py could answer.
if importlib.util.find_spec(f"{__package__}.teacher") is not None:
    from cli import authoring, policies, similarity, staff, teacher

    for _command in (teacher.serve, teacher.migrate, teacher.worker, teacher.scoreboard, teacher.export,
                     teacher.regrade, similarity.similarity):
        app.command()(_command)
    app.add_typer(teacher.students_app, name="students")
    app.add_typer(staff.staff_app, name="staff")
    # Regrade batches, overrides, answers to requests and the audit log.
    from cli import regrades

    app.command()(regrades.override)
    app.command()(regrades.audit)
    app.add_typer(regrades.regrades_app, name="regrades")
    regrade_requests.requests_app.command("resolve")(regrades.resolve)
    app.add_typer(policies.extensions_app, name="extensions")
    # Versions, backups and restores (docs/operations.md).
    from cli import operations

    app.command()(operations.version)
    app.command()(operations.backup)
    app.command()(operations.restore)
    app.command("migrate-data")(operations.migrate_data)
    app.add_typer(authoring.exercise_app, name="exercise")
    app.info.help = f"{app.info.help} Teachers also run the server and read the scores."


if __name__ == "__main__":  # pragma: no cover
    app()
