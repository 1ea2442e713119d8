"""Staff accounts: add one (its token shown once), list them, disable, enable again, issue a new token.

Every change is audited under the instructor who made it and ends the person's browser sessions where their
old token stops working. Tokens are stored as sha256 only.

The course is never locked out: disabling an instructor is refused when no other enabled instructor would
remain. The bootstrap instructor `admin` (RNN_GRADER_ADMIN_TOKEN) counts as one while its token is not
retired, so the first named instructor may be disabled while `admin` works, and `admin` may be retired
(`disable admin`) once a named instructor exists. `admin` has no token to issue or re-enable here: its
token is the server's setting, and a new value of it brings `admin` back (server.auth.principal).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.audit import record
from server.auth.models import (
    BOOTSTRAP_STAFF_ID,
    Role,
    SessionKind,
    Staff,
    StaffCreate,
    StaffCreated,
    StaffPublic,
)
from server.auth.principal import Principal, bootstrap_retired
from server.auth.sessions import end_sessions
from server.db import utcnow
from server.errors import AppError
from server.security import hash_token, new_token
from server.tables import table_of

staff_t = table_of(Staff)


class StaffNotFound(AppError):
    status_code = 404
    default_detail = "no such staff member"

    default_zh = "没有这位教学人员"

class StaffExists(AppError):
    status_code = 409
    default_detail = "a staff member with this id already exists"

    default_zh = "已有相同编号的教学人员"

class StaffDisabled(AppError):
    status_code = 409
    default_detail = "this staff member is disabled"

    default_zh = "这位教学人员已被停用"

class LastInstructor(AppError):
    """Disabling this instructor would leave the course without one."""

    status_code = 409
    default_detail = "the course needs at least one enabled instructor"

    default_zh = "课程至少需要一位启用的教师"

class BootstrapAccount(AppError):
    """`admin` is RNN_GRADER_ADMIN_TOKEN: not a row whose token this API issues."""

    status_code = 409
    default_detail = ("`admin` is the bootstrap instructor (RNN_GRADER_ADMIN_TOKEN): its token is the server's "
                      "setting; set a new value there")
    default_zh = "`admin` 是初始教师账号（RNN_GRADER_ADMIN_TOKEN）：它的令牌是服务器的设置；请在那里设置新值"


def _bootstrap_public(db: Session, admin_token: str) -> StaffPublic:
    disabled_at = None
    if bootstrap_retired(db, admin_token):
        disabled_at = db.execute(sa.select(staff_t.c.disabled_at)
                                 .where(staff_t.c.staff_id == BOOTSTRAP_STAFF_ID)).scalar_one()
    return StaffPublic(staff_id=BOOTSTRAP_STAFF_ID, name=BOOTSTRAP_STAFF_ID, role=Role.instructor,
                       disabled_at=disabled_at, bootstrap=True)


def _public(row: Staff) -> StaffPublic:
    return StaffPublic(staff_id=row.staff_id, name=row.name, role=Role(row.role), email=row.email,
                       created_at=row.created_at, disabled_at=row.disabled_at)


def _created(row: Staff, token: str) -> StaffCreated:
    return StaffCreated(staff_id=row.staff_id, name=row.name, role=Role(row.role), email=row.email, token=token)


def list_staff(db: Session, admin_token: str) -> list[StaffPublic]:
    """The bootstrap instructor first, then everyone else by id (disabled ones included, marked)."""
    rows = db.exec(select(Staff).where(staff_t.c.staff_id != BOOTSTRAP_STAFF_ID).order_by(staff_t.c.staff_id)).all()
    return [_bootstrap_public(db, admin_token), *(_public(r) for r in rows)]


def add_staff(db: Session, body: StaffCreate, by: Principal) -> StaffCreated:
    if body.staff_id == BOOTSTRAP_STAFF_ID:
        raise StaffExists(f"{BOOTSTRAP_STAFF_ID!r} is reserved for the bootstrap instructor (RNN_GRADER_ADMIN_TOKEN)")
    if db.get(Staff, body.staff_id) is not None:
        raise StaffExists(f"staff member {body.staff_id!r} exists already")
    token = new_token()
    row = Staff(staff_id=body.staff_id, name=body.name, email=body.email, role=body.role.value,
                token_hash=hash_token(token), created_at=utcnow())
    db.add(row)
    try:  # a flush may meet the row of a concurrent request with the same id
        record(db, by=by, action="staff.add", target=f"staff:{row.staff_id}",
               detail={"name": row.name, "role": row.role, **({"email": row.email} if row.email else {})})
        db.commit()
    except IntegrityError:  # created by a concurrent request
        db.rollback()
        raise StaffExists(f"staff member {body.staff_id!r} exists already") from None
    return _created(row, token)


def _named(db: Session, staff_id: str) -> Staff:
    if staff_id == BOOTSTRAP_STAFF_ID:
        raise BootstrapAccount()
    row = db.get(Staff, staff_id)
    if row is None:
        raise StaffNotFound(f"no staff member {staff_id!r}")
    return row


def _lock_instructors(db: Session) -> None:
    """Serialise changes to who may run the course. PostgreSQL: lock the enabled instructors' rows (a
    concurrent disable waits, then counts what was committed). SQLite: the caller's first write takes the
    database's one write lock and every count after it runs inside that transaction."""
    db.execute(sa.select(staff_t.c.staff_id).where(staff_t.c.role == Role.instructor.value,
                                                   staff_t.c.disabled_at.is_(None))
               .order_by(staff_t.c.staff_id).with_for_update())


def _instructors_left(db: Session, admin_token: str) -> int:
    named = db.execute(sa.select(sa.func.count()).select_from(staff_t).where(
        staff_t.c.role == Role.instructor.value, staff_t.c.disabled_at.is_(None),
        staff_t.c.staff_id != BOOTSTRAP_STAFF_ID)).scalar_one()
    return int(named) + (0 if bootstrap_retired(db, admin_token) else 1)


def disable_staff(db: Session, staff_id: str, by: Principal, admin_token: str) -> StaffPublic:
    """Disable a staff member (or retire the bootstrap token): their token and browser sessions stop working.
    Disabling someone already disabled changes nothing."""
    if staff_id == BOOTSTRAP_STAFF_ID:
        return _retire_bootstrap(db, by, admin_token)
    row = _named(db, staff_id)
    _lock_instructors(db)
    enabled = staff_t.c.disabled_at.is_(None)
    changed = db.connection().execute(sa.update(staff_t).where(staff_t.c.staff_id == staff_id, enabled)
                                      .values(disabled_at=utcnow())).rowcount
    if not changed:  # disabled already (perhaps a moment ago, by someone else)
        db.rollback()
        db.refresh(row)
        return _public(row)
    if row.role == Role.instructor.value and _instructors_left(db, admin_token) < 1:
        db.rollback()
        raise LastInstructor(f"{staff_id!r} is the last enabled instructor: add another instructor first")
    end_sessions(db, SessionKind.staff, staff_id)
    record(db, by=by, action="staff.disable", target=f"staff:{staff_id}", detail={"role": row.role})
    db.commit()
    db.refresh(row)
    return _public(row)


def _retire_bootstrap(db: Session, by: Principal, admin_token: str) -> StaffPublic:
    if bootstrap_retired(db, admin_token):
        return _bootstrap_public(db, admin_token)
    _lock_instructors(db)
    digest = hash_token(admin_token)
    db.execute(sa.delete(staff_t).where(staff_t.c.staff_id == BOOTSTRAP_STAFF_ID))
    db.execute(sa.insert(staff_t).values(staff_id=BOOTSTRAP_STAFF_ID, name=BOOTSTRAP_STAFF_ID,
                                         role=Role.instructor.value, token_hash=digest, created_at=utcnow(),
                                         disabled_at=utcnow()))
    if _instructors_left(db, admin_token) < 1:
        db.rollback()
        raise LastInstructor("the bootstrap token is the only instructor: add a named instructor first "
                             "(rnn-grader staff add ID NAME --role instructor)")
    end_sessions(db, SessionKind.staff, BOOTSTRAP_STAFF_ID)
    record(db, by=by, action="staff.disable", target=f"staff:{BOOTSTRAP_STAFF_ID}",
           detail={"role": Role.instructor.value, "bootstrap": True})
    db.commit()
    return _bootstrap_public(db, admin_token)


def _new_token(db: Session, staff_id: str, by: Principal, enable: bool) -> StaffCreated:
    """A new token for an enabled staff member (`enable`: for a disabled one, enabling them). The old token
    and the browser sessions opened with it stop working."""
    row = _named(db, staff_id)
    token = new_token()
    was_disabled = staff_t.c.disabled_at.is_not(None) if enable else staff_t.c.disabled_at.is_(None)
    changed = db.connection().execute(sa.update(staff_t).where(staff_t.c.staff_id == staff_id, was_disabled)
                                      .values(token_hash=hash_token(token), disabled_at=None)).rowcount
    if not changed:
        db.rollback()
        if enable:
            raise StaffExists(f"{staff_id!r} is enabled already; `staff rotate` issues a new token")
        raise StaffDisabled(f"{staff_id!r} is disabled; enabling them issues a new token (`staff enable`)")
    end_sessions(db, SessionKind.staff, staff_id)
    record(db, by=by, action="staff.enable" if enable else "staff.token", target=f"staff:{staff_id}",
           detail={"role": row.role})
    db.commit()
    db.refresh(row)
    return _created(row, token)


def rotate_token(db: Session, staff_id: str, by: Principal) -> StaffCreated:
    return _new_token(db, staff_id, by, enable=False)


def enable_staff(db: Session, staff_id: str, by: Principal) -> StaffCreated:
    """Enable a disabled staff member again, with a new token (the old one may be why they were disabled)."""
    return _new_token(db, staff_id, by, enable=True)
