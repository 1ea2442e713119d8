"""Every setting is in README.md's settings table (a row naming RNN_GRADER_<FIELD>)."""

from __future__ import annotations

from pathlib import Path

from server.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_has_a_row_in_the_readme_table() -> None:
    rows = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `RNN_GRADER_")]
    missing = [name for name in (f"RNN_GRADER_{field.upper()}" for field in Settings.model_fields)
               if not any(f"`{name}`" in row for row in rows)]
    assert not missing, f"add these to README.md's settings table: {missing}"
