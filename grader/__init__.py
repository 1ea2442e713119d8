"""Grading: sandbox (mechanism) -> steps (run, compare, explain) -> procedure (one exercise) -> grade().

Deliberately empty: the sandbox zygote imports `grader.harness` and must not pull in pydantic or anything
else it does not need. Import from the submodules (grader.grade, grader.result, ...).
"""
