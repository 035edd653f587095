"""The service report of ``cs_report``: one self-contained HTML file of a channel's
metrics by week.

The numbers are ``measure``'s and ``weekly``'s; this module only draws them. The
charts are SVG drawn by matplotlib and put inline in the page, so the file opens
with no network (no scripts, fonts, images or style sheets from elsewhere). Every
point and bar carries its number (``data-*`` attributes and a ``<title>`` the
browser shows on hover), so what a chart shows can be read back from the file.

Matplotlib is used through ``Figure`` alone, never ``pyplot``: no backend is
chosen for the process and no global figure state is kept; the settings of a
drawing are scoped with ``rc_context``.
"""

import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from ..domain.metrics import percent
from .speed import duration_text

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", _SVG)
ET.register_namespace("xlink", _XLINK)

# The report is the merchant's, in English (the words' msgids), dates and numbers
# as Babel writes them in English.
LOCALE = "en"

BLUE = "#0b4f9c"
ORANGE = "#b4500a"
GREY = "#6b6b66"
GRID = "#e2e2dd"
NO_DATA = "#efefeb"

_STYLE = {
    "svg.fonttype": "none",  # text stays text: no glyph outlines, no font files
    "svg.image_inline": True,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans"],
    "font.size": 10,
    "text.parse_math": False,  # "$" in a label is a dollar, not mathematics
    "axes.edgecolor": GREY,
    "axes.labelcolor": "#1b1b1b",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": "#404040",
    "ytick.color": "#404040",
}
# Width of a chart in inches; matplotlib's SVG is in points (72 an inch), the page
# scales it to its column.
_WIDTH = 6.4


@dataclass(frozen=True)
class Series:
    """One line of a weekly chart: a percentage per week, None for a week with
    nothing to divide by (drawn as a gap, never as zero)."""

    key: str
    label: str
    values: Sequence[Decimal | None]
    color: str = BLUE
    marker: str = "o"
    linestyle: str = "-"


def week_label(week: date) -> str:
    return format_date(week, "d MMM", locale=LOCALE)


def long_date(day: date) -> str:
    return format_date(day, "d MMMM y", locale=LOCALE)


def count_text(count: int) -> str:
    return format_decimal(count, locale=LOCALE)


def percent_text(value: Decimal | None, empty: str = "no data") -> str:
    """``87.5 %``-style text of a percentage, ``empty`` when there is none."""
    if value is None:
        return empty
    return f"{format_decimal(value, format='0.0', locale=LOCALE)}%"


def weekly_chart(
    chart_id: str, title: str, weeks: Sequence[date], series: Sequence[Series]
) -> str:
    """A line chart of percentages by week, as inline SVG markup.

    Each drawn point is a ``<g id="{chart_id}-{key}-{index}">`` with
    ``data-series``, ``data-week`` (ISO date) and ``data-value``; each line a
    ``<g id="{chart_id}-{key}-line">`` with ``data-values`` (comma-separated, empty
    for a gap). A week without a value has no point and breaks the line; a week
    without any is shaded, each run of such weeks one
    ``<g id="{chart_id}-no-data-{first index}">`` with ``data-weeks``.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, MultipleLocator, PercentFormatter

    annotations: dict[str, dict[str, str]] = {}
    with _drawing(chart_id):
        figure = Figure(figsize=(_WIDTH, 2.8), layout="constrained")
        axes = figure.add_subplot()
        positions = list(range(len(weeks)))
        has_values = False
        for line in series:
            ys = [math.nan if value is None else float(value) for value in line.values]
            (drawn,) = axes.plot(
                positions,
                ys,
                color=line.color,
                linestyle=line.linestyle,
                linewidth=2,
                label=line.label,
            )
            drawn.set_gid(f"{chart_id}-{line.key}-line")
            annotations[drawn.get_gid()] = {
                "data-series": line.key,
                "data-values": ",".join(
                    "" if value is None else str(value) for value in line.values
                ),
            }
            for index, (week, value) in enumerate(zip(weeks, line.values, strict=True)):
                if value is None:
                    continue
                has_values = True
                (point,) = axes.plot(
                    [index],
                    [float(value)],
                    marker=line.marker,
                    markersize=6,
                    color=line.color,
                    markeredgecolor="white",
                    markeredgewidth=1,
                    linestyle="none",
                    clip_on=False,
                )
                gid = f"{chart_id}-{line.key}-{index}"
                point.set_gid(gid)
                annotations[gid] = {
                    "data-series": line.key,
                    "data-week": week.isoformat(),
                    "data-value": str(value),
                    "title": f"{line.label}, week of {long_date(week)}: "
                    f"{percent_text(value)}",
                }
        # A week no series has a value for is shaded, so that the gap reads as "no
        # data", not as a line the drawing forgot.
        empty = [
            all(line.values[index] is None for line in series) for index in positions
        ]
        for first, last in _runs(empty):
            band = axes.axvspan(first - 0.5, last + 0.5, color=NO_DATA, linewidth=0)
            band.set_gid(f"{chart_id}-no-data-{first}")
            days = weeks[first : last + 1]
            annotations[band.get_gid()] = {
                "data-weeks": ",".join(day.isoformat() for day in days),
                "title": (
                    f"Week of {long_date(days[0])}: no data"
                    if len(days) == 1
                    else f"Weeks of {long_date(days[0])} to {long_date(days[-1])}: "
                    "no data"
                ),
            }
        axes.set_ylim(0, 100)
        axes.yaxis.set_major_locator(MultipleLocator(25))
        axes.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        axes.grid(axis="y", color=GRID, linewidth=0.8)
        axes.set_axisbelow(True)
        axes.set_xlim(-0.5, max(len(weeks) - 0.5, 0.5))
        # At most seven date labels (they stay readable in half a laptop screen);
        # every week keeps its tick.
        step = max(1, math.ceil(len(weeks) / 7))
        axes.xaxis.set_major_locator(FixedLocator(positions[::step]))
        axes.set_xticks(positions, minor=True)
        axes.set_xticklabels([week_label(week) for week in weeks[::step]])
        axes.set_xlabel("Week starting")
        if len(series) > 1:
            axes.legend(loc="lower left", frameon=False, ncols=len(series))
        if not has_values:
            axes.text(
                0.5,
                0.5,
                "No data in this period",
                transform=axes.transAxes,
                ha="center",
                va="center",
                color=GREY,
                fontsize=11,
            )
        svg = _svg(figure)
    return _annotate(svg, chart_id, title, annotations)


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """(first, last) index of each run of true flags."""
    runs = []
    for index, flag in enumerate(flags):
        if not flag:
            continue
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def answer_bars(
    chart_id: str, title: str, answers: Sequence[tuple[str, str, int]]
) -> str:
    """Horizontal bars of how many surveys gave each answer, as inline SVG.

    ``answers`` is (value, label, count) in the order the question offers them;
    each bar is a ``<g id="{chart_id}-{value}">`` with ``data-answer``,
    ``data-label`` and ``data-count``, and its count written at its end.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    annotations: dict[str, dict[str, str]] = {}
    with _drawing(chart_id):
        height = 0.9 + 0.34 * max(len(answers), 1)
        figure = Figure(figsize=(_WIDTH, height), layout="constrained")
        axes = figure.add_subplot()
        labels = [label for _, label, _ in answers]
        counts = [count for _, _, count in answers]
        bars = axes.barh(range(len(answers)), counts, color=BLUE, height=0.62)
        for (value, label, count), bar in zip(answers, bars, strict=True):
            gid = f"{chart_id}-{value}"
            bar.set_gid(gid)
            annotations[gid] = {
                "data-answer": value,
                "data-label": label,
                "data-count": str(count),
                "title": f"{label}: {count_text(count)}",
            }
        axes.bar_label(
            bars,
            labels=[count_text(count) for count in counts],
            padding=4,
            color="#1b1b1b",
        )
        axes.set_yticks(range(len(answers)), labels)
        axes.invert_yaxis()  # the question's first answer on top
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        top = max(counts, default=0)
        # Room for the count written after the longest bar.
        axes.set_xlim(0, max(top * 1.12, 1))
        axes.grid(axis="x", color=GRID, linewidth=0.8)
        axes.set_axisbelow(True)
        axes.tick_params(axis="y", length=0)
        axes.set_xlabel("Surveys")
        if top == 0:
            axes.text(
                0.5,
                0.5,
                "No answers in this period",
                transform=axes.transAxes,
                ha="center",
                va="center",
                color=GREY,
                fontsize=11,
            )
        svg = _svg(figure)
    return _annotate(svg, chart_id, title, annotations)


@contextmanager
def _drawing(chart_id: str):
    """matplotlib's settings for one chart: the house style, and ids salted with
    the chart's name so that several charts in one page never share an id."""
    import matplotlib

    with matplotlib.rc_context({**_STYLE, "svg.hashsalt": chart_id}):
        yield


def _svg(figure) -> str:
    buffer = io.StringIO()
    # No metadata: no creation date (the same numbers give the same file) and no
    # references to vocabularies on the web.
    figure.savefig(
        buffer,
        format="svg",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    return buffer.getvalue()


def _annotate(
    svg: str, chart_id: str, title: str, annotations: dict[str, dict[str, str]]
) -> str:
    """The SVG for inline use: no XML declaration or DTD, scalable (a viewBox and
    no fixed size), a title for screen readers, and each annotated element's
    numbers as attributes and a hover title."""
    root = ET.fromstring(svg)
    # matplotlib names every group (figure_1, axes_1, ...) the same in each chart;
    # only the ids something refers to (clip paths, markers: salted per chart) and
    # this module's stay, so the page has no id twice.
    referred = set(re.findall(r"#([\w.-]+)", svg))
    for element in root.iter():
        name = element.get("id")
        if name is not None and name not in referred and name not in annotations:
            del element.attrib["id"]
    for attribute in ("width", "height"):
        root.attrib.pop(attribute, None)
    root.set("id", chart_id)
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title")
    chart_title = ET.Element(f"{{{_SVG}}}title", {"id": f"{chart_id}-title"})
    chart_title.text = title
    root.insert(0, chart_title)
    for element in root.iter():
        attributes = annotations.get(element.get("id", ""))
        if attributes is None:
            continue
        attributes = dict(attributes)
        hover = attributes.pop("title", None)
        for name, value in attributes.items():
            element.set(name, value)
        if hover is not None:
            hover_title = ET.Element(f"{{{_SVG}}}title")
            hover_title.text = hover
            element.insert(0, hover_title)
    return ET.tostring(root, encoding="unicode")


# -- The report's content, from ServiceMetrics values -----------------------------


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    description: str
    svg: str


@dataclass(frozen=True)
class Total:
    label: str
    value: str
    detail: str = ""


def has_data(totals) -> bool:
    """Whether the period has anything the charts show: a survey sent or
    answered, or a promised shipping or delivery that fell due."""
    return bool(
        totals.surveys_sent
        or totals.surveys_answered
        or totals.on_time_shipping_percent is not None
        or totals.on_time_delivery_percent is not None
        or any(totals.what_went_wrong.values())
        or any(totals.why_not_completed.values())
    )


def weekly_charts(weeks: Sequence[tuple[date, object]]) -> list[Chart]:
    """The four weekly charts of the report, from ``weekly``'s (week, metrics)."""
    days = [week for week, _ in weeks]
    metrics = [values for _, values in weeks]

    def values(name):
        return [getattr(week_metrics, name) for week_metrics in metrics]

    return [
        Chart(
            "satisfied",
            "Satisfied customers",
            "Of the answers to “Were you satisfied with how the entire process was "
            "handled?” in surveys sent that week, the share of Yes.",
            weekly_chart(
                "satisfied",
                "Satisfied customers",
                days,
                [Series("satisfied", "Satisfied", values("satisfied_percent"))],
            ),
        ),
        Chart(
            "handled",
            "Problems handled the way the customer wanted",
            "Of the answers to “Did we handle the problem the way you wanted?”, "
            "the share of Yes.",
            weekly_chart(
                "handled",
                "Problems handled the way the customer wanted",
                days,
                [
                    Series(
                        "handled",
                        "Handled as wanted",
                        values("handled_as_wanted_percent"),
                    )
                ],
            ),
        ),
        Chart(
            "response",
            "Response rate",
            "Of the surveys sent that week, the share the customer answered.",
            weekly_chart(
                "response",
                "Response rate",
                days,
                [Series("response", "Answered", values("response_rate"))],
            ),
        ),
        Chart(
            "on-time",
            "On time",
            "Of the orders shipped that week, the share shipped by the promised "
            "day; of those delivered, the share delivered by the promised date.",
            weekly_chart(
                "on-time",
                "On time",
                days,
                [
                    Series(
                        "shipping",
                        "Shipped on time",
                        values("on_time_shipping_percent"),
                    ),
                    Series(
                        "delivery",
                        "Delivered on time",
                        values("on_time_delivery_percent"),
                        color=ORANGE,
                        marker="s",
                        linestyle="--",
                    ),
                ],
            ),
        ),
    ]


def answer_charts(totals) -> list[Chart]:
    """The bars of what went wrong and why checkouts were not completed, every
    answer the question offers (in its order), with the period's counts."""
    from ..domain.surveys import (
        ABANDON_REASON_TEXTS,
        WRONG_THING_TEXTS,
        AbandonReason,
        WrongThing,
    )

    wrong = [
        (
            thing.value,
            WRONG_THING_TEXTS[thing],
            totals.what_went_wrong.get(thing.value, 0),
        )
        for thing in WrongThing
    ]
    abandoned = [
        (
            reason.value,
            ABANDON_REASON_TEXTS[reason],
            totals.why_not_completed.get(reason.value, 0),
        )
        for reason in AbandonReason
    ]
    return [
        Chart(
            "what-went-wrong",
            "What went wrong",
            "Surveys naming each answer to “What went wrong?” (a customer may name "
            "several).",
            answer_bars("what-went-wrong", "What went wrong", wrong),
        ),
        Chart(
            "why-not-completed",
            "Why checkouts were not completed",
            "Surveys of abandoned checkouts giving each answer to “If you did not "
            "complete an order, why not?”.",
            answer_bars(
                "why-not-completed", "Why checkouts were not completed", abandoned
            ),
        ),
    ]


def period_totals(totals) -> list[Total]:
    """The short table of the period's totals, each share with what it divides."""

    def of(count, what):
        return f"of {count_text(count)} {what}" if count else ""

    repeat = totals.repeat_purchase
    return [
        Total("Surveys sent", count_text(totals.surveys_sent)),
        Total("Surveys answered", count_text(totals.surveys_answered)),
        Total(
            "Response rate",
            percent_text(totals.response_rate),
            of(totals.surveys_sent, "surveys sent"),
        ),
        Total(
            "Satisfied",
            percent_text(totals.satisfied_percent),
            of(totals.satisfied_answers, "answers"),
        ),
        Total(
            "Handled the way the customer wanted",
            percent_text(totals.handled_as_wanted_percent),
            of(totals.handled_as_wanted_answers, "answers"),
        ),
        Total(
            "Shipped on time",
            percent_text(totals.on_time_shipping_percent),
            of(totals.orders_shipped, "orders shipped"),
        ),
        Total(
            "Delivered on time",
            percent_text(totals.on_time_delivery_percent),
            of(totals.orders_delivered, "orders delivered"),
        ),
        Total(
            "Resolved at first contact",
            percent_text(totals.first_contact_resolution_percent),
            of(totals.contacts, "contacts"),
        ),
        Total(
            "Return rate",
            percent_text(totals.return_rate_percent),
            of(totals.orders_fulfilled, "orders fulfilled"),
        ),
        Total(
            f"First-time customers who ordered again within {repeat.within_days} days",
            percent_text(repeat.rate_percent),
            of(repeat.total.customers, "first-time customers"),
        ),
    ]


# How the report names the contact channels of the speed of answer.
CONTACT_CHANNEL_TITLES = {
    "email": "E-mail",
    "sms": "SMS",
    "phone": "Phone",
    "chat": "Chat",
    "social": "Social media",
    "web": "Web",
    "system": "System",
}


def answer_speed_totals(answer_speed) -> list[Total]:
    """Two rows per contact channel with conversations in the period: the share
    first answered within target, with the first-answer times; and the share of
    the resolved ones resolved at first contact, with the handle times."""

    def times(what, median, p90):
        if median is None:
            return ""
        return (
            f"; median {what} {duration_text(median)}, 90th percentile "
            f"{duration_text(p90)}"
        )

    rows = []
    for speed in answer_speed:
        title = CONTACT_CHANNEL_TITLES.get(speed.contact_channel, speed.contact_channel)
        opened = f"{count_text(speed.opened)} opened"
        rows.append(
            Total(
                f"{title}: first answered within target",
                percent_text(percent(speed.answered_within_target, speed.with_target)),
                (
                    f"of {count_text(speed.with_target)} answered or past target "
                    f"({opened})"
                    if speed.with_target
                    else opened
                )
                + times("first answer", speed.first_answer_p50, speed.first_answer_p90),
            )
        )
        rows.append(
            Total(
                f"{title}: resolved at first contact",
                percent_text(percent(speed.resolved_at_first_contact, speed.resolved)),
                (f"of {count_text(speed.resolved)} resolved" if speed.resolved else "")
                + times("handle time", speed.handle_p50, speed.handle_p90),
            )
        )
    return rows


def report_context(
    *,
    channel_name: str,
    channel_slug: str,
    since: date,
    until: date,
    totals,
    weeks: Sequence[tuple[date, object]],
    generated_at: datetime,
) -> dict:
    """What the report's template shows, from ``measure``'s totals and
    ``weekly``'s weeks of [since, until)."""
    data = has_data(totals)
    return {
        "channel_name": channel_name,
        "channel_slug": channel_slug,
        "first_day": long_date(since),
        "last_day": long_date(until - timedelta(days=1)),
        "days": (until - since).days,
        "week_count": len(weeks),
        "generated_at": format_datetime(
            generated_at, "d MMMM y, HH:mm zzz", locale=LOCALE
        ),
        "has_data": data,
        "totals": [*period_totals(totals), *answer_speed_totals(totals.answer_speed)],
        "weekly_charts": weekly_charts(weeks) if data else [],
        "answer_charts": answer_charts(totals) if data else [],
    }


def render_report(**context_arguments) -> str:
    """The report's HTML (Django's template, autoescaped; the charts' SVG is the
    only markup passed through, and it is this module's)."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    context = report_context(**context_arguments)
    for key in ("weekly_charts", "answer_charts"):
        context[key] = [
            Chart(chart.chart_id, chart.title, chart.description, mark_safe(chart.svg))
            for chart in context[key]
        ]
    return render_to_string("saleor_cs_plugin/report/report.html", context)
