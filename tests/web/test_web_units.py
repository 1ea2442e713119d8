"""Small pieces of the teacher's pages without a server: the UI catalogue, the SVG writer, the chart
sanitizer, time buckets, pseudonyms, sorting rules and the misconception catalogue hook."""

from __future__ import annotations

import datetime as dt
import re
import string
import types
import xml.etree.ElementTree as ET

import pytest

from server.web import svg
from server.web.board import Cell, Row, TableQuery, parse_query, select_rows, time_buckets
from server.web.charts import misconception_titles
from server.web.i18n import LANGS, MESSAGES, t
from server.web.leaderboard import pseudonym
from server.web.result_charts import draw, result_charts, safe_svg

UTC = dt.UTC


def test_every_ui_string_has_english_and_chinese_with_the_same_placeholders() -> None:
    fields = string.Formatter()
    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGS), key
        assert all(texts[lang].strip() for lang in LANGS), key
        names = [{f for _, f, _, _ in fields.parse(texts[lang]) if f} for lang in LANGS]
        assert names[0] == names[1], key
    assert t("showing", "zh", first=1, last=2, total=3) == "第 1–2 条，共 3 条"
    assert t("showing", "fr", first=1, last=2, total=3) == "1–2 of 3"  # unknown language: English


def test_templates_use_only_catalogued_keys() -> None:
    from pathlib import Path

    used = set()
    for path in (Path(__file__).resolve().parents[2] / "server" / "web" / "templates").glob("*.html"):
        used |= set(re.findall(r"_\('([a-z_]+)'[,)]", path.read_text()))
    assert used and used <= set(MESSAGES), used - set(MESSAGES)
    # keys built from a value: every value has its message
    from grader.result import Outcome
    from server.models import SubmissionStatus

    built = {f"status_{s.value}" for s in SubmissionStatus} | {f"outcome_{o.value}" for o in Outcome}
    assert built | {"policy_best", "policy_latest"} <= set(MESSAGES)


def _parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")
    return root


def test_svg_charts_are_well_formed_and_escape_their_text() -> None:
    hostile = '<script>alert("x")</script> & "quotes"'
    bars = [svg.Bar(hostile, 3), svg.Bar("b", 0), svg.Bar("c", 12.5)]
    for markup in (svg.histogram(bars, hostile, x_title="x", y_title="y"), svg.hbars(bars, hostile, total=20),
                   svg.meter(3, 1, 5), svg.histogram([], "empty"), svg.hbars([], "none")):
        root = _parse(markup)
        assert "<script" not in str(markup)
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
    hist = _parse(svg.histogram(bars, "h"))
    assert len(hist.findall("{http://www.w3.org/2000/svg}rect")) == 3
    t0 = dt.datetime(2026, 3, 1, tzinfo=UTC)
    buckets = [(t0 + dt.timedelta(hours=k), t0 + dt.timedelta(hours=k + 1), k % 4) for k in range(10)]
    line = str(svg.timeline(buckets, "t", deadline=t0 + dt.timedelta(hours=8), deadline_label="due <now>"))
    _parse(line)
    assert "due &lt;now&gt; 03-01 08:00 UTC" in line and svg.RED in line
    # In the course's zone: the axis, the tips and the deadline read as the teacher's clock, with the offset.
    shanghai = dt.timezone(dt.timedelta(hours=8))
    local = str(svg.timeline(buckets, "t", deadline=t0 + dt.timedelta(hours=8), deadline_label="due", zone=shanghai))
    assert "due 03-01 16:00 UTC+08:00" in local and "2026-03-01 08:00 UTC+08:00: 0" in local
    assert ">03-01 08:00<" in local and ">03-01 00:00<" not in local
    outside = str(svg.timeline(buckets, "t", deadline=t0 + dt.timedelta(days=30)))
    assert "stroke-dasharray" not in outside  # a deadline outside the drawn range is not drawn
    _parse(svg.timeline([], "nothing"))


def test_count_axes_have_whole_round_steps() -> None:
    assert [svg.count_axis(v) for v in (0, 1, 3, 7, 11, 240, 999)] == [
        (1, 1), (1, 1), (3, 1), (8, 2), (15, 5), (250, 50), (1000, 200)]


REFERENCE_LIKE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="770" height="330" viewBox="0 0 770 330" font-family="sans-serif"'
    ' role="img" aria-label="‖∂L/∂h_t‖ over t">\n<title>‖∂L/∂h_t‖ — L</title>\n<rect width="770" height="330"'
    ' fill="white"/>\n<text x="1" y="2" transform="rotate(-90 1 2)">it&#39;s 10⁻³</text>\n'
    '<polyline points="1,2 3,4" fill="none" stroke="#1f77b4" stroke-dasharray="6 4"/>\n<circle cx="1" cy="2" r="3"/>'
    "\n</svg>"
)


@pytest.mark.parametrize("bad", [
    None, 42, "", "<div>not svg</div>", REFERENCE_LIKE[:-6],
    '<svg><script>alert(1)</script></svg>',
    '<svg><SCRIPT >alert(1)</SCRIPT></svg>',
    '<svg onload="alert(1)"></svg>',
    '<svg><rect ONCLICK = "x()"/></svg>',
    '<svg><a href="javascript:alert(1)"><text>x</text></a></svg>',
    '<svg><use xlink:href="#x"/></svg>',
    '<svg><image href="https://evil.example/x.png"/></svg>',
    '<svg><foreignObject><div/></foreignObject></svg>',
    '<svg><style>@import url(x)</style></svg>',
    '<svg><rect fill="url(https://evil.example/#p)"/></svg>',
    '<!DOCTYPE svg [<!ENTITY x "y">]><svg></svg>',
    '<svg><animate attributeName="href" to="javascript:alert(1)"/></svg>',
    "<svg>" + "x" * 300_000 + "</svg>",
])
def test_a_stored_drawing_is_embedded_only_when_plainly_a_drawing(bad: object) -> None:
    assert safe_svg(bad) is None


def test_the_reference_chart_passes_the_sanitizer() -> None:
    assert safe_svg(REFERENCE_LIKE) == REFERENCE_LIKE
    from reference import rnn_chart as chart
    steps = len(chart.STEPS)
    outputs = [None] * len(chart.chart_cases())
    data = chart.chart(outputs, outputs, chart.chart_cases()).charts[0]
    for panel in data.panels:
        panel.series[0].y = [1e-3 * (k + 1) for k in range(steps)]
    for lang in LANGS:
        assert safe_svg(str(draw(data, lang).picture)) is not None


def test_charts_are_drawn_from_data_in_the_readers_language_and_bad_data_is_refused() -> None:
    chart = {
        "name": "c1", "title": {"en": "Loss", "zh": "损失"}, "x_label": {"en": "step", "zh": "步"},
        "y_label": {"en": "value", "zh": "数值"}, "x": [0, 1, 2], "y_scale": "linear",
        "panels": [{"title": {"en": "left", "zh": "左"}, "series": [
            {"label": {"en": "reference", "zh": "参考"}, "role": "reference", "y": [1.0, 2.0, 3.0]},
            {"label": {"en": "yours", "zh": "你的"}, "role": "student", "y": [1.0, None, 2.5]}]}],
    }
    drawn, refused = result_charts({"charts": [chart]}, "zh")
    assert not refused and [d.name for d in drawn] == ["c1"] and drawn[0].caption == "损失"
    picture = str(drawn[0].picture)
    ET.fromstring(picture)
    assert "参考" in picture and "你的" in picture and "reference" not in picture
    assert picture.count("<polyline") == 1  # the student's curve has a gap: two single points, no line
    assert safe_svg(picture) is not None
    bad = {**chart, "panels": [{"title": {"en": "x", "zh": "x"}, "series": [{"label": "?", "y": ["a"]}]}]}
    assert result_charts({"charts": [bad]}, "en") == ([], True)
    assert result_charts({"charts": [{**chart, "name": "<script>"}]}, "en") == ([], True)
    legacy, refused = result_charts({"old_chart_svg": REFERENCE_LIKE, "other_chart_svg": "<svg onload=x></svg>"}, "en")
    assert [d.name for d in legacy] == ["old"] and refused


def test_time_buckets_pick_a_round_width_and_keep_the_deadline_in_view() -> None:
    t0 = dt.datetime(2026, 3, 1, 5, tzinfo=UTC)
    hourly = [(t0 + dt.timedelta(hours=h), 1) for h in range(0, 10)]
    width, buckets = time_buckets(hourly, None)
    assert width == 1 and len(buckets) == 10 and sum(c for *_x, c in buckets) == 10
    assert buckets[0][0] == t0 and buckets[-1][1] == t0 + dt.timedelta(hours=10)
    long = [(t0 + dt.timedelta(hours=h), 2) for h in range(0, 24 * 20, 5)]
    width, buckets = time_buckets(long, t0 + dt.timedelta(days=21))
    assert width == 12 and len(buckets) <= 48 and sum(c for *_x, c in buckets) == 2 * len(long)
    assert buckets[-1][1] > t0 + dt.timedelta(days=21) >= buckets[-1][0]  # the deadline is inside the range
    far = time_buckets(hourly, t0 + dt.timedelta(days=60))[1]
    assert far[-1][1] == t0 + dt.timedelta(hours=10)  # a deadline weeks away does not squash the data
    assert time_buckets([], t0) == (1, [])


def test_pseudonyms_are_stable_secret_and_well_formed() -> None:
    a = pseudonym("secret-one-0123456789", "s1")
    assert re.fullmatch(r"Student-[0-9A-F]{6}", a)
    assert a == pseudonym("secret-one-0123456789", "s1")
    assert a != pseudonym("secret-two-0123456789", "s1") and a != pseudonym("secret-one-0123456789", "s2")


def _row(sid: str, name: str, score: float | None) -> Row:
    cell = Cell(score=score, parts={"forward": score} if score is not None else {})
    return Row(sid, name, {"rnn": cell}, score or 0.0, False)


def test_missing_values_sort_last_both_ways_and_pages_clamp() -> None:
    rows = [_row("b", "Bo", None), _row("a", "Ada", 5.0), _row("c", "cy", 9.0), _row("d", "Dee", 5.0)]
    asc = select_rows(rows, TableQuery(sort="rnn:score"))
    desc = select_rows(rows, TableQuery(sort="rnn:score", desc=True))
    assert [r.student_id for r in asc.rows] == ["a", "d", "c", "b"]  # ties by id
    assert [r.student_id for r in desc.rows] == ["c", "a", "d", "b"]
    assert [r.student_id for r in select_rows(rows, TableQuery(sort="name")).rows] == ["a", "b", "c", "d"]
    page = select_rows(rows, TableQuery(page=9, per_page=25))
    assert page.page == 1 and page.pages == 1 and (page.first, page.last, page.total) == (1, 4, 4)
    none = select_rows(rows, TableQuery(q="zzz"))
    assert (none.rows, none.first, none.last, none.total) == ([], 0, 0, 0)
    keys = {"id", "name", "rnn:score"}
    assert parse_query({"sort": "rnn:score", "dir": "desc", "page": "2", "per_page": "100", "q": " x "}, keys) == \
        TableQuery(q="x", sort="rnn:score", desc=True, page=2, per_page=100)
    assert parse_query({"sort": "evil", "page": "x", "per_page": "3"}, keys) == TableQuery()
    assert TableQuery(q="a b", page=3).params(page=1) == {"q": "a b"}


def test_misconception_titles_read_either_catalogue_shape_and_survive_a_broken_hook() -> None:
    def exercise(hook: object) -> object:
        return types.SimpleNamespace(id="x", hooks=types.SimpleNamespace(misconception_catalogue=hook))

    nested = exercise(lambda: [{"name": "m1", "part": "forward", "title": {"en": "Bias missing", "zh": "缺少偏置"}}])
    flat = exercise(lambda: [{"name": "m2", "title_en": "No sqrt", "title_zh": "没有开方"}, "junk", {"title": "x"}])
    assert misconception_titles(nested, "zh") == {"m1": "缺少偏置"}  # type: ignore[arg-type]
    assert misconception_titles(flat, "en") == {"m2": "No sqrt"}  # type: ignore[arg-type]

    def broken() -> list[object]:
        raise RuntimeError("hook bug")

    assert misconception_titles(exercise(broken), "en") == {}  # type: ignore[arg-type]
    assert misconception_titles(types.SimpleNamespace(hooks=object()), "en") == {}  # type: ignore[arg-type]
    assert misconception_titles(None, "en") == {}


def test_the_real_exercise_catalogue_labels_its_misconceptions(real_exercises: dict[str, object]) -> None:
    hooks = getattr(real_exercises["rnn"], "hooks", None)
    assert callable(getattr(hooks, "misconception_catalogue", None))
    titles = misconception_titles(real_exercises["rnn"], "zh")  # type: ignore[arg-type]
    assert titles and all(name and title for name, title in titles.items())


def test_sessions_need_no_secret_and_an_old_session_secret_setting_is_ignored(
        tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Browser sessions are random ids kept server-side (server.auth.sessions): nothing signs them, so no host
    (a grader running student code included) holds a secret that could mint one."""
    from pathlib import Path

    from server.config import Settings, with_generated_secrets

    data = Path(str(tmp_path)) / "d"
    with_generated_secrets(Settings(data_dir=data))
    assert sorted(p.name for p in data.iterdir()) == ["admin-token", "secret"]
    monkeypatch.setenv("RNN_GRADER_SESSION_SECRET", "an-old-deployments-session-secret")
    assert not hasattr(Settings(data_dir=data), "session_secret")
