"""Every table model, registered on SQLModel.metadata by importing its module: the one list, read by the
migrations (server/migrations/env.py) and by `rnn-grader migrate-data` (which must copy every table). A new
table module is added here."""

from __future__ import annotations

from sqlmodel import SQLModel

import server.audit  # noqa: F401
import server.auth.models  # noqa: F401
import server.models  # noqa: F401
import server.regrades.models  # noqa: F401

metadata = SQLModel.metadata
