"""How a channel's status lines read, from plain counts."""

import pytest

from saleor_cs_plugin.domain.status import (
    FIELD_NAMES,
    ChannelCounts,
    failed_notices_line,
    on_time_shipping_line,
    orders_at_risk_line,
    promoted_codes_line,
    shorten_reason,
    staff_alerts_line,
    status_lines,
    survey_response_rate_line,
    survey_satisfied_line,
    unavailable_lines,
)

NO_APP = (
    "Saleor notify: no app receives Saleor's notifications (NOTIFY_USER webhook); "
    "choose the email or webhook transport, or install such an app."
)


@pytest.mark.parametrize(
    ("open_alerts", "line"),
    [
        ({}, "none"),
        ({"promoted_code": 0}, "none"),
        ({"promoted_code": 1}, "1 open: 1 promoted code"),
        (
            {"notice_delivery": 1, "promoted_code": 1},
            "2 open: 1 promoted code, 1 delivery problem",
        ),
        (
            {"promoted_code": 1, "shortage_choice": 3, "notice_delivery": 2},
            "6 open: 3 shortage choices, 2 delivery problems, 1 promoted code",
        ),
        (
            {"promoted_code": 2, "stock_report": 1},
            "3 open: 2 promoted codes, 1 stock report",
        ),
    ],
)
def test_open_staff_alerts_are_counted_by_kind_most_first(open_alerts, line):
    assert staff_alerts_line(open_alerts) == line


@pytest.mark.parametrize(
    ("failed", "reasons", "line"),
    [
        (0, (), "none"),
        (
            21,
            ((NO_APP, 21),),
            "21 failed: 21 × Saleor notify: no app receives Saleor's notifications…",
        ),
        (
            3,
            (
                ("Webhook: HTTP 401 Unauthorized", 1),
                ("SMTP: authentication failed (535)", 2),
            ),
            "3 failed: 2 × SMTP: authentication failed (535); 1 × Webhook: HTTP 401 "
            "Unauthorized",
        ),
        (
            7,
            (("SMTP: a", 3), ("SMTP: b", 2), ("SMTP: c", 1)),
            "7 failed: 3 × SMTP: a; 2 × SMTP: b; 2 × other reasons",
        ),
        (
            6,
            (("SMTP: a", 3), ("SMTP: b", 2), ("SMTP: c", 1)),
            "6 failed: 3 × SMTP: a; 2 × SMTP: b; 1 × another reason",
        ),
        # Errors that differ only after their first clause are one reason.
        (
            4,
            (("Webhook: HTTP 404; try a", 1), ("Webhook: HTTP 404; try b", 3)),
            "4 failed: 4 × Webhook: HTTP 404",
        ),
        # Equal counts: in the order of the reasons' words.
        (2, (("SMTP: b", 1), ("SMTP: a", 1)), "2 failed: 1 × SMTP: a; 1 × SMTP: b"),
        (1, (("", 1),), "1 failed: 1 × no reason recorded"),
    ],
)
def test_failed_notices_name_their_most_frequent_reasons(failed, reasons, line):
    assert failed_notices_line(failed, reasons) == line


@pytest.mark.parametrize(
    ("reason", "short"),
    [
        ("SMTP: authentication failed (535)", "SMTP: authentication failed (535)"),
        (NO_APP, "Saleor notify: no app receives Saleor's notifications…"),
        ("Webhook: HTTP 500\n  Internal   error.", "Webhook: HTTP 500 Internal error"),
        ("x" * 80, "x" * 59 + "…"),
        (
            "Webhook: HTTP 400 " + "bad " * 20,
            "Webhook: HTTP 400 bad bad bad bad bad bad bad bad bad bad…",
        ),
        ("   ", "no reason recorded"),
    ],
)
def test_a_reason_is_cut_to_its_gist(reason, short):
    assert shorten_reason(reason) == short
    assert len(shorten_reason(reason)) <= 60


@pytest.mark.parametrize(
    ("late", "at_risk", "line"),
    [
        (0, 0, "none"),
        (2, 0, "2 late"),
        (0, 3, "3 at risk"),
        (2, 3, "2 late, 3 at risk"),
    ],
)
def test_late_orders_come_before_orders_at_risk(late, at_risk, line):
    assert orders_at_risk_line(late=late, at_risk=at_risk) == line


@pytest.mark.parametrize(
    ("codes_by_health", "line"),
    [
        ({}, "none"),
        ({"healthy": 4, "": 2}, "none"),
        ({"used_up": 1}, "1 code: 1 used up"),
        ({"expiring_soon": 1, "expired": 1}, "2 codes: 1 expired, 1 expires soon"),
        (
            {"running_out": 3, "inactive": 1, "missing_in_channel": 2},
            "6 codes: 2 not available, 1 deactivated, 3 runs out soon",
        ),
        ({"not_started": 1, "forgotten": 1}, "2 codes: 1 not started yet, 1 forgotten"),
    ],
)
def test_codes_that_stopped_working_come_before_warnings(codes_by_health, line):
    assert promoted_codes_line(codes_by_health) == line


@pytest.mark.parametrize(
    ("shipped", "on_time", "line"),
    [
        (0, 0, "no shipped orders yet"),
        (51, 48, "94% of 51 orders"),
        (1, 1, "100% of 1 order"),
        (1, 0, "0% of 1 order"),
        # Rounded down: one late order in 200 is not "100%".
        (200, 199, "99% of 200 orders"),
        (3, 2, "66% of 3 orders"),
    ],
)
def test_on_time_shipping_is_a_share_of_shipped_orders(shipped, on_time, line):
    assert on_time_shipping_line(shipped=shipped, on_time=on_time) == line


@pytest.mark.parametrize(
    ("answers", "satisfied", "line"),
    [
        (0, 0, "no answers yet"),
        (25, 22, "88% of 25 answers"),
        (1, 1, "100% of 1 answer"),
        (1, 0, "0% of 1 answer"),
        # Rounded down: one unhappy customer in 200 is not "100%".
        (200, 199, "99% of 200 answers"),
        (3, 2, "66% of 3 answers"),
    ],
)
def test_satisfied_customers_are_a_share_of_the_answers(answers, satisfied, line):
    assert survey_satisfied_line(answers=answers, satisfied=satisfied) == line


@pytest.mark.parametrize(
    ("sent", "answered", "line"),
    [
        (0, 0, "no surveys sent yet"),
        (80, 25, "31% of 80 surveys"),
        (1, 1, "100% of 1 survey"),
        (1, 0, "0% of 1 survey"),
        (300, 299, "99% of 300 surveys"),
    ],
)
def test_the_response_rate_is_a_share_of_the_surveys_sent(sent, answered, line):
    assert survey_response_rate_line(sent=sent, answered=answered) == line


def test_a_quiet_channel_says_none_on_every_line():
    assert status_lines(ChannelCounts()) == {
        "status_staff_alerts": "none",
        "status_failed_notices": "none",
        "status_orders_at_risk": "none",
        "status_promoted_codes": "none",
        "status_on_time_shipping": "no shipped orders yet",
        "status_survey_satisfied": "no answers yet",
        "status_survey_response_rate": "no surveys sent yet",
    }


def test_every_line_of_a_busy_channel():
    counts = ChannelCounts(
        open_alerts={"promoted_code": 1, "notice_delivery": 1},
        failed_notices=3,
        failure_reasons=((NO_APP, 2), ("Webhook: HTTP 401", 1)),
        late_orders=1,
        at_risk_orders=2,
        codes_by_health={"expired": 1},
        shipped_orders=51,
        shipped_on_time=48,
        surveys_sent=80,
        surveys_answered=25,
        satisfied_answers=25,
        satisfied_yes=22,
    )

    assert status_lines(counts) == {
        "status_staff_alerts": "2 open: 1 promoted code, 1 delivery problem",
        "status_failed_notices": (
            "3 failed: 2 × Saleor notify: no app receives Saleor's notifications…; "
            "1 × Webhook: HTTP 401"
        ),
        "status_orders_at_risk": "1 late, 2 at risk",
        "status_promoted_codes": "1 code: 1 expired",
        "status_on_time_shipping": "94% of 51 orders",
        "status_survey_satisfied": "88% of 25 answers",
        "status_survey_response_rate": "31% of 80 surveys",
    }


def test_unavailable_lines_say_so_on_every_field():
    assert unavailable_lines() == dict.fromkeys(FIELD_NAMES, "unavailable right now")
    assert list(unavailable_lines()) == [
        "status_staff_alerts",
        "status_failed_notices",
        "status_orders_at_risk",
        "status_promoted_codes",
        "status_on_time_shipping",
        "status_survey_satisfied",
        "status_survey_response_rate",
    ]
