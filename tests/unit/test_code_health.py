"""How a promoted code stands in one channel: broken, about to stop, or healthy."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from saleor_cs_plugin.domain.coupons import (
    PROBLEM_HEALTH,
    WARNING_HEALTH,
    ChannelListing,
    CodeHealth,
    HealthCheck,
    VoucherFacts,
    code_health,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
WARN = timedelta(hours=48)
LISTING = ChannelListing(discount_value=Decimal(10), currency="USD")


def _voucher(**overrides) -> VoucherFacts:
    return VoucherFacts(code="SPRING", listing=LISTING, **overrides)


@pytest.mark.parametrize(
    ("voucher", "is_listed", "uses_last_day", "expected"),
    [
        # no voucher has the code
        (None, True, 0, HealthCheck(CodeHealth.MISSING_IN_CHANNEL)),
        # no limits at all
        (_voucher(), True, 0, HealthCheck(CodeHealth.HEALTHY)),
        (_voucher(), True, 500, HealthCheck(CodeHealth.HEALTHY)),
        # deactivated code: reported first, with the uses left
        (
            _voucher(code_is_active=False, usage_limit=10, used=4),
            True,
            0,
            HealthCheck(CodeHealth.INACTIVE, remaining_uses=6),
        ),
        # ended an hour ago
        (
            _voucher(end_date=NOW - HOUR),
            True,
            0,
            HealthCheck(CodeHealth.EXPIRED, NOW - HOUR),
        ),
        # expiry comes before the usage limit
        (
            _voucher(end_date=NOW - HOUR, usage_limit=5, used=5),
            True,
            0,
            HealthCheck(CodeHealth.EXPIRED, NOW - HOUR, 0),
        ),
        # used up: it ended with the order that used the last use
        (
            _voucher(usage_limit=5, used=5, last_used_at=NOW - 3 * HOUR),
            True,
            0,
            HealthCheck(CodeHealth.USED_UP, NOW - 3 * HOUR, 0),
        ),
        (
            _voucher(usage_limit=5, used=7),
            True,
            0,
            HealthCheck(CodeHealth.USED_UP, None, 0),
        ),
        # not listed in the channel
        (
            _voucher(end_date=NOW + 100 * HOUR, usage_limit=5, used=1),
            False,
            0,
            HealthCheck(CodeHealth.MISSING_IN_CHANNEL, NOW + 100 * HOUR, 4),
        ),
        # starts tomorrow
        (
            _voucher(start_date=NOW + 24 * HOUR),
            True,
            0,
            HealthCheck(CodeHealth.NOT_STARTED),
        ),
        # ends within the warning hours, and exactly at their edge
        (
            _voucher(end_date=NOW + 47 * HOUR),
            True,
            0,
            HealthCheck(CodeHealth.EXPIRING_SOON, NOW + 47 * HOUR),
        ),
        (
            _voucher(end_date=NOW + WARN),
            True,
            0,
            HealthCheck(CodeHealth.EXPIRING_SOON, NOW + WARN),
        ),
        (
            _voucher(end_date=NOW + WARN + HOUR),
            True,
            0,
            HealthCheck(CodeHealth.HEALTHY, NOW + WARN + HOUR),
        ),
        # 10 uses left at 5 a day: gone in 48 hours, at the edge of the warning
        (
            _voucher(usage_limit=20, used=10),
            True,
            5,
            HealthCheck(CodeHealth.RUNNING_OUT, NOW + 48 * HOUR, 10),
        ),
        # 10 uses left at 20 a day: gone in 12 hours
        (
            _voucher(usage_limit=20, used=10),
            True,
            20,
            HealthCheck(CodeHealth.RUNNING_OUT, NOW + 12 * HOUR, 10),
        ),
        # 10 uses left at 4 a day: 60 hours, past the warning
        (
            _voucher(usage_limit=20, used=10),
            True,
            4,
            HealthCheck(CodeHealth.HEALTHY, None, 10),
        ),
        # no uses in the last day: no pace, no run-out
        (
            _voucher(usage_limit=20, used=19),
            True,
            0,
            HealthCheck(CodeHealth.HEALTHY, None, 1),
        ),
        # expiring soon is told before running out
        (
            _voucher(end_date=NOW + 2 * HOUR, usage_limit=20, used=19),
            True,
            50,
            HealthCheck(CodeHealth.EXPIRING_SOON, NOW + 2 * HOUR, 1),
        ),
    ],
)
def test_code_health(voucher, is_listed, uses_last_day, expected):
    assert (
        code_health(
            voucher,
            channel_is_listed=is_listed,
            uses_last_day=uses_last_day,
            now=NOW,
            warn=WARN,
        )
        == expected
    )


def test_without_warning_hours_only_problems_are_reported():
    # given a code that ends in a minute and runs out within the hour
    voucher = _voucher(end_date=NOW + timedelta(minutes=1), usage_limit=2, used=1)

    check = code_health(
        voucher, channel_is_listed=True, uses_last_day=100, now=NOW, warn=timedelta(0)
    )

    assert check == HealthCheck(CodeHealth.HEALTHY, NOW + timedelta(minutes=1), 1)


def test_every_health_but_healthy_is_a_problem_or_a_warning():
    assert PROBLEM_HEALTH | WARNING_HEALTH == set(CodeHealth) - {CodeHealth.HEALTHY}
    assert not PROBLEM_HEALTH & WARNING_HEALTH
