"""``manage.py cs_report`` in a real Saleor: a store's orders placed and shipped
through /graphql/, its surveys answered, and the report read back from the file it
writes (the charts' numbers are attributes of the SVG it draws)."""

import io
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import graphene
import pytest
from django.core.management import CommandError, call_command
from freezegun import freeze_time
from saleor.graphql.tests.utils import get_graphql_content
from storefront import signed_in_now
from survey_support import placed_order, sent_survey, started_checkout

from saleor_cs_plugin.domain.surveys import (
    ABANDON_REASON_TEXTS,
    WRONG_THING_TEXTS,
    AbandonReason,
    Moment,
    ProblemKind,
    WrongThing,
)
from saleor_cs_plugin.models import Conversation, DeliveryPromise

# Three weeks from Monday 2 March 2026: the second has nothing in it.
SINCE = date(2026, 3, 2)
UNTIL = date(2026, 3, 23)
MONDAY_MORNING = datetime(2026, 3, 2, 9, tzinfo=UTC)

ORDER_FULFILL = """
mutation ($order: ID!, $input: OrderFulfillInput!) {
  orderFulfill(order: $order, input: $input) {
    errors { field code message }
  }
}
"""


class _Report(HTMLParser):
    """What a reader of the report can check: every element with an id or data-*
    attributes, the text of the totals table, every URL-bearing attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: dict[str, dict[str, str]] = {}
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.totals: list[list[str]] = []
        self._in_totals = False
        self._cell: list[str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.add(tag)
        if "id" in attributes:
            self.elements[attributes["id"]] = {"tag": tag, **attributes}
        for name, value in attributes.items():
            if name in ("src", "href", "xlink:href", "action", "srcset", "data"):
                self.urls.append(value)
            if name == "style":
                self.urls.extend(re.findall(r"url\(([^)]*)\)", value))
        if attributes.get("id") == "totals":
            self._in_totals = True
        if self._in_totals and tag == "tr":
            self.totals.append([])
        if self._in_totals and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if self._in_totals and tag in ("th", "td") and self._cell is not None:
            self.totals[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "table":
            self._in_totals = False

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _read(path) -> tuple[str, _Report]:
    html = path.read_text(encoding="utf-8")
    report = _Report()
    report.feed(html)
    return html, report


def _fulfill(staff_client, order, warehouse):
    line = order.lines.get()
    content = get_graphql_content(
        signed_in_now(staff_client).post_graphql(
            ORDER_FULFILL,
            {
                "order": graphene.Node.to_global_id("Order", order.pk),
                "input": {
                    "lines": [
                        {
                            "orderLineId": graphene.Node.to_global_id(
                                "OrderLine", line.pk
                            ),
                            "stocks": [
                                {
                                    "quantity": line.quantity,
                                    "warehouse": graphene.Node.to_global_id(
                                        "Warehouse", warehouse.pk
                                    ),
                                }
                            ],
                        }
                    ],
                    "notifyCustomer": False,
                },
            },
        )
    )
    assert content["data"]["orderFulfill"]["errors"] == []


@pytest.fixture
def store(channel_USD, shipping_method, plugin_configuration):
    """The plugin on in the USD channel: ship the working day after the order."""
    shipping_method.minimum_delivery_days = 2
    shipping_method.maximum_delivery_days = 4
    shipping_method.save()
    plugin_configuration(promise_handling_days="1", promise_cutoff_hour="14")
    return channel_USD


@pytest.fixture
def three_weeks(
    store,
    user_api_client,
    api_client,
    staff_in_group,
    permission_manage_orders,
    product,
    shipping_method,
    warehouse,
):
    """Week 1: two orders, one shipped on time and one late, their surveys (one
    satisfied; one not: late and damaged, not handled as wanted) and an abandoned
    checkout's (the shipping cost). Week 2: nothing. Week 3: two surveys after a
    contact, one answered satisfied, one not answered."""
    variant = product.variants.get()
    staff = staff_in_group(permission_manage_orders)
    with freeze_time(MONDAY_MORNING):
        on_time = placed_order(
            user_api_client,
            channel=store,
            variant=variant,
            shipping_method=shipping_method,
            email="ann@example.com",
        )
        late = placed_order(
            api_client,
            channel=store,
            variant=variant,
            shipping_method=shipping_method,
            email="bob@example.com",
        )
        checkout = started_checkout(
            api_client, channel=store, variant=variant, email="cy@example.com"
        )
    with freeze_time(datetime(2026, 3, 3, 10, tzinfo=UTC)):
        _fulfill(staff, on_time, warehouse)
    with freeze_time(datetime(2026, 3, 6, 10, tzinfo=UTC)):
        _fulfill(staff, late, warehouse)
    assert sorted(DeliveryPromise.objects.values_list("status", flat=True)) == [
        "shipped_late",
        "shipped_on_time",
    ]

    def answered(day, hour=12):
        moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        return {
            "first_answered_at": moment + timedelta(hours=hour),
            "answered_at": moment + timedelta(hours=hour),
        }

    sent_survey(
        moment=Moment.COMPLETED,
        order=on_time,
        sent_at=datetime(2026, 3, 4, 9, tzinfo=UTC),
        satisfied=True,
        **answered(date(2026, 3, 4)),
    )
    sent_survey(
        moment=Moment.COMPLETED,
        order=late,
        sent_at=datetime(2026, 3, 7, 9, tzinfo=UTC),
        satisfied=False,
        what_went_wrong=[WrongThing.LATE, WrongThing.DAMAGED],
        handled_as_wanted=False,
        **answered(date(2026, 3, 7)),
    )
    sent_survey(
        moment=Moment.ABANDONED,
        checkout=checkout,
        sent_at=datetime(2026, 3, 3, 9, tzinfo=UTC),
        why_not_completed=AbandonReason.SHIPPING_COST,
        **answered(date(2026, 3, 3)),
    )
    for email, answers in (
        ("dee@example.com", {"satisfied": True, **answered(date(2026, 3, 18))}),
        ("eve@example.com", {}),
    ):
        sent_survey(
            moment=Moment.AFTER_PROBLEM,
            problem=ProblemKind.CONTACT,
            channel=store,
            email=email,
            sent_at=datetime(2026, 3, 17, 9, tzinfo=UTC),
            **answers,
        )
    return store


def _points(report, chart, series):
    """{week: value} of the points drawn in a chart's series."""
    return {
        attributes["data-week"]: attributes["data-value"]
        for name, attributes in report.elements.items()
        if name.startswith(f"{chart}-{series}-") and "data-week" in attributes
    }


def _bars(report, chart):
    return {
        attributes["data-label"]: int(attributes["data-count"])
        for name, attributes in report.elements.items()
        if name.startswith(f"{chart}-") and "data-count" in attributes
    }


def test_the_report_charts_each_week_and_leaves_an_empty_week_as_a_gap(
    three_weeks, tmp_path
):
    # when
    output = tmp_path / "report.html"
    call_command(
        "cs_report",
        channel=three_weeks.slug,
        since="2026-03-02",
        until="2026-03-23",
        output=str(output),
    )

    # then: the satisfied, handled-as-wanted, response-rate and on-time points of
    # weeks 1 and 3; none in week 2
    html, report = _read(output)
    assert _points(report, "satisfied", "satisfied") == {
        "2026-03-02": "50.0",
        "2026-03-16": "100.0",
    }
    # a real zero is drawn; a week with no answer to divide by is not
    assert _points(report, "handled", "handled") == {"2026-03-02": "0.0"}
    assert _points(report, "response", "response") == {
        "2026-03-02": "100.0",
        "2026-03-16": "50.0",
    }
    assert _points(report, "on-time", "shipping") == {"2026-03-02": "50.0"}
    assert _points(report, "on-time", "delivery") == {}
    # the lines break where a week has no value
    assert report.elements["satisfied-satisfied-line"]["data-values"] == "50.0,,100.0"
    assert report.elements["handled-handled-line"]["data-values"] == "0.0,,"
    assert report.elements["on-time-delivery-line"]["data-values"] == ",,"
    line = re.search(
        r'<g id="satisfied-satisfied-line"[^>]*>\s*<path d="([^"]*)"', html
    )
    assert line.group(1).count("M") == 2  # two runs: week 1, and week 3 alone
    # each point tells its number on hover
    assert re.search(
        r'<g id="satisfied-satisfied-0"[^>]*>\s*<title>Satisfied, week of 2 March '
        r"2026: 50.0%</title>",
        html,
    )

    # the bars: every answer the question offers, in its words, with its count
    assert _bars(report, "what-went-wrong") == {
        WRONG_THING_TEXTS[thing]: {WrongThing.LATE: 1, WrongThing.DAMAGED: 1}.get(
            thing, 0
        )
        for thing in WrongThing
    }
    assert _bars(report, "why-not-completed") == {
        ABANDON_REASON_TEXTS[reason]: 1 if reason == AbandonReason.SHIPPING_COST else 0
        for reason in AbandonReason
    }

    # the period's totals
    assert report.totals[:8] == [
        ["Surveys sent", "5", ""],
        ["Surveys answered", "4", ""],
        ["Response rate", "80.0%", "of 5 surveys sent"],
        ["Satisfied", "66.7%", "of 3 answers"],
        ["Handled the way the customer wanted", "0.0%", "of 1 answers"],
        ["Shipped on time", "50.0%", "of 2 orders shipped"],
        ["Delivered on time", "no data", ""],
        ["Resolved at first contact", "no data", ""],
    ]
    assert f"<h1>Customer service report · {three_weeks.name}</h1>" in html
    assert "2 March 2026 to 22 March 2026 (21 days, 3 weeks from 2 March 2026)" in html
    assert "no-data" not in report.elements


def test_the_report_opens_without_the_network(three_weeks, tmp_path):
    output = tmp_path / "report.html"
    call_command(
        "cs_report",
        channel=three_weeks.slug,
        since="2026-03-02",
        until="2026-03-23",
        output=str(output),
    )

    html, report = _read(output)
    # no scripts, images, frames, style sheets or fonts from anywhere
    assert not report.tags & {"script", "img", "iframe", "link", "object", "embed"}
    # the only references are to the file's own elements
    assert report.urls and all(url.startswith("#") for url in report.urls)
    assert "@import" not in html and "@font-face" not in html
    assert not re.search(r"url\(\s*['\"]?(?!#)", html)
    # http(s) appears only as the SVG namespaces' names, never fetched
    assert set(re.findall(r"https?://[^\s\"'<>)]*", html)) == {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert all(
        re.fullmatch(r'xmlns(:xlink)?="http://www\.w3\.org/[^"]*"', match)
        for match in re.findall(r'[\w:-]+="https?://[^"]*"', html)
    )
    # six charts, each an inline SVG with its title
    assert [
        name
        for name, attributes in report.elements.items()
        if attributes["tag"] == "svg"
    ] == [
        "satisfied",
        "handled",
        "response",
        "on-time",
        "what-went-wrong",
        "why-not-completed",
    ]
    # no id twice in the page (ids of the charts' clip paths and markers included)
    ids = re.findall(r'\sid="([^"]*)"', html)
    assert len(ids) == len(set(ids))


def test_a_period_without_data_writes_a_report_that_says_so(store, tmp_path):
    output = tmp_path / "empty.html"
    call_command(
        "cs_report",
        channel=store.slug,
        since="2026-03-02",
        until="2026-03-09",
        output=str(output),
    )

    html, report = _read(output)
    assert "no-data" in report.elements
    assert (
        "No surveys were sent or answered and no promised shipping or delivery fell "
        "due in this period, so there is nothing to chart." in html
    )
    assert "<svg" not in html
    assert report.totals[:3] == [
        ["Surveys sent", "0", ""],
        ["Surveys answered", "0", ""],
        ["Response rate", "no data", ""],
    ]


def test_the_report_totals_the_speed_of_answer_per_contact_channel(store, tmp_path):
    # given a chat answered in 3 minutes and resolved at once, and an e-mail of
    # Friday 16:00 (UTC, 9-17: due Wednesday 16:00) not answered
    tuesday = datetime(2026, 3, 3, 10, tzinfo=UTC)
    Conversation.objects.create(
        channel=store,
        contact_channel="chat",
        sender="+48600000001",
        status="resolved",
        created_at=tuesday,
        opened_at=tuesday,
        first_answered_at=tuesday + timedelta(minutes=3),
        resolved_at=tuesday + timedelta(minutes=10),
        store_replies=1,
    )
    friday = datetime(2026, 3, 6, 16, tzinfo=UTC)
    Conversation.objects.create(
        channel=store,
        contact_channel="email",
        sender="ann@example.com",
        status="waiting_on_store",
        created_at=friday,
        opened_at=friday,
        waiting_since=friday,
    )
    output = tmp_path / "speed.html"

    # when the week is reported (after the e-mail's target has passed)
    call_command(
        "cs_report",
        channel=store.slug,
        since="2026-03-02",
        until="2026-03-09",
        output=str(output),
    )

    # then two rows per contact channel follow the period's totals
    _, report = _read(output)
    assert report.totals[10:] == [
        [
            "E-mail: first answered within target",
            "0.0%",
            "of 1 answered or past target (1 opened)",
        ],
        ["E-mail: resolved at first contact", "no data", ""],
        [
            "Chat: first answered within target",
            "100.0%",
            "of 1 answered or past target (1 opened); median first answer 3 "
            "minutes, 90th percentile 3 minutes",
        ],
        [
            "Chat: resolved at first contact",
            "100.0%",
            "of 1 resolved; median handle time 10 minutes, 90th percentile 10 minutes",
        ],
    ]


def test_names_in_the_report_are_escaped(store, tmp_path):
    store.name = "<script>alert(1)</script> & Co"
    store.save()
    output = tmp_path / "report.html"
    call_command(
        "cs_report",
        channel=store.slug,
        since="2026-03-02",
        until="2026-03-09",
        output=str(output),
    )

    html = output.read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"channel": "nowhere"},
            "--channel: no channel has the slug 'nowhere'; the channels are: main.",
        ),
        (
            {"since": "2026-3-2"},
            "--since: '2026-3-2' is not a day; write it as YYYY-MM-DD, e.g. "
            "2026-11-01.",
        ),
        (
            {"until": "2026-02-30"},
            "--until: '2026-02-30' is not a day; write it as YYYY-MM-DD, e.g. "
            "2026-11-01.",
        ),
        (
            {"since": "2026-03-09", "until": "2026-03-09"},
            "--until: 2026-03-09 is not after --since 2026-03-09; the period is "
            "[since, until), so --until must be a later day (the day after the last "
            "day reported).",
        ),
        (
            {"since": "2026-03-10", "until": "2026-03-09"},
            "--until: 2026-03-09 is not after --since 2026-03-10; the period is "
            "[since, until), so --until must be a later day (the day after the last "
            "day reported).",
        ),
        (
            {"since": "2025-01-01", "until": "2026-03-09"},
            "--until: the period is 432 days; at most 366 are reported at once.",
        ),
        (
            {"repeat_within_days": 0},
            "--repeat-within-days: 0; allowed are 1 to 365.",
        ),
    ],
)
def test_bad_options_are_explained_and_nothing_is_written(
    store, tmp_path, options, message
):
    output = tmp_path / "report.html"
    arguments = {
        "channel": store.slug,
        "since": "2026-03-02",
        "until": "2026-03-09",
        "output": str(output),
        **options,
    }

    with pytest.raises(CommandError) as raised:
        call_command("cs_report", **arguments)

    assert str(raised.value) == message.replace("main", store.slug)
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_cannot_be_written_is_explained(store, tmp_path):
    options = {"channel": store.slug, "since": "2026-03-02", "until": "2026-03-09"}
    # a folder that does not exist
    with pytest.raises(CommandError) as raised:
        call_command("cs_report", output=str(tmp_path / "gone" / "r.html"), **options)
    assert str(raised.value) == (
        f"--output: the folder {tmp_path / 'gone'} does not exist; name a file in "
        "an existing folder."
    )
    # a folder instead of a file
    with pytest.raises(CommandError) as raised:
        call_command("cs_report", output=str(tmp_path), **options)
    assert str(raised.value) == f"--output: {tmp_path} is a folder; name a file in it."
    # a folder nobody may write in (not even the superuser)
    with pytest.raises(CommandError) as raised:
        call_command("cs_report", output="/sys/cs-report.html", **options)
    assert str(raised.value) == (
        "--output: /sys/cs-report.html cannot be written (Permission denied)."
    )
    assert list(tmp_path.iterdir()) == []


def test_a_report_replaces_the_earlier_one_whole(three_weeks, tmp_path):
    output = tmp_path / "report.html"
    output.write_text("the earlier report")

    call_command(
        "cs_report",
        channel=three_weeks.slug,
        since="2026-03-02",
        until="2026-03-23",
        output=str(output),
    )

    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    assert output.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("time_zone", "weeks", "warning"),
    [
        # 9 March, 03:00 UTC is still 8 March in New York: the first week's
        ("America/New_York", {"2026-03-02": "100.0"}, ""),
        ("UTC", {"2026-03-09": "100.0"}, ""),
        # settings no longer valid: UTC days, and the operator is told
        (
            "Mars/Olympus",
            {"2026-03-09": "100.0"},
            "The plugin's settings of 'main' are not valid",
        ),
    ],
)
def test_the_weeks_are_days_of_the_stores_time_zone(
    channel_USD, plugin_configuration, tmp_path, time_zone, weeks, warning
):
    # given: a survey answered satisfied, sent late on Sunday 8 March in New York
    plugin_configuration(time_zone=time_zone)
    sent_at = datetime(2026, 3, 9, 3, tzinfo=UTC)
    sent_survey(
        moment=Moment.AFTER_PROBLEM,
        problem=ProblemKind.CONTACT,
        channel=channel_USD,
        email="fay@example.com",
        sent_at=sent_at,
        satisfied=True,
        first_answered_at=sent_at,
        answered_at=sent_at,
    )
    output = tmp_path / "report.html"
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command(
        "cs_report",
        channel=channel_USD.slug,
        since="2026-03-02",
        until="2026-03-16",
        output=str(output),
        stdout=stdout,
        stderr=stderr,
    )

    _, report = _read(output)
    assert _points(report, "satisfied", "satisfied") == weeks
    assert stderr.getvalue().startswith(warning.replace("main", channel_USD.slug))
    assert bool(stderr.getvalue()) == bool(warning)
    assert stdout.getvalue() == (
        f"Wrote the report of {channel_USD.slug} from 2026-03-02 until 2026-03-16 "
        f"(2 week(s)) to {output}.\n"
    )
