"""The SQLModel tables as typed SQLAlchemy Core tables, for the queries that bypass the ORM (claims, the
scoreboard, metrics). One name per table, used everywhere: `submissions_t.c.score`, not local aliases."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from server.models import Extension, Student, StudentExerciseScore, Submission


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table SQLModel made for a `table=True` model (the stubs do not declare `__table__`)."""
    table = vars(model).get("__table__")
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


submissions_t = table_of(Submission)
students_t = table_of(Student)
scores_t = table_of(StudentExerciseScore)
extensions_t = table_of(Extension)
