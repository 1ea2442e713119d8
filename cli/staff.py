"""Teacher commands for staff accounts (an instructor's): `staff add|list|disable|enable|rotate`. Registered on
the app by cli.main in the full install only; the student client wheel has neither this module nor the
commands. The server decides who may (docs/security.md); a TA gets its one-line 403."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.console import Group, RenderableType

from cli import render
from cli.base import JsonOpt, detect_lang, handle_errors, session
from cli.client import API, ApiClient
from cli.regrade_requests import out
from cli.terminal import safe_text

staff_app = typer.Typer(help="Instructor: staff accounts (instructors and TAs) and their tokens.",
                        no_args_is_help=True)
StaffIdArg = Annotated[str, typer.Argument(help="Staff id, e.g. ta-li (`admin`: the bootstrap instructor).")]


class Role(StrEnum):
    ta = "ta"
    instructor = "instructor"


def _path(staff_id: str, action: str = "") -> str:
    return f"{API}/staff/{quote(staff_id, safe='')}" + (f"/{action}" if action else "")


def _call(api: ApiClient, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    return api._object(method, path, "a staff member", **kwargs)  # the client's JSON checks, not repeated here


# ---------------------------------------------------------------- views
def staff_view(items: Sequence[Mapping[str, Any]]) -> RenderableType:
    def state(s: Mapping[str, Any]) -> str:
        if s.get("disabled_at"):
            return f"disabled {render.fmt_time(s.get('disabled_at'))}"
        return "enabled"

    rows = [(s.get("staff_id"), s.get("name"), s.get("role"), s.get("email") or "",
             "bootstrap token" if s.get("bootstrap") else render.fmt_time(s.get("created_at")), state(s))
            for s in items]
    return render.simple_table(["Staff", "Name", "Role", "Email", "Created", "State"], rows, "en")


def token_view(created: Mapping[str, Any], what: str) -> RenderableType:
    return Group(
        safe_text(f"{what} {created.get('staff_id')} ({created.get('name')}, {created.get('role')}). Their token, "
                  "shown only this once:"),
        safe_text(created.get("token", "")),
        safe_text("They sign in with it at /scoreboard or run `rnn-grader login --server URL --token TOKEN`."),
    )


# ---------------------------------------------------------------- commands
@staff_app.command("add")
@handle_errors
def staff_add(
    staff_id: StaffIdArg,
    name: Annotated[str, typer.Argument(help="Full name.")],
    role: Annotated[Role, typer.Option(help="ta: views, answers regrade requests, grants extensions, exports; "
                                            "instructor: everything (docs/security.md).")],
    email: Annotated[str | None, typer.Option(help="Email.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Instructor: add an instructor or a TA and print their token (shown only once)."""
    body = {"staff_id": staff_id, "name": name, "role": role.value, **({"email": email} if email else {})}
    with session(detect_lang()) as api:
        created = _call(api, "POST", f"{API}/staff", json=body)
    out(created, json_, token_view(created, "Added"))


@staff_app.command("list")
@handle_errors
def staff_list(json_: JsonOpt = False) -> None:
    """Instructor: every staff member (the bootstrap instructor `admin` first), enabled or not."""
    with session(detect_lang()) as api:
        items = api._items(api._json("GET", f"{API}/staff"))
    out(items, json_, staff_view(items))


@staff_app.command("disable")
@handle_errors
def staff_disable(staff_id: StaffIdArg, json_: JsonOpt = False) -> None:
    """Instructor: disable a staff member: their token and browser sessions stop working. `disable admin`
    retires the bootstrap token (RNN_GRADER_ADMIN_TOKEN) once a named instructor exists."""
    with session(detect_lang()) as api:
        disabled = _call(api, "POST", _path(staff_id, "disable"))
    out(disabled, json_, safe_text(f"{disabled.get('staff_id')} is disabled."))


@staff_app.command("enable")
@handle_errors
def staff_enable(staff_id: StaffIdArg, json_: JsonOpt = False) -> None:
    """Instructor: enable a disabled staff member again, with a new token (shown only once)."""
    with session(detect_lang()) as api:
        enabled = _call(api, "POST", _path(staff_id, "enable"))
    out(enabled, json_, token_view(enabled, "Enabled"))


@staff_app.command("rotate")
@handle_errors
def staff_rotate(staff_id: StaffIdArg, json_: JsonOpt = False) -> None:
    """Instructor: issue a new token for a staff member; the old one and its browser sessions stop working."""
    with session(detect_lang()) as api:
        rotated = _call(api, "POST", _path(staff_id, "token"))
    out(rotated, json_, token_view(rotated, "New token for"))
