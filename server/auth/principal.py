"""A credential -> who is calling. A bearer token is the bootstrap teacher token (RNN_GRADER_ADMIN_TOKEN,
the instructor `admin`), a staff member's token or a student's token; a browser session names the same
people (server.auth.sessions). Tokens are looked up by their sha256 only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from server.auth.models import BOOTSTRAP_STAFF_ID, Role, Staff
from server.models import Student
from server.security import hash_token, same_token


@dataclass(frozen=True)
class Principal:
    """A staff member (`role` set; `student` None) or one student. `key` is the hash of the token that
    names them now: a browser session opened with another key is over."""

    name: str
    key: str
    staff_id: str | None = None
    role: Role | None = None
    student: Student | None = None

    @property
    def is_staff(self) -> bool:
        return self.student is None

    @property
    def is_teacher(self) -> bool:
        """Staff of any role: they see the teacher's views of every submission."""
        return self.is_staff

    @property
    def is_instructor(self) -> bool:
        return self.role is Role.instructor

    @property
    def actor(self) -> str:
        """The name the audit log records: the staff_id (or the student_id for a student's own action)."""
        if self.student is not None:
            return self.student.student_id
        assert self.staff_id is not None
        return self.staff_id

    @property
    def subject(self) -> str:
        return self.actor


def bootstrap_instructor(admin_token: str) -> Principal:
    return Principal(name=BOOTSTRAP_STAFF_ID, key=hash_token(admin_token), staff_id=BOOTSTRAP_STAFF_ID,
                     role=Role.instructor)


def staff_principal(staff: Staff) -> Principal:
    return Principal(name=staff.name, key=staff.token_hash, staff_id=staff.staff_id, role=Role(staff.role))


def student_principal(student: Student) -> Principal:
    return Principal(name=student.name, key=student.token_hash, student=student)


def principal_for_token(db: Session, admin_token: str, token: str) -> Principal | None:
    """Who holds this bearer token, or None (unknown, or a disabled staff account)."""
    if not token:
        return None
    if same_token(token, admin_token):
        return bootstrap_instructor(admin_token)
    digest = hash_token(token)
    student = db.exec(select(Student).where(Student.token_hash == digest)).first()
    if student is not None:
        return student_principal(student)
    staff = db.exec(select(Staff).where(Staff.token_hash == digest)).first()
    if staff is not None and staff.disabled_at is None:
        return staff_principal(staff)
    return None


def staff_by_id(db: Session, admin_token: str, staff_id: str) -> Principal | None:
    """An enabled staff member by id (the bootstrap instructor included), for a browser session."""
    if staff_id == BOOTSTRAP_STAFF_ID:
        return bootstrap_instructor(admin_token)
    staff = db.get(Staff, staff_id)
    if staff is None or staff.disabled_at is not None:
        return None
    return staff_principal(staff)
