"""Grading: sandbox (mechanism) -> steps (run, compare, explain) -> procedure (one exercise) -> grade()."""

from grader.result import Outcome, PartResult, Result, TestResult

__all__ = ["Outcome", "PartResult", "Result", "TestResult"]
