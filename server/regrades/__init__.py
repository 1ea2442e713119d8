"""Regrades without loss: every grading kept, regrade batches with a report, students' regrade requests and
teachers' overrides. See docs/regrades.md."""
