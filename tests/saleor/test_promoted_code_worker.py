"""The promoted-code health check as beat runs it: two checks racing on separate
database connections alert about each code once."""

from datetime import UTC, datetime, timedelta

import pytest
from prices import Money
from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode

from peers import drop_channel, race, webhook_channel
from saleor_cs_plugin import promoted_codes
from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.models import Notice, PromotedCode, StaffAlert

# Committed data on separate connections, as in the notice-worker tests.
from test_notice_worker import (  # noqa: F401 - fixtures
    WEBHOOK_SECRET,
    db_access,
    default_customer_type,
    default_tax_class,
    receiver,
    site_settings,
)

pytestmark = pytest.mark.django_db(
    transaction=True, available_apps=["saleor_cs_plugin"]
)

CODES = 20


@pytest.fixture
def expired_codes(db_access, receiver):
    """A store alerting marketing@example.com, promoting twenty expired codes."""
    channel = webhook_channel(
        receiver.url, WEBHOOK_SECRET, promoted_code_staff_email="marketing@example.com"
    )
    vouchers = []
    for number in range(CODES):
        voucher = Voucher.objects.create(
            name=f"race-{number}", end_date=datetime.now(UTC) - timedelta(hours=1)
        )
        VoucherCode.objects.create(code=f"{channel.slug}-{number}", voucher=voucher)
        VoucherChannelListing.objects.create(
            voucher=voucher, channel=channel, discount=Money(5, "USD")
        )
        PromotedCode.objects.create(
            code=f"{channel.slug}-{number}", channel=channel, placements=["email"]
        )
        vouchers.append(voucher)
    yield channel
    PromotedCode.objects.filter(channel=channel).delete()
    StaffAlert.objects.filter(channel=channel).delete()
    # Saleor's apps are left out of this test's app registry (available_apps), so
    # deleting a voucher would not cascade: its rows go first.
    VoucherChannelListing.objects.filter(voucher__in=vouchers).delete()
    VoucherCode.objects.filter(voucher__in=vouchers).delete()
    Voucher.objects.filter(pk__in=[voucher.pk for voucher in vouchers]).delete()
    drop_channel(channel)


def test_two_checks_racing_on_their_own_connections_alert_once(expired_codes):
    now = datetime.now(UTC)

    # when
    results = race(
        lambda: promoted_codes.check_promoted_codes(now),
        lambda: promoted_codes.check_promoted_codes(now),
    )

    # then each code was alerted about once, by one check or the other
    assert len(results) == 2
    alerted = [
        alert.promoted_code.code for result in results for alert in result.alerts
    ]
    assert len(alerted) == CODES
    assert len(set(alerted)) == CODES
    alerts = StaffAlert.objects.filter(channel=expired_codes)
    assert alerts.count() == CODES
    assert len({alert.details["code"] for alert in alerts}) == CODES
    assert {alert.occurrences for alert in alerts} == {1}
    notices = Notice.objects.filter(
        channel=expired_codes, notice_type=NoticeType.STAFF_ALERT
    )
    assert notices.count() == CODES
    assert set(
        PromotedCode.objects.filter(channel=expired_codes).values_list(
            "health", "alerted_health"
        )
    ) == {("expired", "expired")}
