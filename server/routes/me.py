"""`GET /me`: who a token belongs to (a student, or staff with their role), so the CLI can keep one login per
server and role (cli.config) and say whom it logged in as."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from server.deps import PrincipalDep
from server.errors import error_responses

router = APIRouter(tags=["students"])


class Me(BaseModel):
    role: Literal["student", "instructor", "ta"] = Field(description="student, or the staff member's role")
    id: str = Field(description="The student_id, or the staff_id")
    name: str


@router.get("/me", response_model=Me, summary="Who this token belongs to (any token)",
            responses=error_responses())
def me(principal: PrincipalDep) -> Me:
    if principal.student is not None:
        return Me(role="student", id=principal.student.student_id, name=principal.student.name)
    assert principal.role is not None and principal.staff_id is not None
    return Me(role=principal.role.value, id=principal.staff_id, name=principal.name)
