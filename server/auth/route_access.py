"""Who may call each route of the app, and why: the declared table behind docs/security.md ("Who may call
what"), one line per method and path, API and pages alike.

The routes enforce it through their dependencies (server.deps StaffAuth / InstructorAuth / CurrentStudent /
PrincipalDep; server.auth.sessions StaffPage / StaffData / StudentPage / StudentData; server.auth.permissions
`require` for what depends on the request). tests/api/test_route_permissions.py walks every route of the app
with anonymous, student, TA and instructor credentials and compares what happens with this table, so a new
route without a line here fails the suite. `python -m server.auth.route_access` prints the section of
docs/security.md (a test checks the file holds exactly that).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from server.auth.permissions import Access

API = "/api/v1"


class Credential(StrEnum):
    """What the route reads to know who calls."""

    none = "none"
    bearer = "bearer token"
    staff_session = "staff session"  # the /scoreboard pages' cookie
    student_session = "student session"  # the /student pages' cookie
    sign_in = "token in the form"


@dataclass(frozen=True)
class Narrower:
    """Part of a route that needs more than the route itself: `when` the request asks for it."""

    when: str
    access: Access


@dataclass(frozen=True)
class RouteAccess:
    method: str
    path: str
    access: Access
    credential: Credential
    reason: str
    narrower: tuple[Narrower, ...] = ()


A, C = Access, Credential
B, SS, ST = C.bearer, C.staff_session, C.student_session
INSTRUCTOR_WHOLE = (Narrower("a whole exercise (`exercise`)", A.instructor), Narrower("every submission (`all`)",
                                                                                       A.instructor))
INSTRUCTOR_OVERRIDE = (Narrower("`action=override`", A.instructor),)


def _api(method: str, path: str, access: Access, reason: str, narrower: tuple[Narrower, ...] = ()) -> RouteAccess:
    return RouteAccess(method, API + path, access, B if access is not A.public else C.none, reason, narrower)


def _page(method: str, path: str, access: Access, reason: str, narrower: tuple[Narrower, ...] = ()) -> RouteAccess:
    credential = C.none if access is A.public else ST if access is A.student else SS
    return RouteAccess(method, path, access, credential, reason, narrower)


ROUTES: tuple[RouteAccess, ...] = (
    # ------------------------------------------------------------ students and staff (the roster, the team)
    _api("POST", "/students", A.instructor, "Changes the roster and issues a token: an instructor's decision."),
    _api("POST", "/students/import", A.instructor, "Changes the roster in bulk and issues tokens."),
    _api("GET", "/students", A.staff, "A TA sees everything about the course; no tokens are listed."),
    _api("POST", "/students/{student_id}/token", A.instructor,
         "A new token lets its holder act as the student: only an instructor hands one out."),
    _api("POST", "/staff", A.instructor, "Who teaches the course and with which powers is the instructor's call."),
    _api("GET", "/staff", A.instructor, "Staff e-mails and account states; a TA has nothing to do with them."),
    _api("POST", "/staff/{staff_id}/disable", A.instructor,
         "Takes a person's access away (the last enabled instructor is kept)."),
    _api("POST", "/staff/{staff_id}/enable", A.instructor, "Gives a person access again, with a new token."),
    _api("POST", "/staff/{staff_id}/token", A.instructor, "A new staff token is that person's full power."),
    # ------------------------------------------------------------ submissions and grades
    _api("POST", "/submissions", A.student, "Only a student submits, as themselves; staff never submit for one."),
    _api("GET", "/submissions", A.signed_in, "A student lists their own; staff list everyone's (with filters)."),
    _api("GET", "/submissions/{submission_id}", A.signed_in, "Its owner (as the visibility policy allows) or staff."),
    _api("POST", "/submissions/{submission_id}/diagnostics", A.signed_in,
         "Its owner or staff ask for charts: computation only, no grade changes."),
    _api("GET", "/submissions/{submission_id}/results.json", A.signed_in, "Its owner (visibility applies) or staff."),
    _api("GET", "/submissions/{submission_id}/gradings", A.signed_in,
         "Its owner sees the history of their grade; staff also see each stored result."),
    _api("POST", "/submissions/{submission_id}/override", A.instructor,
         "Setting a score by hand is the instructor's decision (audited)."),
    _api("POST", "/submissions/{submission_id}/regrade-requests", A.student,
         "The owner asks for a second look; others get 404 for someone else's submission."),
    _api("GET", "/regrade-requests", A.signed_in, "A student lists their own; staff list all to answer them."),
    _api("GET", "/regrade-requests/{request_id}", A.signed_in, "Its student or staff."),
    _api("POST", "/regrade-requests/{request_id}/resolve", A.staff,
         "A TA answers regrade requests (regrade or reject); the answer and the actor are audited.",
         INSTRUCTOR_OVERRIDE),
    _api("POST", "/regrade", A.staff, "A TA may regrade one submission (as when answering a request).",
         INSTRUCTOR_WHOLE),
    _api("GET", "/regrades", A.staff, "Regrade batches and their progress: staff see everything."),
    _api("GET", "/regrades/{batch_id}", A.staff, "A batch's report: staff see everything."),
    _api("GET", "/regrades/{batch_id}.csv", A.staff, "The same report as CSV."),
    # ------------------------------------------------------------ exercises, policies, views
    _api("GET", "/me", A.signed_in, "Whom the token belongs to (role, id, name): only what the caller already is."),
    _api("GET", "/exercises", A.signed_in, "Course material for the enrolled; a student sees their own deadline."),
    _api("GET", "/exercises/{exercise_id}", A.signed_in, "As above, one exercise."),
    _api("GET", "/exercises/{exercise_id}/template", A.signed_in, "The starter file, for the course's members."),
    _api("GET", "/exercises/{exercise_id}/examples", A.signed_in, "The public examples, for the course's members."),
    _api("PUT", "/extensions/{student_id}/{exercise}", A.staff, "A TA grants extensions (audited)."),
    _api("DELETE", "/extensions/{student_id}/{exercise}", A.staff, "Whoever may grant an extension may take it back."),
    _api("GET", "/extensions", A.staff, "Staff see every student's deadline."),
    _api("POST", "/extensions/import", A.staff, "Many extensions at once: the same power as one (each audited)."),
    _api("GET", "/scoreboard", A.staff, "Every student's scores: a TA views everything."),
    _api("GET", "/scoreboard.csv", A.staff, "A TA exports grades (also for the LMS)."),
    _api("GET", "/similarity/{exercise}", A.staff, "Comparing students' code is for staff only."),
    _api("GET", "/similarity/{exercise}/report.html", A.staff, "The same report as one file."),
    _api("GET", "/audit", A.staff, "Staff see who changed what (a TA without the staff accounts' own "
         "entries, as for GET /staff); only the server writes the log."),
    # ------------------------------------------------------------ for machines and for installing
    _api("GET", "/healthz", A.public, "Liveness for load balancers: says nothing but ok."),
    _api("GET", "/readyz", A.public, "Readiness for load balancers: database and graders up or not."),
    _api("GET", "/client", A.public, "A student installs the client before having anywhere to log in."),
    _api("GET", "/client/{filename}", A.public, "The client wheel: student commands only, nothing secret (tested)."),
    _page("GET", "/healthz", A.public, "Liveness alias for container health checks."),
    _page("GET", "/readyz", A.public, "Readiness alias for container health checks."),
    RouteAccess("GET", "/metrics", A.staff, B,
                "Aggregates only, but a scrape runs a query: on the public port for staff; scrapers use "
                "RNN_GRADER_METRICS_BIND, a listener of its own without a token (docs/server.md)."),
    _page("GET", "/openapi.json", A.public, "The API's description: no data, no secret."),
    _page("GET", "/docs", A.public, "The API's description, browsable."),
    _page("GET", "/docs/oauth2-redirect", A.public, "Part of the API browser; holds nothing."),
    _page("GET", "/redoc", A.public, "The API's description, browsable."),
    _page("GET", "/static/{path}", A.public, "Stylesheets, scripts and icons of the pages: no data."),
    # ------------------------------------------------------------ the teacher's pages (/scoreboard)
    RouteAccess("GET", "/scoreboard/login", A.public, C.none, "The sign-in form."),
    RouteAccess("POST", "/scoreboard/login", A.staff, C.sign_in,
                "Anyone may try; only an enabled staff token opens a staff session (a student's is refused)."),
    RouteAccess("POST", "/scoreboard/login/draft", A.staff, C.sign_in,
                "The same sign-in, carrying an answer typed before the session ended; it comes back in its form."),
    _page("POST", "/scoreboard/logout", A.public,
          "Ends this browser's staff session when the form is genuine (CSRF value, same origin); else nothing."),
    _page("GET", "/scoreboard", A.staff, "The scoreboard: a TA views everything; the override answer is shown to "
          "instructors only."),
    _page("GET", "/scoreboard/state", A.staff, "What the scoreboard polls: staff only."),
    _page("GET", "/scoreboard/export.csv", A.staff, "A TA exports grades."),
    _page("GET", "/scoreboard/export.json", A.staff, "A TA exports grades."),
    _page("GET", "/scoreboard/highlight.css", A.public, "A stylesheet: no data."),
    _page("GET", "/scoreboard/students/{student_id}", A.staff, "One student's submissions: a TA views everything."),
    _page("POST", "/scoreboard/submissions/{submission_id}/charts", A.staff,
          "Staff ask for a result's charts: computation only."),
    _page("POST", "/scoreboard/regrade-requests/{request_id}/resolve", A.staff,
          "A TA answers regrade requests, as in the API.", INSTRUCTOR_OVERRIDE),
    _page("GET", "/scoreboard/regrades/{batch_id}", A.staff, "A regrade batch's report."),
    _page("GET", "/scoreboard/regrades/{batch_id}.csv", A.staff, "The same report as CSV."),
    _page("GET", "/scoreboard/audit", A.staff, "The audit log: staff see who changed what (a TA without the staff "
          "accounts' entries)."),
    _page("GET", "/scoreboard/similarity", A.staff, "Similarity reports: staff only."),
    _page("GET", "/scoreboard/similarity/{exercise}", A.staff, "Similarity reports: staff only."),
    _page("GET", "/scoreboard/similarity/{exercise}/compare", A.staff, "Two students' code side by side."),
    _page("GET", "/scoreboard/similarity/{exercise}/report.html", A.staff, "The report as one file."),
    _page("GET", "/leaderboard", A.public,
          "Opt-in (RNN_GRADER_PUBLIC_LEADERBOARD): pseudonyms and best scores only; 404 when off."),
    # ------------------------------------------------------------ the student's pages (/student)
    _page("GET", "/student", A.public, "The sign-in form when signed out; the student's own home when signed in."),
    RouteAccess("GET", "/student/login", A.public, C.none, "The sign-in form."),
    RouteAccess("POST", "/student/login", A.student, C.sign_in,
                "Anyone may try; only a student token opens a student session (a staff token is refused)."),
    RouteAccess("POST", "/student/login/draft", A.student, C.sign_in,
                "The same sign-in, carrying code pasted before the session ended; it comes back in its form."),
    _page("POST", "/student/logout", A.public,
          "Ends this browser's student session when the form is genuine (CSRF value, same origin); else nothing."),
    _page("GET", "/student/exercises/{exercise_id}", A.student, "The student's own view of an exercise."),
    _page("GET", "/student/exercises/{exercise_id}/template", A.student, "The starter file."),
    _page("GET", "/student/exercises/{exercise_id}/examples", A.student, "The public examples."),
    _page("POST", "/student/exercises/{exercise_id}/submit", A.student,
          "A student submits as themselves (the session is checked before the upload is read)."),
    _page("GET", "/student/submissions", A.student, "The student's own history."),
    _page("GET", "/student/submissions/{submission_id}", A.student, "Their own result only (404 for another's)."),
    _page("POST", "/student/submissions/{submission_id}/charts", A.student,
          "Their own result's charts, when the visibility policy shows them."),
    _page("GET", "/student/submissions/{submission_id}/state", A.student, "What their result page polls."),
)

WHO = {
    A.public: "anyone",
    A.signed_in: "student (own) · TA · instructor",
    A.student: "student",
    A.staff: "TA · instructor",
    A.instructor: "instructor",
}


def _line(route: RouteAccess) -> str:
    who = WHO[route.access] + "".join(f"; {n.when}: {WHO[n.access]}" for n in route.narrower)
    return f"| {route.method} | `{route.path}` | {who} | {route.credential.value} | {route.reason} |"


def markdown() -> str:
    """The section of docs/security.md: the API's routes, then everything else (pages, files, probes)."""
    head = "| Method | Path | Who may call it | Credential | Why |\n|---|---|---|---|---|"
    api = [r for r in ROUTES if r.path.startswith(API + "/")]
    rest = [r for r in ROUTES if not r.path.startswith(API + "/")]
    return "\n".join([
        f"### The API (`{API}`)", "", head, *map(_line, api), "",
        "### Pages, files and probes", "", head, *map(_line, rest),
    ]) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
