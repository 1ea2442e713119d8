"""What `rnn-grader exercise validate` found: one Check per question asked of the exercise, as text or JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Check:
    """One question asked of the exercise. A skipped check (not applicable here, e.g. no oracle declared, or
    torch not installed) is not a failure; it says why it was skipped."""

    name: str
    ok: bool
    summary: str
    details: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False
    seconds: float = 0.0  # wall time the check took

    @classmethod
    def failed(cls, name: str, summary: str, details: list[str] | None = None, **data: Any) -> Check:
        return cls(name, False, summary, details or [], data)

    @classmethod
    def passed(cls, name: str, summary: str, details: list[str] | None = None, **data: Any) -> Check:
        return cls(name, True, summary, details or [], data)

    @classmethod
    def skip(cls, name: str, why: str) -> Check:
        return cls(name, True, why, skipped=True)


# Failures print every detail; a passed check prints at most this many lines of its numbers.
DETAILS_WHEN_PASSED = 12


@dataclass
class Report:
    exercise: str
    directory: str
    checks: list[Check]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "directory": self.directory, "ok": self.ok,
                "seconds": round(self.seconds, 1), "checks": [asdict(c) for c in self.checks]}

    def text(self) -> str:
        lines = [f"exercise {self.exercise} ({self.directory})"]
        for c in self.checks:
            mark = "SKIP" if c.skipped else "ok  " if c.ok else "FAIL"
            lines.append(f"{mark} {c.name}: {c.summary} [{c.seconds:.1f} s]")
            shown = c.details if not c.ok else c.details[:DETAILS_WHEN_PASSED]
            lines += [f"       {d}" for d in shown]
            if len(shown) < len(c.details):
                lines.append(f"       ... {len(c.details) - len(shown)} more (--json shows them all)")
        failed = [c.name for c in self.checks if not c.ok]
        verdict = "valid" if not failed else f"NOT valid: {', '.join(failed)} failed"
        lines.append(f"{verdict} ({self.seconds:.0f} s)")
        return "\n".join(lines)
