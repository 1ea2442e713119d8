"""A credential -> who is calling. A bearer token is the bootstrap teacher token (RNN_GRADER_ADMIN_TOKEN,
the instructor `admin`), a staff member's token or a student's token; a browser session names the same
people (server.auth.sessions). Tokens are looked up by their sha256 only.

The bootstrap token can be retired (`rnn-grader staff disable admin`, server.auth.staff): a `staff` row
`admin` then holds the retired token's hash with `disabled_at` set. Retirement holds for that token value
only: whoever runs the server can set a new RNN_GRADER_ADMIN_TOKEN (or delete the generated admin-token
file) to bring the bootstrap instructor back, the way out if every named instructor lost their token."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from server.auth.models import BOOTSTRAP_STAFF_ID, ActorRole, Role, Staff
from server.models import Student
from server.security import hash_token, same_token
from server.tables import table_of


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

    @property
    def role_name(self) -> ActorRole:
        """What the audit log records beside the actor."""
        return ActorRole.student if self.role is None else ActorRole(self.role.value)


def bootstrap_instructor(admin_token: str) -> Principal:
    return Principal(name=BOOTSTRAP_STAFF_ID, key=hash_token(admin_token), staff_id=BOOTSTRAP_STAFF_ID,
                     role=Role.instructor)


def staff_principal(staff: Staff) -> Principal:
    return Principal(name=staff.name, key=staff.token_hash, staff_id=staff.staff_id, role=Role(staff.role))


def student_principal(student: Student) -> Principal:
    return Principal(name=student.name, key=student.token_hash, student=student)


def bootstrap_retired(db: Session, admin_token: str) -> bool:
    """Whether this value of the bootstrap token was retired (a disabled `admin` row with its hash). Read
    from the database each time (never a session's cached row): a retirement may be under way in `db`."""
    staff = table_of(Staff).c
    row = db.execute(sa.select(staff.token_hash, staff.disabled_at).where(staff.staff_id == BOOTSTRAP_STAFF_ID)).first()
    return row is not None and row.disabled_at is not None and same_token(row.token_hash, hash_token(admin_token))


def _bootstrap(db: Session, admin_token: str) -> Principal | None:
    return None if bootstrap_retired(db, admin_token) else bootstrap_instructor(admin_token)


def principal_for_token(db: Session, admin_token: str, token: str) -> Principal | None:
    """Who holds this bearer token, or None (unknown, a disabled staff account, a retired bootstrap token)."""
    if not token:
        return None
    if same_token(token, admin_token):
        return _bootstrap(db, admin_token)
    digest = hash_token(token)
    student = db.exec(select(Student).where(Student.token_hash == digest)).first()
    if student is not None:
        return student_principal(student)
    staff = db.exec(select(Staff).where(Staff.token_hash == digest)).first()
    if staff is not None and staff.disabled_at is None:
        return staff_principal(staff)
    return None


def staff_by_id(db: Session, admin_token: str, staff_id: str) -> Principal | None:
    """An enabled staff member by id (the bootstrap instructor included, unless retired), for a browser session."""
    if staff_id == BOOTSTRAP_STAFF_ID:
        return _bootstrap(db, admin_token)
    staff = db.get(Staff, staff_id)
    if staff is None or staff.disabled_at is not None:
        return None
    return staff_principal(staff)
