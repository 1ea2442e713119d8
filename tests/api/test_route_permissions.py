"""Every route of the app (API and pages, every method), walked with anonymous, student, TA and instructor
credentials and compared with the declared table (server.auth.route_access, which docs/security.md prints):
a route the app has and the table lacks fails, and so does any call that is refused where the table allows
it or let in where the table refuses it. Refused means 401/403 (JSON: an authentication or permission error)
or a redirect to a sign-in form; anything else (200, 201, 303 elsewhere, 404, 409, 422) means the route let the
caller in and decided on its own. Each caller sends everything it holds: its bearer token and the cookie of
the pages it may sign in to. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from helpers import page_sign_in
from starlette.routing import Mount
from starlette.testclient import TestClient

from server.auth.permissions import Access
from server.auth.route_access import ROUTES, RouteAccess, markdown

CALLERS = ("anonymous", "student", "ta", "instructor")
ALLOWED = {
    Access.public: set(CALLERS),
    Access.signed_in: {"student", "ta", "instructor"},
    Access.student: {"student"},
    Access.staff: {"ta", "instructor"},
    Access.instructor: {"instructor"},
}
REFUSALS = {"Unauthorized", "TeacherOnly", "InstructorOnly", "StudentOnly", "LoginRequired"}
SECURITY_MD = Path(__file__).resolve().parents[2] / "docs" / "security.md"
DEADLINE = "2999-01-01T00:00:00+00:00"
Key = tuple[str, str]


def app_routes(app: FastAPI) -> set[Key]:
    """(method, path) of every route the app answers, flattened through its included routers. A mount (the
    static files) is `{path}` below it; HEAD beside GET is the same route (walked too, not declared)."""
    found: set[Key] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            found.update({("GET", f"{route.path}/{{path}}"), ("HEAD", f"{route.path}/{{path}}")})
            continue
        assert context.path is not None, route
        found.update((method, context.path) for method in getattr(route, "methods", None) or ())
    return found


def declared() -> dict[Key, RouteAccess]:
    table = {(r.method, r.path): r for r in ROUTES}
    assert len(table) == len(ROUTES), "a route is declared twice"
    return table


def _bare_app(tmp_path: Path, real_exercises: dict[str, Any]) -> FastAPI:
    from server.app import create_app
    from server.config import Settings

    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'x.db'}", admin_token="t" * 32,
                        secret="s" * 32)
    return create_app(settings, exercises_by_id=real_exercises, migrate=False)


def test_every_route_of_the_app_has_a_declared_permission_and_nothing_else_is_declared(
    tmp_path: Path, real_exercises: dict[str, Any],
) -> None:
    routes = {(m, p) for m, p in app_routes(_bare_app(tmp_path, real_exercises)) if m != "HEAD"}
    table = set(declared())
    assert sorted(routes - table) == [], "routes without a line in server/auth/route_access.py"
    assert sorted(table - routes) == [], "lines in server/auth/route_access.py for routes the app does not have"


def test_a_narrower_part_of_a_route_only_ever_needs_more() -> None:
    order = [Access.public, Access.signed_in, Access.staff, Access.instructor]
    for route in ROUTES:
        for part in route.narrower:
            assert route.access in order and order.index(part.access) > order.index(route.access), route


def test_docs_security_md_holds_the_declared_table() -> None:
    text = SECURITY_MD.read_text(encoding="utf-8")
    begin, end = "<!-- route-access:begin (python -m server.auth.route_access) -->\n", "<!-- route-access:end -->"
    assert begin in text and end in text, "docs/security.md lost the markers of its generated section"
    assert text.split(begin, 1)[1].split(end, 1)[0] == markdown(), "run: python -m server.auth.route_access"


# ---------------------------------------------------------------- the walk
@dataclass
class Caller:
    name: str
    http: TestClient
    token: str = ""
    display: str = ""
    csrf: dict[str, str] = field(default_factory=dict)  # pages ("/scoreboard", "/student") -> the session's value


@dataclass
class World:
    app: FastAPI
    samples: dict[str, str]
    callers: dict[str, Caller]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


@pytest.fixture
def world(make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
          make_staff: Callable[..., dict[str, str]], teacher_headers: dict[str, str],
          tmp_path: Path) -> Iterator[World]:
    client = make_client(public_leaderboard=True, client_dir=tmp_path / "no-client")
    app: FastAPI = client.app  # type: ignore[assignment]
    student = create_student(client, "s1", "Sam Student")
    create_student(client, "s2", "Victim Student")  # whose token, extension and page the walk changes
    ta = make_staff(client, "ta1", "ta", name="Tess Assistant")
    instructor = make_staff(client, "ins1", "instructor", name="Ida Instructor")
    make_staff(client, "victim", "ta")  # whom the walk disables, enables and rotates
    own = {"Authorization": student["authorization"]}
    submission = client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"}, headers=own)
    asked = client.post(f"/api/v1/submissions/{submission.json()['id']}/regrade-requests",
                        json={"message": "please look again"}, headers=own)
    batch = client.post("/api/v1/regrade", json={"submission_id": submission.json()["id"]}, headers=teacher_headers)
    assert submission.status_code == 202 and asked.status_code == 201 and batch.status_code == 200, batch.text
    samples = {"submission_id": str(submission.json()["id"]), "request_id": str(asked.json()["id"]),
               "batch_id": str(batch.json()["batch_id"]), "student_id": "s2", "staff_id": "victim",
               "exercise": "rnn", "exercise_id": "rnn", "filename": "rnn_grader_client-0-py3-none-any.whl",
               "path": "app.css"}
    callers = {"anonymous": Caller("anonymous", TestClient(app))}
    for name, token, display, pages in (
        ("student", student["token"], "Sam Student", "/student"),
        ("ta", ta["Authorization"].removeprefix("Bearer "), "Tess Assistant", "/scoreboard"),
        ("instructor", instructor["Authorization"].removeprefix("Bearer "), "Ida Instructor", "/scoreboard"),
    ):
        http = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        assert page_sign_in(http, token, pages).status_code == 303
        callers[name] = Caller(name, http, token, display, {pages: _csrf(http.get(pages).text)})
    yield World(app, samples, callers)
    for caller in callers.values():
        caller.http.close()


# What goes with a request besides its path: (the caller, the route's path, the sample ids) -> httpx arguments.
Body = Callable[[Caller, str, dict[str, str]], dict[str, Any]]


def _form(**fields: str) -> Body:
    """A page's form, with the caller's CSRF value for those pages (none if it has no session there)."""
    return lambda caller, path, _samples: {"data": {"csrf": caller.csrf.get("/" + path.split("/")[1], ""), **fields}}


def _json(**body: Any) -> Body:
    return lambda _caller, _path, _samples: {"json": body}


def _csv(text: str) -> Body:
    return lambda _caller, _path, _samples: {"files": {"file": ("walk.csv", text.encode(), "text/csv")}}


API = "/api/v1"
# What a request needs besides its path to be a real one (without it an allowed caller would get a 422 too).
BODIES: dict[Key, Body] = {
    ("POST", f"{API}/students"): _json(student_id="walk-new", name="New Student"),
    ("POST", f"{API}/students/import"): _csv("student_id,name\nwalk-imported,Imported Student\n"),
    ("POST", f"{API}/staff"): _json(staff_id="walk-ta", name="New Assistant", role="ta"),
    ("POST", f"{API}/submissions"): _json(exercise="rnn", source="x = 2\n"),
    ("POST", f"{API}/submissions/{{submission_id}}/override"): _json(score=1.0, reason="walk"),
    ("POST", f"{API}/submissions/{{submission_id}}/regrade-requests"): _json(message="walk"),
    ("POST", f"{API}/regrade-requests/{{request_id}}/resolve"): _json(action="reject", comment="walk"),
    ("POST", f"{API}/regrade"): lambda _c, _p, samples: {"json": {"submission_id": int(samples["submission_id"])}},
    ("PUT", f"{API}/extensions/{{student_id}}/{{exercise}}"): _json(deadline=DEADLINE),
    ("POST", f"{API}/extensions/import"): _csv(f"student_id,exercise,deadline\ns2,rnn,{DEADLINE}\n"),
    ("GET", f"{API}/similarity/{{exercise}}"): lambda _c, _p, _s: {"params": {"wait": "false"}},
    ("POST", "/scoreboard/submissions/{submission_id}/charts"): _form(),
    ("POST", "/scoreboard/regrade-requests/{request_id}/resolve"): _form(action="reject", comment="walk"),
    ("POST", "/student/exercises/{exercise_id}/submit"): _form(source="x = 3\n"),
    ("POST", "/student/submissions/{submission_id}/charts"): _form(),
}
# The requests that ask for a route's narrower part, by the table's `when`.
NARROWER: dict[tuple[str, str, str], Body] = {
    ("POST", f"{API}/regrade", "a whole exercise (`exercise`)"): _json(exercise="rnn"),
    ("POST", f"{API}/regrade", "every submission (`all`)"): _json(all=True),
    ("POST", f"{API}/regrade-requests/{{request_id}}/resolve", "`action=override`"):
        _json(action="override", score=1.0, comment="walk"),
    ("POST", "/scoreboard/regrade-requests/{request_id}/resolve", "`action=override`"):
        _form(action="override", score="1", comment="walk"),
}


def refused(response: httpx.Response) -> bool:
    if response.is_redirect:
        location = urlsplit(response.headers["location"])
        return location.path.endswith("/login") and "next=" in location.query
    if response.status_code in (401, 403):
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json().get("error") in REFUSALS
        return True  # a page saying so
    return False


def _url(path: str, samples: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: samples[m.group(1)], path)


def _sign_in_form(world: World, caller: Caller, route: RouteAccess) -> httpx.Response:
    """POST {pages}/login (or its /draft twin) as a browser does, in a browser of its own, with the caller's
    token."""
    pages, token = route.path.split("/login")[0], caller.token or "not-anyones-token-0123456789"
    with closing(TestClient(world.app)) as fresh:
        if route.path.endswith("/login"):
            return page_sign_in(fresh, token, pages)
        csrf = _csrf(fresh.get(f"{pages}/login").text)
        return fresh.post(route.path, data={"token": token, "csrf": csrf, "next": pages}, follow_redirects=False)


def _sign_out(world: World, caller: Caller, route: RouteAccess) -> httpx.Response:
    """POST {pages}/logout from a browser of its own (signed in there if the caller can be): the walk's own
    sessions stay."""
    pages = route.path.rsplit("/", 1)[0]
    with closing(TestClient(world.app)) as fresh:
        csrf = ""
        if caller.token and page_sign_in(fresh, caller.token, pages).status_code == 303:
            csrf = _csrf(fresh.get(pages).text)
        return fresh.post(route.path, data={"csrf": csrf}, follow_redirects=False)


def _call(world: World, caller: Caller, method: str, route: RouteAccess, body: Body | None) -> httpx.Response:
    if route.path.endswith(("/login", "/login/draft")) and method == "POST":
        return _sign_in_form(world, caller, route)
    if route.path.endswith("/logout"):
        return _sign_out(world, caller, route)
    url = _url(route.path, world.samples)
    extra = body(caller, route.path, world.samples) if body is not None else {}
    return caller.http.request(method, url, follow_redirects=False, **extra)


def _shows_who(caller: Caller, route: RouteAccess, method: str, response: httpx.Response) -> None:
    """A staff page shows who is signed in, with their role."""
    if (caller.name in ("ta", "instructor") and method == "GET" and route.path.startswith("/scoreboard")
            and response.status_code == 200 and response.headers.get("content-type", "").startswith("text/html")
            and "attachment" not in response.headers.get("content-disposition", "")):
        found = re.search(r'id="signed-in">([^<]*)<', response.text)
        role = "TA" if caller.name == "ta" else "instructor"
        assert found is not None and found.group(1) == f"{caller.display} · {role}", (route.path, response.text[:300])


def test_every_route_answers_each_caller_as_the_table_says(world: World) -> None:
    table = declared()
    assert {k[:2] for k in NARROWER} <= set(table) and set(BODIES) <= set(table)
    for route in table.values():
        assert {n.when for n in route.narrower} == {w for m, p, w in NARROWER if (m, p) == (route.method, route.path)}
    walked = 0
    mismatches: list[str] = []
    for method, path in sorted(app_routes(world.app), key=lambda k: (k[1].endswith("/logout"), k)):
        route = table[("GET", path) if method == "HEAD" else (method, path)]
        probes = [(route.access, BODIES.get((route.method, route.path)), "")]
        probes += [(n.access, NARROWER[(route.method, route.path, n.when)], f" [{n.when}]") for n in route.narrower]
        for access, body, label in probes:
            for name in CALLERS:
                caller = world.callers[name]
                response = _call(world, caller, method, route, body)
                assert response.status_code < 500, (method, path, name, response.text)
                expected = name in ALLOWED[access]
                if refused(response) == expected:
                    mismatches.append(f"{method} {path}{label} as {name}: {response.status_code} "
                                      f"{response.headers.get('location', '')} {response.text[:120]!r} "
                                      f"(declared: {access.value})")
                elif expected:
                    _shows_who(caller, route, method, response)
                walked += 1
    assert not mismatches, "\n".join(mismatches)
    routes = [table[("GET", p) if m == "HEAD" else (m, p)] for m, p in app_routes(world.app)]
    assert walked == len(CALLERS) * sum(1 + len(r.narrower) for r in routes)
