"""The teacher's web pages (scoreboard, drill-down, exports, optional leaderboard), the student's pages
(/student: exercises, submitting, results, history) and results.json.

`install(app, api_prefix)` adds them to the FastAPI app: the pages and /static outside the API, the
Gradescope-style results.json under the API prefix. See docs/scoreboard.md.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from server.web import gradescope, regrade_pages, routes, signin, similarity, student_routes


def install(app: FastAPI, api_prefix: str) -> None:
    app.include_router(gradescope.router, prefix=api_prefix)
    app.include_router(signin.router)
    app.include_router(routes.router)
    app.include_router(similarity.router)
    app.include_router(student_routes.router)
    app.include_router(regrade_pages.router)
    app.mount("/static", StaticFiles(directory=routes.STATIC_DIR), name="static")
