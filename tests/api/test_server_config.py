"""Settings: defaults, generated secrets (0600), PostgreSQL refuses placeholder secrets, env parsing."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from server.bootstrap import describe
from server.config import Settings, with_generated_secrets
from server.security import submission_seed

PG = "postgresql+psycopg://u@db/x"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("RNN_GRADER_") and key != "RNN_GRADER_TEST_DATABASE_URL":
            monkeypatch.delenv(key)


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.database_url == f"sqlite:///{tmp_path / 'data' / 'rnn-grader.db'}"
    assert (s.host, s.port, s.workers, s.queue) == ("127.0.0.1", 8000, 2, "inprocess")
    assert (s.rate_limit_per_minute, s.score_policy, s.max_source_kib) == (10, "best", 64)
    assert s.admin_token is None and s.secret is None


def test_generated_token_and_secret_are_kept_0600(tmp_path: Path) -> None:
    s = with_generated_secrets(Settings(data_dir=tmp_path / "d"))
    assert s.admin_token is not None and s.secret is not None
    for path in (s.admin_token_path, s.secret_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert s.admin_token_path.read_text().strip() == s.admin_token.get_secret_value()
    again = with_generated_secrets(Settings(data_dir=tmp_path / "d"))
    assert again.admin_token == s.admin_token and again.secret == s.secret  # stable across restarts
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700
    lines = "\n".join(describe(Settings(data_dir=tmp_path / "d"), s))
    assert str(s.admin_token_path.resolve()) in lines
    assert s.admin_token.get_secret_value() not in lines and s.secret.get_secret_value() not in lines


def test_configured_token_is_used_and_never_written(tmp_path: Path) -> None:
    s = with_generated_secrets(Settings(data_dir=tmp_path, admin_token="a-real-teacher-token-123456"))
    assert s.admin_token is not None and s.admin_token.get_secret_value() == "a-real-teacher-token-123456"
    assert not s.admin_token_path.exists()


@pytest.mark.parametrize("secret", [None, "", "change-me", "secret", "short", "${RNN_GRADER_SECRET}"])
def test_postgres_refuses_missing_or_placeholder_secret(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="RNN_GRADER_SECRET"):
        Settings(database_url=PG, secret=secret)


def test_worker_and_migrate_need_no_secret_on_postgres(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """They derive no seed (a worker reads each submission's stored seed) and serve no request: a grader
    container gets neither secret, and nothing is generated for it (docs/deployment.md)."""
    from server.bootstrap import load_settings_without_secrets
    from server.config import SettingsWithoutSecrets

    settings = SettingsWithoutSecrets(database_url=PG, data_dir=tmp_path)
    assert settings.secret is None and settings.admin_token is None
    with pytest.raises(ValidationError, match="RNN_GRADER_SECRET"):  # a placeholder is still refused
        SettingsWithoutSecrets(database_url=PG, secret="change-me")
    monkeypatch.setenv("RNN_GRADER_DATABASE_URL", PG)
    monkeypatch.setenv("RNN_GRADER_DATA_DIR", str(tmp_path / "d"))
    loaded = load_settings_without_secrets()
    assert loaded.secret is None and loaded.admin_token is None and not (tmp_path / "d").exists()
    with pytest.raises(ValidationError, match="RNN_GRADER_SECRET"):  # the API still needs it
        Settings()


def test_postgres_accepts_a_real_secret() -> None:
    assert Settings(database_url=PG, secret="k3J9-a-real-secret-value-xyz").database_url == PG


def test_placeholder_admin_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="ADMIN_TOKEN"):
        Settings(admin_token="admin")


def test_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RNN_GRADER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RNN_GRADER_PORT", "9001")
    monkeypatch.setenv("RNN_GRADER_WORKERS", "0")
    monkeypatch.setenv("RNN_GRADER_SCORE_POLICY", "latest")
    monkeypatch.setenv("RNN_GRADER_DEADLINES", '{"rnn": "2026-12-20T23:59:00+08:00", "x": "2026-01-01T00:00:00"}')
    monkeypatch.setenv("RNN_GRADER_LIMITS", '{"rnn": {"cpu_time_limit_s": 3}}')
    s = Settings()
    assert (s.port, s.workers, s.score_policy) == (9001, 0, "latest")
    assert s.deadlines["rnn"] == dt.datetime(2026, 12, 20, 15, 59, tzinfo=dt.UTC)
    assert s.deadlines["x"].tzinfo is not None  # naive means UTC
    assert s.limits == {"rnn": {"cpu_time_limit_s": 3.0}}
    monkeypatch.setenv("RNN_GRADER_SCORE_POLICY", "worst")
    with pytest.raises(ValidationError):
        Settings()


def test_unknown_limit_is_a_config_error(real_exercises: dict[str, object]) -> None:
    from server.catalog import build_catalog
    from server.config import ConfigError

    with pytest.raises(ConfigError, match="unknown limits"):
        build_catalog(real_exercises, Settings(limits={"rnn": {"cpu_seconds": 3}}))  # type: ignore[arg-type]


def test_seed_is_a_stable_63_bit_hmac() -> None:
    a = submission_seed("secret-one-0123456789", 1)
    assert a == submission_seed("secret-one-0123456789", 1)
    assert a != submission_seed("secret-one-0123456789", 2)
    assert a != submission_seed("secret-two-0123456789", 1)
    assert 0 <= a < 2**63
