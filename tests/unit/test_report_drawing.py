"""The service report's charts: matplotlib's SVG, made for inline use, with every
point and bar carrying its number, gaps for weeks without one, and nothing the
browser would fetch."""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest

from saleor_cs_plugin.metrics.report import (
    Series,
    answer_bars,
    count_text,
    percent_text,
    weekly_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
WEEKS = [date(2026, 11, 2) + timedelta(weeks=index) for index in range(5)]


def _by_id(svg: str) -> dict[str, ET.Element]:
    return {
        element.get("id"): element
        for element in ET.fromstring(svg).iter()
        if element.get("id")
    }


def _texts(svg: str) -> list[str]:
    return [
        "".join(element.itertext()) for element in ET.fromstring(svg).iter(f"{SVG}text")
    ]


def test_each_weeks_value_is_a_point_with_its_number():
    # given: week 3 and week 4 without answers
    values = [Decimal("80.0"), Decimal("0.0"), None, None, Decimal("100.0")]

    svg = weekly_chart(
        "satisfied",
        "Satisfied customers",
        WEEKS,
        [Series("satisfied", "Satisfied", values)],
    )

    elements = _by_id(svg)
    points = {
        element.get("data-week"): element.get("data-value")
        for name, element in elements.items()
        if re.fullmatch(r"satisfied-satisfied-\d+", name)
    }
    # a zero is drawn; a week with nothing to divide by is not
    assert points == {"2026-11-02": "80.0", "2026-11-09": "0.0", "2026-11-30": "100.0"}
    assert elements["satisfied-satisfied-1"].find(f"{SVG}title").text == (
        "Satisfied, week of 9 November 2026: 0.0%"
    )
    line = elements["satisfied-satisfied-line"]
    assert line.get("data-values") == "80.0,0.0,,,100.0"
    # the line stops at the gap: one run for weeks 1-2; week 5 stands alone
    path = line.find(f"{SVG}path").get("d")
    assert path.count("M") == 2
    assert path.count("L") == 1
    # the weeks without a value are shaded, as one band, and say so
    assert {
        name: (element.get("data-weeks"), element.find(f"{SVG}title").text)
        for name, element in elements.items()
        if "-no-data-" in name
    } == {
        "satisfied-no-data-2": (
            "2026-11-16,2026-11-23",
            "Weeks of 16 November 2026 to 23 November 2026: no data",
        )
    }


def test_two_series_share_a_chart_and_a_gap_of_one_is_not_shaded():
    svg = weekly_chart(
        "on-time",
        "On time",
        WEEKS[:3],
        [
            Series(
                "shipping", "Shipped on time", [Decimal("90.0"), None, Decimal("95.5")]
            ),
            Series("delivery", "Delivered on time", [None, None, Decimal("80.0")]),
        ],
    )

    elements = _by_id(svg)
    assert elements["on-time-shipping-line"].get("data-values") == "90.0,,95.5"
    assert elements["on-time-delivery-line"].get("data-values") == ",,80.0"
    assert [name for name in elements if "-no-data-" in name] == ["on-time-no-data-1"]
    assert elements["on-time-no-data-1"].find(f"{SVG}title").text == (
        "Week of 9 November 2026: no data"
    )
    texts = _texts(svg)
    assert "Shipped on time" in texts and "Delivered on time" in texts
    # the axes: percentages, and the weeks by their first day
    assert ["0%", "25%", "50%", "75%", "100%"] == [t for t in texts if t.endswith("%")]
    assert {"2 Nov", "9 Nov", "16 Nov"} <= set(texts)
    assert "Week starting" in texts


def test_a_chart_without_any_value_says_so():
    svg = weekly_chart(
        "response",
        "Response rate",
        WEEKS[:2],
        [Series("response", "Answered", [None, None])],
    )

    assert "No data in this period" in _texts(svg)
    assert not [
        name for name in _by_id(svg) if re.fullmatch(r"response-response-\d+", name)
    ]


def test_many_weeks_keep_their_date_labels_apart():
    weeks = [date(2026, 1, 5) + timedelta(weeks=index) for index in range(52)]

    svg = weekly_chart(
        "satisfied", "Satisfied", weeks, [Series("satisfied", "Satisfied", [None] * 52)]
    )

    labels = [text for text in _texts(svg) if re.fullmatch(r"\d+ \w{3}", text)]
    # every eighth week: seven labels
    assert labels == ["5 Jan", "2 Mar", "27 Apr", "22 Jun", "17 Aug", "12 Oct", "7 Dec"]


def test_each_answer_is_a_bar_with_its_words_and_count():
    answers = [
        ("late", "It was late", 1204),
        ("damaged", "Something arrived damaged", 0),
        ("coupon", "A $5 coupon & <b>more</b>", 3),
    ]

    svg = answer_bars("what-went-wrong", "What went wrong", answers)

    elements = _by_id(svg)
    assert {
        element.get("data-answer"): (
            element.get("data-label"),
            element.get("data-count"),
        )
        for name, element in elements.items()
        if name.startswith("what-went-wrong-") and element.get("data-count") is not None
    } == {
        "late": ("It was late", "1204"),
        "damaged": ("Something arrived damaged", "0"),
        "coupon": ("A $5 coupon & <b>more</b>", "3"),
    }
    assert (
        elements["what-went-wrong-late"].find(f"{SVG}title").text
        == "It was late: 1,204"
    )
    texts = _texts(svg)
    # the labels as written (a dollar is no mathematics, markup is text) and the
    # counts at the bars' ends
    assert {
        "It was late",
        "Something arrived damaged",
        "A $5 coupon & <b>more</b>",
    } <= set(texts)
    assert {"1,204", "0", "3"} <= set(texts)
    assert "<b>" not in svg


def test_bars_without_answers_say_so():
    svg = answer_bars(
        "why", "Why", [("price", "The price", 0), ("other", "Something else", 0)]
    )

    assert "No answers in this period" in _texts(svg)


def test_the_charts_fetch_nothing_and_share_no_id():
    charts = [
        weekly_chart("a", "A", WEEKS, [Series("s", "S", [Decimal(50)] * 5)]),
        weekly_chart("b", "B", WEEKS, [Series("s", "S", [Decimal(50)] * 5)]),
        answer_bars("c", "C", [("x", "X", 2)]),
    ]

    page = "".join(charts)
    assert not page.startswith("<?xml") and "<!DOCTYPE" not in page
    # http appears only in the names of the SVG namespaces
    assert set(re.findall(r"https?://[^\s\"'<>)]*", page)) == {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    # every reference is to an element of the same chart
    for chart in charts:
        ids = set(_by_id(chart))
        references = re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', chart)
        assert references
        assert {a or b for a, b in references} <= ids
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    # text stays text (no font outlines embedded) and scales with the page
    for chart in charts:
        root = ET.fromstring(chart)
        assert root.get("width") is None and root.get("height") is None
        assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox"))
        assert root.find(f"{SVG}title").text in {"A", "B", "C"}
    assert "<text" in page and "font-family" in page
    assert 'id="DejaVuSans' not in page


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("87.5"), "87.5%"),
        (Decimal("100.0"), "100.0%"),
        (Decimal("0.0"), "0.0%"),
        (Decimal(7), "7.0%"),
        (None, "no data"),
    ],
)
def test_percentages_are_written_with_one_decimal_place(value, text):
    assert percent_text(value) == text


def test_counts_are_grouped():
    assert [count_text(n) for n in (0, 999, 1000, 1234567)] == [
        "0",
        "999",
        "1,000",
        "1,234,567",
    ]
