"""The one Settings class (prefix RNN_GRADER_), read through the cached get_settings().

The embedded default needs no configuration: the admin token and the seed secret are generated on first
start and kept (mode 0600) in the data directory. On PostgreSQL (a deployment) a missing or placeholder
secret is refused, because every host must derive the same hidden cases from it.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from grader.exercise import DEFAULT_EXERCISES_DIR

ADMIN_TOKEN_FILE = "admin-token"
SECRET_FILE = "secret"
PLACEHOLDERS = frozenset(
    {"", "secret", "change-me", "changeme", "change_me", "placeholder", "xxx", "todo", "test", "password"}
)
MIN_SECRET_CHARS = 16


class ConfigError(RuntimeError):
    """The settings cannot work (e.g. a placeholder secret on PostgreSQL). Raised at start-up only."""


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


def is_placeholder(value: str) -> bool:
    stripped = value.strip()
    return stripped.lower() in PLACEHOLDERS or len(stripped) < MIN_SECRET_CHARS or stripped.startswith("${")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RNN_GRADER_", extra="ignore", frozen=True)

    data_dir: Path = Field(default=Path("data"), description="Where the SQLite file, token and secret live.")
    database_url: str = Field(default="", description="SQLAlchemy URL; default sqlite:///<data_dir>/rnn-grader.db")
    admin_token: SecretStr | None = Field(default=None, description="Teacher bearer token; generated if unset.")
    secret: SecretStr | None = Field(default=None, description="Seed secret; generated if unset (SQLite only).")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=2, ge=0, le=64, description="In-process grading threads; 0 = none.")
    queue: Literal["inprocess"] = "inprocess"
    rate_limit_per_minute: int = Field(default=10, ge=0, description="Submissions per student per minute; 0 = off.")
    score_policy: Literal["best", "latest"] = "best"
    lease_seconds: float = Field(default=30.0, gt=0, description="How long a claim lasts without a heartbeat.")
    max_attempts: int = Field(default=3, ge=1, description="Grading attempts before a submission is failed.")
    sweep_seconds: float = Field(default=5.0, gt=0, description="How often stale claims are re-queued.")
    max_source_kib: int = Field(default=64, ge=1, le=4096)
    exercises_dir: Path = DEFAULT_EXERCISES_DIR
    deadlines: dict[str, dt.datetime] = Field(
        default_factory=dict, description='JSON {"rnn": "2026-12-20T23:59+08:00"}'
    )
    limits: dict[str, dict[str, float]] = Field(
        default_factory=dict, description='JSON {"rnn": {"cpu_time_limit_s": 3, "memory_limit_mib": 512}}'
    )
    log_level: str = "INFO"

    @field_validator("deadlines")
    @classmethod
    def _aware_deadlines(cls, value: dict[str, dt.datetime]) -> dict[str, dt.datetime]:
        return {k: v if v.tzinfo else v.replace(tzinfo=dt.UTC) for k, v in value.items()}

    @model_validator(mode="after")
    def _defaults_and_checks(self) -> Settings:
        if not self.database_url:
            db_file = (self.data_dir / "rnn-grader.db").resolve()
            object.__setattr__(self, "database_url", f"sqlite:///{db_file}")
        if self.admin_token is not None and is_placeholder(self.admin_token.get_secret_value()):
            raise ValueError("RNN_GRADER_ADMIN_TOKEN must be a real token (>= 16 characters) or unset")
        if is_postgres(self.database_url):
            if self.secret is None or is_placeholder(self.secret.get_secret_value()):
                raise ValueError(
                    "RNN_GRADER_SECRET must be set to a real secret (>= 16 characters) when the database is "
                    "PostgreSQL; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
        return self

    @property
    def max_source_bytes(self) -> int:
        return self.max_source_kib * 1024

    @property
    def admin_token_path(self) -> Path:
        return self.data_dir / ADMIN_TOKEN_FILE

    @property
    def secret_path(self) -> Path:
        return self.data_dir / SECRET_FILE


def _read_or_create(path: Path) -> str:
    """A generated value kept in a 0600 file; created atomically so two processes agree on it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text(encoding="utf-8").strip()
        if not value:
            raise ConfigError(f"{path} is empty; delete it to generate a new one") from None
        return value
    value = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    return value


def with_generated_secrets(settings: Settings) -> Settings:
    """Settings with the admin token and the seed secret filled in from (or written to) the data dir."""
    update: dict[str, SecretStr] = {}
    if settings.admin_token is None:
        update["admin_token"] = SecretStr(_read_or_create(settings.admin_token_path))
    if settings.secret is None:
        update["secret"] = SecretStr(_read_or_create(settings.secret_path))
    return settings.model_copy(update=update) if update else settings


@lru_cache
def get_settings() -> Settings:
    return Settings()
