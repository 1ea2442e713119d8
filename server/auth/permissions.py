"""What each role may do, asked in one place by the API's dependencies, the web pages and the ingress guard.

Roles: an `instructor` runs the course (roster, staff, deadlines and policies, whole-exercise regrades,
score overrides); a `ta` sees everything, answers regrade requests, grants extensions and exports grades;
a student sees and changes only their own work. The table of every route is in docs/security.md.
"""

from __future__ import annotations

from enum import StrEnum

from server.auth.principal import Principal
from server.errors import InstructorOnly, StudentOnly, TeacherOnly
from server.refusals import refusal


class Access(StrEnum):
    """Who may call a route at all (what it then shows may still depend on who calls)."""

    public = "public"  # no credential
    signed_in = "signed_in"  # any student or staff member (students see only their own)
    student = "student"  # a student only
    staff = "staff"  # an instructor or a TA
    instructor = "instructor"  # an instructor only


def allows(access: Access, principal: Principal | None) -> bool:
    if access is Access.public:
        return True
    if principal is None:
        return False
    if access is Access.signed_in:
        return True
    if access is Access.student:
        return principal.student is not None
    if access is Access.staff:
        return principal.is_staff
    return principal.is_instructor


def require(access: Access, principal: Principal, action: str | None = None) -> Principal:
    """The principal if `access` lets them in, else the 403 that says why (never called without one)."""
    if allows(access, principal):
        return principal
    if access is Access.student:
        raise StudentOnly(refusal("teacher_cannot_submit"))
    if access is Access.instructor and principal.is_staff:
        raise InstructorOnly(f"{action} needs an instructor" if action else None)
    raise TeacherOnly()
