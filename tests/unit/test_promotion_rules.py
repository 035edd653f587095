"""What staff may register as promoted, when the health check alerts, and what an
alert says."""

from datetime import UTC, datetime, timedelta

import pytest

from saleor_cs_plugin.domain.coupons import CodeHealth, HealthCheck
from saleor_cs_plugin.domain.history import Problem
from saleor_cs_plugin.domain.promotion import (
    AlertDecision,
    AlertText,
    alert_decision,
    alert_text,
    check_registration,
    is_promoted,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _registration(**overrides):
    values = {
        "code": "SPRING",
        "code_exists": True,
        "channel_slugs": ["default-channel"],
        "missing_channel_slugs": [],
        "placements": ["popup"],
        "note": "",
        "promoted_until": None,
        "now": NOW,
    }
    values.update(overrides)
    return check_registration(**values)


def test_a_complete_registration_is_accepted():
    assert _registration(promoted_until=NOW + timedelta(days=7), note="Spring") == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"code": " ", "code_exists": False},
            Problem("code", "REQUIRED", "Give the code that is promoted."),
        ),
        (
            {"code_exists": False},
            Problem(
                "code",
                "NOT_FOUND",
                "No voucher has the code 'SPRING'; create the voucher first.",
            ),
        ),
        (
            {"channel_slugs": []},
            Problem(
                "channels", "REQUIRED", "Give at least one channel it is promoted in."
            ),
        ),
        (
            {
                "channel_slugs": ["default-channel", "nope"],
                "missing_channel_slugs": ["nope"],
            },
            Problem(
                "channels", "NOT_FOUND", "There is no channel with the slug 'nope'."
            ),
        ),
        (
            {"channel_slugs": ["a", "b"], "missing_channel_slugs": ["a", "b"]},
            Problem(
                "channels",
                "NOT_FOUND",
                "There are no channels with the slugs 'a', 'b'.",
            ),
        ),
        (
            {"placements": []},
            Problem(
                "placements",
                "REQUIRED",
                "Give at least one placement: POPUP, EMAIL, AFFILIATE, SOCIAL, BANNER, "
                "OTHER.",
            ),
        ),
        (
            {"note": "x" * 501},
            Problem(
                "note",
                "INVALID",
                "The note has 501 characters; at most 500 are allowed.",
            ),
        ),
        (
            {"promoted_until": NOW},
            Problem(
                "promoted_until",
                "INVALID",
                "The date has passed; give a later one, or none while the promotion "
                "has no end.",
            ),
        ),
    ],
)
def test_a_registration_problem_names_its_field(overrides, expected):
    assert _registration(**overrides) == [expected]


def test_every_problem_is_reported_at_once():
    problems = _registration(code_exists=False, channel_slugs=[], placements=[])

    assert [p.field for p in problems] == ["code", "channels", "placements"]


@pytest.mark.parametrize(
    ("promoted_until", "expected"),
    [(None, True), (NOW + timedelta(seconds=1), True), (NOW, False)],
)
def test_a_promotion_ends_at_its_end(promoted_until, expected):
    assert is_promoted(promoted_until, NOW) is expected


@pytest.mark.parametrize(
    ("health", "alerted", "warning_hours", "expected"),
    [
        # a new problem alerts once
        (CodeHealth.EXPIRED, "", 48, AlertDecision(True, "expired")),
        (CodeHealth.EXPIRED, "expired", 48, AlertDecision(False, "expired")),
        # another problem alerts again
        (CodeHealth.USED_UP, "expired", 48, AlertDecision(True, "used_up")),
        (CodeHealth.INACTIVE, "", 0, AlertDecision(True, "inactive")),
        (CodeHealth.NOT_STARTED, "", 48, AlertDecision(True, "not_started")),
        (
            CodeHealth.MISSING_IN_CHANNEL,
            "",
            48,
            AlertDecision(True, "missing_in_channel"),
        ),
        # a warning alerts while the channel warns ahead
        (CodeHealth.EXPIRING_SOON, "", 48, AlertDecision(True, "expiring_soon")),
        (
            CodeHealth.RUNNING_OUT,
            "running_out",
            48,
            AlertDecision(False, "running_out"),
        ),
        (CodeHealth.EXPIRING_SOON, "", 0, AlertDecision(False, "")),
        # then the problem it warned of alerts too
        (CodeHealth.EXPIRED, "expiring_soon", 48, AlertDecision(True, "expired")),
        # healthy again: the next problem is news
        (CodeHealth.HEALTHY, "expired", 48, AlertDecision(False, "")),
        (CodeHealth.HEALTHY, "", 48, AlertDecision(False, "")),
    ],
)
def test_one_alert_per_change_of_health(health, alerted, warning_hours, expected):
    assert (
        alert_decision(health, alerted_health=alerted, warning_hours=warning_hours)
        == expected
    )


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (
            HealthCheck(CodeHealth.EXPIRED, NOW - timedelta(hours=2)),
            AlertText(
                "Promoted code SPRING: expired",
                "The promoted code SPRING expired on 2026-11-23 09:00 (Europe/Warsaw). "
                "Shoppers in the channel 'default-channel' still see it where it is "
                "promoted. Extend or fix the voucher, or stop promoting the code.",
            ),
        ),
        (
            HealthCheck(CodeHealth.USED_UP, None, 0),
            AlertText(
                "Promoted code SPRING: used up",
                "The promoted code SPRING has been used as many times as it could be. "
                "Shoppers in the channel 'default-channel' still see it where it is "
                "promoted. Extend or fix the voucher, or stop promoting the code.",
            ),
        ),
        (
            HealthCheck(CodeHealth.MISSING_IN_CHANNEL),
            AlertText(
                "Promoted code SPRING: not available",
                "The promoted code SPRING does not exist or is not available in the "
                "channel 'default-channel'. Shoppers in the channel 'default-channel' "
                "still see it where it is promoted. Extend or fix the voucher, or stop "
                "promoting the code.",
            ),
        ),
        (
            HealthCheck(CodeHealth.RUNNING_OUT, NOW + timedelta(hours=12), 6),
            AlertText(
                "Promoted code SPRING: runs out soon",
                "The promoted code SPRING has 6 uses left; at the pace of the last 24 "
                "hours it runs out around 2026-11-23 23:00 (Europe/Warsaw). It is "
                "promoted in the channel 'default-channel'. Extend or fix the voucher, "
                "or stop promoting the code.",
            ),
        ),
    ],
)
def test_alert_text(check, expected):
    assert (
        alert_text("SPRING", "default-channel", check, time_zone="Europe/Warsaw")
        == expected
    )
