"""The one Settings class (prefix RNN_GRADER_), read through the cached get_settings().

The embedded default needs no configuration: the bootstrap teacher token and the seed secret are generated
on first start and kept (mode 0600) in the data directory. On PostgreSQL (a deployment) a missing or
placeholder seed secret is refused, because every host must derive the same hidden cases from it. Browser
sessions need no secret: they are random ids kept server-side (server.auth.sessions).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from grader.exercise import DEFAULT_EXERCISES_DIR
from grader.times import known_zone

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
    # env_ignore_empty: compose passes an unset optional setting as "" (`${VAR:-}`): that means "default".
    model_config = SettingsConfigDict(env_prefix="RNN_GRADER_", extra="ignore", frozen=True, env_ignore_empty=True)
    # Whether this process derives hidden-case seeds from the seed secret (the API does, for each new
    # submission); a grading worker reads the seed stored in the row it claims (SettingsWithoutSecrets).
    needs_seed_secret: ClassVar[bool] = True

    data_dir: Path = Field(default=Path("data"), description="Where the SQLite file, token and secret live.")
    database_url: str = Field(default="", description="SQLAlchemy URL; default sqlite:///<data_dir>/rnn-grader.db")
    # `rnn-grader migrate` on PostgreSQL, for the database roles of a deployment (server.database_roles).
    database_admin_url: SecretStr | None = Field(
        default=None,
        description="A superuser's URL of the same database: migrate first creates or updates the login roles "
        "of DATABASE_URL (the owner), GRADER_DATABASE_URL and BACKUP_DATABASE_URL and hands the database to the "
        "first.",
    )
    grader_database_url: SecretStr | None = Field(
        default=None,
        description="The graders' URL: after migrating, its role is granted what grading needs, nothing else.",
    )
    backup_database_url: SecretStr | None = Field(
        default=None,
        description="The backup job's URL: after migrating, its role may read every table and change nothing.",
    )
    admin_token: SecretStr | None = Field(default=None, description="Teacher bearer token; generated if unset.")
    secret: SecretStr | None = Field(default=None, description="Seed secret; generated if unset (SQLite only).")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=2, ge=0, le=64, description="Grading workers started by the server; 0 = none.")
    grading_nice: int = Field(
        default=10, ge=0, le=19,
        description="Grading processes (`rnn-grader worker`, the server's own worker processes) and their sandbox "
        "children run this much below the API's CPU priority (nice), so a backlog waits and requests do not.",
    )
    worker_processes: bool = Field(
        default=True,
        description="inprocess queue: the server's grading workers are processes it starts and supervises "
        "(the API process only serves HTTP); false: threads of the API process.",
    )
    queue: Literal["inprocess", "procrastinate"] = Field(
        default="inprocess",
        description="inprocess: grading threads poll the database; procrastinate: jobs on PostgreSQL for "
        "`rnn-grader worker` processes on any host (docs/deployment.md).",
    )
    rate_limit_per_minute: int = Field(default=10, ge=0, description="Submissions per student per minute; 0 = off.")
    auth_failures_free: int = Field(
        default=20, ge=0,
        description="Unknown tokens (sign-in forms and API bearer tokens) one client address may send before "
        "each further one makes it wait 1 s, 2 s, 4 s, ... (429 + Retry-After); 0 = no limit.",
    )
    auth_failure_window_s: float = Field(
        default=900.0, gt=0, description="An address's failures are forgotten after this long without one."
    )
    auth_backoff_max_s: float = Field(default=900.0, gt=0, description="The longest an address is made to wait.")
    regrade_requests_per_day: int = Field(
        default=5, ge=0,
        description="Regrade requests one student may send in any 24 hours (429 beyond); 0 = no cap. A submission "
        "has at most one open request either way.",
    )
    max_queued_requests: int = Field(
        default=200, ge=0,
        description="When more requests than this wait for a request thread, a new one is answered at once with "
        "503 Overloaded and Retry-After (0: never refuse).",
    )
    waits_per_principal: int = Field(
        default=4, ge=0, le=1000,
        description="`?wait=` requests one student or staff member may have waiting at once, per API process; "
        "over that the current status is answered at once (0: never wait).",
    )
    score_policy: Literal["best", "latest"] = "best"
    lease_seconds: float = Field(default=30.0, gt=0, description="How long a claim lasts without a heartbeat.")
    max_attempts: int = Field(default=3, ge=1, description="Grading attempts before a submission is failed.")
    sweep_seconds: float = Field(default=5.0, gt=0, description="How often stale claims are re-queued.")
    max_source_kib: int = Field(default=64, ge=1, le=4096)
    max_notebook_kib: int = Field(
        default=2048, ge=1, le=65536,
        description="Largest accepted .ipynb upload (outputs and images included); its extracted source must "
        "still fit MAX_SOURCE_KIB.",
    )
    client_dir: Path | None = Field(
        default=None,
        description="The repository's client/ folder, from which the student client wheel is built "
        "(default: next to the installed server package).",
    )
    exercises_dir: Path = DEFAULT_EXERCISES_DIR
    deadlines: dict[str, dt.datetime] = Field(
        default_factory=dict, description='JSON {"<exercise id>": "2026-12-20T23:59+08:00"}'
    )
    limits: dict[str, dict[str, float]] = Field(
        default_factory=dict, description='JSON {"<exercise id>": {"cpu_time_limit_s": 3, "memory_limit_mib": 512}}'
    )
    # Teachers' policies per exercise (docs/policies.md); each overrides the spec's keys it names and is
    # checked at start-up by server.catalog (a bad value is a ConfigError: exit 2).
    late_policy: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='JSON {"<exercise id>": {"grace_minutes": 10, "penalty_per_day": 0.1, "max_penalty": 0.5, '
        '"cutoff_days": 7}}',
    )
    max_submissions: dict[str, int | None] = Field(
        default_factory=dict, description='JSON {"<exercise id>": 20}: submissions per student; null = no cap'
    )
    visibility: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='JSON {"<exercise id>": {"before_deadline": "summary", "parts": {"<part>": {"before_deadline": '
        '"score_only"}}}}',
    )
    hints: dict[str, Any] = Field(
        default_factory=dict,
        description='JSON {"<exercise id>": {"hints": "progressive", "hint_repeats": 2}} or {"<exercise id>": "all"}: '
        "how a repeated mistake's hint grows (progressive | all | first; docs/feedback.md)",
    )
    timezone: str = Field(
        default="UTC",
        description="The course's time zone (an IANA name, e.g. Asia/Shanghai): the pages, the CLI, reports and "
        "refusals show every time in it, with its UTC offset and relative to now (grader.times); JSON keeps "
        "ISO 8601 with offsets.",
    )
    log_level: str = "INFO"
    cookie_secure: Literal["auto", "always"] = Field(
        default="auto",
        description="auto: session cookies are Secure when the request came over HTTPS (behind a proxy: as its "
        "trusted forwarded headers say); always: Secure on every response (a site served only over HTTPS).",
    )
    body_idle_timeout_s: float = Field(
        default=20.0, gt=0, le=600,
        description="A request body with no byte for this long gets 408; so does one that has been arriving for "
        "longer than this at under BODY_MIN_RATE_BYTES_S on average (server.ingress.guard).",
    )
    body_min_rate_bytes_s: int = Field(default=1024, ge=0, description="The slowest accepted body, on average.")
    forwarded_allow_ips: str | None = Field(
        default=None,
        description="`serve`: comma-separated addresses (or *) of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto uvicorn trusts (client address and scheme); default: uvicorn's (127.0.0.1).",
    )
    public_leaderboard: bool = Field(
        default=False, description="Serve /leaderboard: pseudonymous best scores for students, no login."
    )
    metrics_bind: str | None = Field(
        default=None, pattern=r"^(\[[0-9A-Fa-f:.]+\]|[^:\[\]\s]+):\d{1,5}$",
        description="`serve`: host:port of a listener of its own for Prometheus /metrics, without a token (e.g. "
        "127.0.0.1:9100, or 0.0.0.0:9100 on a private network; port 0: any free one). The public API port's "
        "/metrics needs a staff token either way.",
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="`rnn-grader worker`: serve Prometheus /metrics on this port."
    )
    # Automatic backups of the embedded default (server/backup/, docs/operations.md).
    backup_interval: dt.timedelta = Field(
        default=dt.timedelta(days=1),
        description="SQLite: the server backs the database up this often (1d, 6h, 30m, seconds, or ISO 8601); "
        "0 or off = never.",
    )
    backup_keep: int = Field(default=14, ge=1, description="Automatic backups kept; the oldest go first.")
    backup_dir: Path | None = Field(
        default=None, description="Where automatic backups go (default <data_dir>/backups); best on another disk."
    )
    sandbox_required: str | None = Field(
        default=None,
        description="Comma-separated sandbox layers without which grading refuses to run; default: the "
        "sandbox's own list (rlimits, no_new_privs, seccomp, landlock).",
    )

    @field_validator("backup_interval", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("off", "never"):
                return dt.timedelta(0)
            if text.replace(".", "", 1).isdigit():
                return dt.timedelta(seconds=float(text))
            unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:])
            if unit is not None and text[:-1].replace(".", "", 1).isdigit():
                return dt.timedelta(seconds=float(text[:-1]) * unit)
        return value

    @field_validator("backup_interval")
    @classmethod
    def _no_negative_interval(cls, value: dt.timedelta) -> dt.timedelta:
        if value < dt.timedelta(0):
            raise ValueError("RNN_GRADER_BACKUP_INTERVAL cannot be negative")
        return value
    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if not known_zone(value):
            raise ValueError(f"RNN_GRADER_TIMEZONE: unknown time zone {value!r} (an IANA name such as Asia/Shanghai)")
        return value.strip() or "UTC"

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
        if self.metrics_address is not None and self.metrics_address[1] > 65535:
            raise ValueError("RNN_GRADER_METRICS_BIND: the port must be 0-65535")
        if self.queue == "procrastinate" and not is_postgres(self.database_url):
            raise ValueError("RNN_GRADER_QUEUE=procrastinate needs a PostgreSQL RNN_GRADER_DATABASE_URL")
        if is_postgres(self.database_url) and (self.secret is not None or self.needs_seed_secret):
            if self.secret is None or is_placeholder(self.secret.get_secret_value()):
                raise ValueError(
                    "RNN_GRADER_SECRET must be set to a real secret (>= 16 characters) when the database is "
                    "PostgreSQL; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
        return self

    @property
    def metrics_address(self) -> tuple[str, int] | None:
        """RNN_GRADER_METRICS_BIND as (host, port); an IPv6 host without its brackets."""
        if self.metrics_bind is None:
            return None
        host, _, port = self.metrics_bind.rpartition(":")
        return host.removeprefix("[").removesuffix("]"), int(port)

    @property
    def sandbox_required_layers(self) -> tuple[str, ...] | None:
        if self.sandbox_required is None:
            return None
        return tuple(name.strip() for name in self.sandbox_required.split(",") if name.strip())

    @property
    def max_source_bytes(self) -> int:
        return self.max_source_kib * 1024

    @property
    def max_notebook_bytes(self) -> int:
        return self.max_notebook_kib * 1024

    @property
    def admin_token_path(self) -> Path:
        return self.data_dir / ADMIN_TOKEN_FILE

    @property
    def secret_path(self) -> Path:
        return self.data_dir / SECRET_FILE

    @property
    def backups_path(self) -> Path:
        return self.backup_dir if self.backup_dir is not None else self.data_dir / "backups"


class SettingsWithoutSecrets(Settings):
    """`rnn-grader worker` (grades with the seed stored in each claimed row) and `rnn-grader migrate`: they
    serve no request and derive no seed, so they need neither the seed secret nor the teacher token, and
    generate neither (docs/deployment.md: the grader containers, which run student code, hold no secret of
    the course)."""

    needs_seed_secret: ClassVar[bool] = False


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
