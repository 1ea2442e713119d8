"""The second exercise (`rnn_gradients`, notebook 04) end to end beside the first, on SQLite and PostgreSQL:
submitted through the API (a .py file and a notebook), graded by the real sandboxed grader, its named mistakes
and its chart in the submission JSON and on the student's result page; both exercises side by side with a
total on the teacher's scoreboard, its drill-down, the CSV, JSON and LMS exports; similarity per exercise."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import notebook_bytes, page_sign_in, wait_for
from starlette.testclient import TestClient

from grader.exercise import load_exercises
from reference.gradients_mutants import BY_NAME

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
EX2 = "rnn_gradients"
URL = "/api/v1/submissions"
TITLES = {k: e.spec.title.en for k, e in load_exercises().items()}


@pytest.fixture
def course(grading_client: TestClient, create_student: Callable[..., dict[str, str]]) -> dict[str, Any]:
    """Two students; s1 solves both exercises, s2 submits exercise 02 with one named mistake."""
    students = {sid: {"Authorization": create_student(grading_client, sid, name)["authorization"]}
                for sid, name in (("s1", "Ada"), ("s2", "Bob"))}
    first = (SOLUTIONS / "correct_rnn.py").read_text(encoding="utf-8")
    second = (SOLUTIONS / "correct_rnn_gradients.py").read_text(encoding="utf-8")
    mistake = BY_NAME["truncated.chunks_from_the_end"].variants[0].submission()
    graded = {}
    for key, sid, exercise, source in (("s1-rnn", "s1", "rnn", first), ("s1-ex2", "s1", EX2, second),
                                       ("s2-ex2", "s2", EX2, mistake)):
        response = grading_client.post(f"{URL}?wait=60", json={"exercise": exercise, "source": source},
                                       headers=students[sid])
        assert response.status_code == 200, response.text
        graded[key] = response.json()
    return {"client": grading_client, "students": students, "graded": graded}


def test_the_second_exercise_is_listed_with_its_files(course: dict[str, Any]) -> None:
    client, s1 = course["client"], course["students"]["s1"]
    listed = client.get("/api/v1/exercises", headers=s1).json()
    assert [e["id"] for e in listed] == ["rnn", EX2]
    ex2 = listed[1]
    assert ex2["template_filename"] == "exercise_02_gradients.py"
    assert ex2["examples_filename"] == "rnn_gradients_public_examples.npz"
    assert [p["name"] for p in ex2["parts"]] == ["states", "norms", "bound", "truncated"] and ex2["max_score"] == 100
    zh = client.get(f"/api/v1/exercises/{EX2}", params={"lang": "zh"}, headers=s1).json()
    assert "梯度消失" in zh["title"]
    assert "def truncated_bptt" in client.get(f"/api/v1/exercises/{EX2}/template", headers=s1).text


def test_graded_by_the_sandbox_with_its_named_mistake(course: dict[str, Any], teacher_headers: dict[str, str]) -> None:
    graded = course["graded"]
    right = graded["s1-ex2"]
    assert (right["exercise"], right["status"], right["score"], right["max_score"]) == (EX2, "graded", 100, 100)
    wrong = graded["s2-ex2"]
    assert wrong["status"] == "graded" and wrong["score"] < 100
    truncated = next(p for p in wrong["parts"] if p["name"] == "truncated")
    assert truncated["score"] < truncated["max_score"]
    assert "truncated.chunks_from_the_end" in [m["name"] for m in truncated["mistakes"]]
    assert all(p["score"] == p["max_score"] for p in wrong["parts"] if p["name"] != "truncated")
    layers = course["client"].get(f"{URL}/{wrong['id']}", headers=teacher_headers).json()["sandbox_layers"]
    assert layers.get("seccomp") is True and layers.get("landlock") is True


def test_its_chart_is_drawn_for_the_student(course: dict[str, Any]) -> None:
    client, s2 = course["client"], course["students"]["s2"]
    sid, wrong_score = course["graded"]["s2-ex2"]["id"], course["graded"]["s2-ex2"]["score"]

    def charted() -> bool:
        body = client.get(f"{URL}/{sid}", headers=s2).json()
        return body.get("diagnostics_status") == "done"

    wait_for(charted, 60, "the chart of a failed submission")
    body = client.get(f"{URL}/{sid}", headers=s2).json()
    (chart,) = body["diagnostics"]["charts"]
    assert chart["name"] == "grad_norm_distance" and chart["y_scale"] == "log"
    assert [p["title"]["en"].split(":")[0] for p in chart["panels"]] == ["ρ(W_hh) = 0.8", "ρ(W_hh) = 1.2",
                                                                         "ρ(W_hh) = 1.2"]
    student_curve = chart["panels"][0]["series"][1]["y"]
    # the norms part of this submission is right: its curve is the reference's, to rounding
    assert student_curve == pytest.approx(chart["panels"][0]["series"][0]["y"], rel=1e-9)

    assert page_sign_in(client, s2["Authorization"][7:], "/student").status_code == 303
    page = client.get(f"/student/submissions/{sid}")
    assert page.status_code == 200 and "<svg" in page.text and "T − t" in page.text
    assert BY_NAME["truncated.chunks_from_the_end"].title.en in page.text
    home = client.get("/student").text
    assert re.findall(r'<tr data-exercise="([^"]+)"', home) == ["rnn", EX2]
    row = re.search(rf'<tr data-exercise="{EX2}">.*?</tr>', home, re.S)
    assert row is not None and TITLES[EX2] in row.group(0)
    assert re.findall(r'<td class="num s-[a-z]+">([^<]+)</td>', row.group(0))[0] == f"{wrong_score:g}"
    exercise_page = client.get(f"/student/exercises/{EX2}")
    assert exercise_page.status_code == 200 and TITLES[EX2] in exercise_page.text
    assert client.get(f"/student/exercises/{EX2}/template").text.startswith('"""练习 02')
    assert client.get(f"/student/exercises/{EX2}/examples").content.startswith(b"PK")


def test_a_notebook_for_the_second_exercise(course: dict[str, Any]) -> None:
    client, s1 = course["client"], course["students"]["s1"]
    solution = (SOLUTIONS / "correct_rnn_gradients.py").read_text(encoding="utf-8")
    notebook = notebook_bytes("import numpy as np\nimport matplotlib.pyplot as plt", solution,
                              "norms = grad_norms(np.ones((1, 3)), np.zeros((5, 1, 3)), np.eye(3))\nplt.plot(norms)")
    response = client.post(f"{URL}?wait=60", data={"exercise": EX2},
                           files={"file": ("gradients.ipynb", notebook, "application/octet-stream")}, headers=s1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["score"] == 100 and [c["cell"] for c in body["notebook"]["skipped"]] == [1, 3]


def test_the_scoreboard_shows_both_exercises_side_by_side_with_a_total(
    course: dict[str, Any], teacher_headers: dict[str, str]
) -> None:
    client = course["client"]
    wrong = course["graded"]["s2-ex2"]["score"]
    board = client.get("/api/v1/scoreboard", headers=teacher_headers).json()
    assert [(r["student_id"], r["scores"], r["total"]) for r in board] == [
        ("s1", {"rnn": 100.0, EX2: 100.0}, 200.0), ("s2", {"rnn": None, EX2: wrong}, wrong)]
    rows = list(csv.reader(io.StringIO(client.get("/api/v1/scoreboard.csv", headers=teacher_headers)
                                       .content.decode("utf-8-sig"))))
    assert rows[0] == ["student_id", "name", "rnn", EX2, "total", "late"]
    assert rows[1] == ["s1", "Ada", "100", "100", "200", "no"] and rows[2][2:4] == ["", f"{wrong:g}"]
    canvas = list(csv.reader(io.StringIO(client.get("/api/v1/scoreboard.csv", params={"format": "canvas"},
                                                    headers=teacher_headers).content.decode("utf-8-sig"))))
    assert canvas[0][-2:] == ["rnn", EX2] and canvas[1][-2:] == ["100", "100"]
    moodle = list(csv.reader(io.StringIO(client.get("/api/v1/scoreboard.csv", params={"format": "moodle"},
                                                    headers=teacher_headers).content.decode("utf-8-sig"))))
    assert moodle[0][-2:] == ["rnn", EX2] and moodle[1][-2:] == ["100", "100"]

    assert page_sign_in(client, teacher_headers["Authorization"][7:]).status_code == 303
    page = client.get("/scoreboard")
    assert page.status_code == 200
    header = page.text[page.text.index("<thead"):page.text.index("</thead>")]
    groups = re.findall(r'<th scope="colgroup" colspan="\d+" class="group">([^<]+)</th>', header)
    assert groups == [TITLES[e] for e in ("rnn", EX2)]
    assert f'data-sort="{EX2}:part:truncated"' in header and 'data-sort="total"' in header
    row = re.search(r'<tr data-student="s1".*?</tr>', page.text, re.S)
    assert row is not None
    assert re.findall(r'<td class="num score[^"]*">([^<]*)</td>', row.group(0)) == ["100", "100"]
    assert re.findall(r'<td class="num total">([^<]*)</td>', row.group(0)) == ["200"]
    exported = client.get("/scoreboard/export.json").json()
    assert exported == board
    drill = client.get("/scoreboard/students/s2")
    assert drill.status_code == 200 and EX2 in drill.text
    assert BY_NAME["truncated.chunks_from_the_end"].title.en in drill.text


def test_similarity_is_per_exercise(course: dict[str, Any], teacher_headers: dict[str, str]) -> None:
    client = course["client"]

    def ready() -> bool:
        return client.get(f"/api/v1/similarity/{EX2}", headers=teacher_headers).status_code == 200

    wait_for(ready, 60, "the similarity report of exercise 02")
    pairs = client.get(f"/api/v1/similarity/{EX2}", params={"min": 0}, headers=teacher_headers).json()
    # the two counted submissions of exercise 02, and only those (s2 has none of exercise 01)
    assert [(p["student_a"], p["student_b"]) for p in pairs] == [("s1", "s2")]
    ids = {course["graded"]["s1-ex2"]["id"], course["graded"]["s2-ex2"]["id"]}
    assert {pairs[0]["submission_a"], pairs[0]["submission_b"]} == ids
