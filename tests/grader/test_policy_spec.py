"""grader.policy: the late penalty arithmetic, and [late_policy] / max_submissions / [visibility] in spec.toml."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from grader.exercise import SpecError, load_spec
from grader.policy import (
    LatePolicy,
    PartVisibility,
    Visibility,
    VisibilityPolicy,
    counted_score,
    parse_late_policy,
    parse_visibility,
)

TINY_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "tiny"
D = dt.datetime(2026, 12, 20, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("after", "late", "penalty"),
    [
        (dt.timedelta(0), False, 0.0),
        (dt.timedelta(minutes=5), False, 0.0),
        (dt.timedelta(minutes=5, seconds=1), True, 0.15),
        (dt.timedelta(days=1, minutes=5), True, 0.15),
        (dt.timedelta(days=1, minutes=5, microseconds=1), True, 0.3),
        (dt.timedelta(days=40), True, 0.4),
    ],
)
def test_penalty_per_started_day_after_grace_with_cap(after: dt.timedelta, late: bool, penalty: float) -> None:
    policy = LatePolicy(grace_minutes=5, penalty_per_day=0.15, max_penalty=0.4)
    assert policy.is_late(D, D + after) is late
    assert policy.penalty(D, D + after) == pytest.approx(penalty)


def test_cutoff_and_no_deadline() -> None:
    policy = LatePolicy(cutoff_days=1.5)
    assert not policy.refuses(D, D + dt.timedelta(days=1.5))
    assert policy.refuses(D, D + dt.timedelta(days=1.5, seconds=1))
    assert not LatePolicy().refuses(D, D + dt.timedelta(days=10_000))
    assert not policy.refuses(None, D) and not policy.is_late(None, D) and policy.penalty(None, D) == 0.0


def test_counted_score() -> None:
    assert counted_score(87.5, 0.0) == 87.5
    assert counted_score(80.0, 0.25) == 60.0


def test_overrides_keep_unnamed_keys() -> None:
    base = LatePolicy(grace_minutes=10, penalty_per_day=0.1, max_penalty=0.5, cutoff_days=7)
    assert parse_late_policy({"penalty_per_day": 0.2}, base) == LatePolicy(10, 0.2, 0.5, 7)
    assert parse_late_policy({"cutoff_days": None}, base).cutoff_days is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"max_penalty": 2}, "max_penalty must be between 0 and 1"),
        ({"grace_minutes": "ten"}, "grace_minutes must be a number"),
        ({"grace_minutes": True}, "grace_minutes must be a number"),
        ({"penalty": 0.1}, "unknown late policy keys"),
    ],
)
def test_bad_late_policy(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_late_policy(data)


def test_visibility_default_and_parts() -> None:
    policy = parse_visibility({"before_deadline": "summary", "parts": {"b": {"after_deadline": "score_only"}}},
                              ("a", "b"))
    assert policy.for_part("a") == PartVisibility(Visibility.summary, Visibility.full)
    assert policy.for_part("b") == PartVisibility(Visibility.summary, Visibility.score_only)
    assert not policy.is_full and VisibilityPolicy().is_full
    # An override on top keeps the base's per-part entry.
    again = parse_visibility({"after_deadline": "summary"}, ("a", "b"), policy)
    assert again.for_part("a").after_deadline is Visibility.summary
    assert again.for_part("b") == PartVisibility(Visibility.summary, Visibility.score_only)


def _spec_with(tmp_path: Path, extra: str, top: str = "") -> Path:
    """The tiny spec with `top` among its top-level keys and the `extra` tables before its parts."""
    directory = tmp_path / "tiny"
    shutil.copytree(TINY_DIR, directory)
    spec = directory / "spec.toml"
    text = spec.read_text(encoding="utf-8")
    head, sep, parts = text.partition("[[parts]]")
    first, limits, rest = head.partition("[limits]")
    spec.write_text(first + top + "\n" + limits + rest + extra + "\n" + sep + parts, encoding="utf-8")
    return directory


def test_spec_policies_are_parsed(tmp_path: Path) -> None:
    directory = _spec_with(tmp_path, top="max_submissions = 5", extra="""
[late_policy]
grace_minutes = 15
penalty_per_day = 0.2
max_penalty = 0.6
cutoff_days = 4

[visibility]
before_deadline = "score_only"
parts = { scale = { before_deadline = "summary" } }
""")
    spec = load_spec(directory)
    assert spec.max_submissions == 5
    assert spec.late_policy == LatePolicy(15, 0.2, 0.6, 4)
    assert spec.visibility.for_part("scale") == PartVisibility(Visibility.summary, Visibility.full)


def test_spec_without_policies_keeps_todays_behaviour() -> None:
    spec = load_spec(TINY_DIR)
    assert spec.max_submissions is None and spec.late_policy == LatePolicy() and spec.visibility.is_full


@pytest.mark.parametrize(
    ("extra", "top", "message"),
    [
        ("", "max_submissions = 0", "max_submissions"),
        ("[late_policy]\npenalty_per_day = -0.1", "", "penalty_per_day"),
        ("[visibility]\nbefore_deadline = \"nothing\"", "", "before_deadline"),
        ("[visibility]\nparts = { other = { before_deadline = \"summary\" } }", "", "unknown parts"),
    ],
)
def test_bad_spec_policies_are_spec_errors(tmp_path: Path, extra: str, top: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_spec(_spec_with(tmp_path, extra, top))
