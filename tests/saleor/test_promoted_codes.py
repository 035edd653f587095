"""Promoted codes through /graphql/ (register, end, list with health), the periodic
health check that alerts staff, and the failure counts staff read."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time
from prices import Money
from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order import OrderOrigin, OrderStatus
from saleor.order.models import Order
from storefront import signed_in_now

from conftest import WEBHOOK_SECRET
from saleor_cs_plugin import promoted_codes, staff_alerts, tasks
from saleor_cs_plugin.apps import SWEEP_PROMOTED_CODES_BEAT_ENTRY
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType
from saleor_cs_plugin.models import (
    CouponFailure,
    Notice,
    PromotedCode,
    ServiceHistoryEntry,
    StaffAlert,
)

pytestmark = pytest.mark.django_db

# Later than the real time the fixtures' vouchers start at.
NOW = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

FIELDS = """
  code channelSlug placements promotedUntil isPromoted note health endsAt
  remainingUses checkedAt
"""

REGISTER = f"""
mutation Register($input: PromotedCodeRegisterInput!) {{
  servicePromotedCodeRegister(input: $input) {{
    promotedCodes {{ {FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""

REMOVE = f"""
mutation Remove($code: String!, $channels: [String!]) {{
  servicePromotedCodeRemove(code: $code, channels: $channels) {{
    promotedCodes {{ {FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""

PROMOTED_CODES = f"""
query Promoted($channel: String, $health: [PromotedCodeHealthEnum!],
               $includeEnded: Boolean) {{
  servicePromotedCodes(channel: $channel, health: $health, includeEnded: $includeEnded) {{
    {FIELDS}
  }}
}}
"""

FAILURE_STATS = """
query Stats($since: DateTime!, $until: DateTime, $channel: String) {
  serviceCouponFailureStats(since: $since, until: $until, channel: $channel) {
    code reason count
  }
}
"""


def _voucher(code, channels, *, used=0, is_active=True, **fields):
    """A voucher with one code, listed in ``channels``; ``used`` uses so far."""
    fields.setdefault("start_date", NOW - timedelta(days=30))
    voucher = Voucher.objects.create(name=code, **fields)
    VoucherCode.objects.create(
        code=code, voucher=voucher, used=used, is_active=is_active
    )
    for channel in channels:
        VoucherChannelListing.objects.create(
            voucher=voucher, channel=channel, discount=Money(5, channel.currency_code)
        )
    return voucher


def _orders(voucher, channel, *created_at, status=OrderStatus.UNFULFILLED):
    Order.objects.bulk_create(
        Order(
            channel=channel,
            voucher=voucher,
            voucher_code=voucher.codes.first().code,
            user_email="shopper@example.com",
            currency=channel.currency_code,
            origin=OrderOrigin.CHECKOUT,
            status=status,
            created_at=moment,
            lines_count=1,
        )
        for moment in created_at
    )


def _promote(code, channel, **fields):
    return PromotedCode.objects.create(
        code=code, channel=channel, placements=["popup"], **fields
    )


def _post(client, query, variables=None):
    return get_graphql_content(signed_in_now(client).post_graphql(query, variables))


@pytest.fixture
def manager(caller):
    """Staff holding MANAGE_DISCOUNTS (Saleor does not limit discounts to channels)."""
    return caller("staff_api_client", "permission_manage_discounts")


# Registering ----------------------------------------------------------------------


def test_registering_a_code_records_it_per_channel_with_its_health(
    manager, voucher, channel_USD, channel_PLN, plugin_configuration
):
    # given the "mirumee" voucher, listed in the USD channel only
    plugin_configuration()
    promoted_until = NOW + timedelta(days=7)

    # when
    with freeze_time(NOW):
        result = _post(
            manager,
            REGISTER,
            {
                "input": {
                    "code": "mirumee",
                    "channels": [channel_USD.slug, channel_PLN.slug],
                    "placements": ["POPUP", "EMAIL"],
                    "promotedUntil": promoted_until.isoformat(),
                    "note": "  Spring newsletter ",
                }
            },
        )["data"]["servicePromotedCodeRegister"]

    # then
    assert result["errors"] == []
    common = {
        "code": "mirumee",
        "placements": ["POPUP", "EMAIL"],
        "promotedUntil": promoted_until.isoformat(),
        "isPromoted": True,
        "note": "Spring newsletter",
        "endsAt": None,
        "remainingUses": None,
        "checkedAt": None,
    }
    assert result["promotedCodes"] == [
        {**common, "channelSlug": "c-pln", "health": "MISSING_IN_CHANNEL"},
        {**common, "channelSlug": "main", "health": "HEALTHY"},
    ]
    rows = PromotedCode.objects.order_by("channel__slug")
    assert [(r.code, r.channel_id, r.placements) for r in rows] == [
        ("mirumee", channel_PLN.pk, ["popup", "email"]),
        ("mirumee", channel_USD.pk, ["popup", "email"]),
    ]


def test_registering_a_code_again_updates_it(manager, voucher, channel_USD):
    _promote("mirumee", channel_USD, note="Old", promoted_until=NOW + HOUR)

    with freeze_time(NOW):
        result = _post(
            manager,
            REGISTER,
            {
                "input": {
                    "code": "mirumee",
                    "channels": [channel_USD.slug],
                    "placements": ["AFFILIATE"],
                }
            },
        )["data"]["servicePromotedCodeRegister"]

    assert result["errors"] == []
    row = PromotedCode.objects.get()
    assert (row.placements, row.promoted_until, row.note) == (["affiliate"], None, "")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"code": "NO-SUCH-CODE"},
            [
                {
                    "field": "code",
                    "code": "NOT_FOUND",
                    "message": "No voucher has the code 'NO-SUCH-CODE'; create the "
                    "voucher first.",
                }
            ],
        ),
        (
            {"channels": ["main", "nowhere"]},
            [
                {
                    "field": "channels",
                    "code": "NOT_FOUND",
                    "message": "There is no channel with the slug 'nowhere'.",
                }
            ],
        ),
        (
            {"placements": []},
            [
                {
                    "field": "placements",
                    "code": "REQUIRED",
                    "message": "Give at least one placement: POPUP, EMAIL, AFFILIATE, "
                    "SOCIAL, BANNER, OTHER.",
                }
            ],
        ),
        (
            {"channels": []},
            [
                {
                    "field": "channels",
                    "code": "REQUIRED",
                    "message": "Give at least one channel it is promoted in.",
                }
            ],
        ),
        (
            {"promotedUntil": (NOW - HOUR).isoformat()},
            [
                {
                    "field": "promotedUntil",
                    "code": "INVALID",
                    "message": "The date has passed; give a later one, or none while "
                    "the promotion has no end.",
                }
            ],
        ),
    ],
)
def test_a_registration_is_rejected_with_the_reason(
    manager, voucher, channel_USD, changes, expected
):
    variables = {
        "input": {"code": "mirumee", "channels": ["main"], "placements": ["SOCIAL"]}
    }
    variables["input"].update(changes)

    with freeze_time(NOW):
        result = _post(manager, REGISTER, variables)["data"][
            "servicePromotedCodeRegister"
        ]

    assert result == {"promotedCodes": None, "errors": expected}
    assert PromotedCode.objects.exists() is False


# Ending a promotion ----------------------------------------------------------------


def test_removing_ends_the_promotion_and_keeps_the_record(
    manager, voucher, channel_USD, channel_PLN
):
    _promote("mirumee", channel_USD)
    _promote("mirumee", channel_PLN)

    with freeze_time(NOW):
        result = _post(manager, REMOVE, {"code": "mirumee", "channels": ["main"]})
        listed = _post(manager, PROMOTED_CODES)["data"]["servicePromotedCodes"]
        everything = _post(manager, PROMOTED_CODES, {"includeEnded": True})["data"][
            "servicePromotedCodes"
        ]

    ended = result["data"]["servicePromotedCodeRemove"]
    assert ended["errors"] == []
    assert [(r["channelSlug"], r["isPromoted"]) for r in ended["promotedCodes"]] == [
        ("main", False)
    ]
    assert ended["promotedCodes"][0]["promotedUntil"] == NOW.isoformat()
    assert [r["channelSlug"] for r in listed] == ["c-pln"]
    assert sorted((r["channelSlug"], r["isPromoted"]) for r in everything) == [
        ("c-pln", True),
        ("main", False),
    ]


def test_removing_a_code_not_promoted_is_an_error(manager, voucher, channel_USD):
    _promote("mirumee", channel_USD, promoted_until=NOW - HOUR)

    with freeze_time(NOW):
        result = _post(manager, REMOVE, {"code": "mirumee"})

    assert result["data"]["servicePromotedCodeRemove"] == {
        "promotedCodes": None,
        "errors": [
            {
                "field": "code",
                "code": "NOT_FOUND",
                "message": "The code 'mirumee' is not promoted in any channel.",
            }
        ],
    }
    assert PromotedCode.objects.get().promoted_until == NOW - HOUR


# Who may ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "permission_name", "is_allowed"),
    [
        ("api_client", None, False),
        ("user_api_client", None, False),
        ("staff_api_client", None, False),
        ("staff_api_client", "permission_manage_orders", False),
        ("staff_api_client", "permission_manage_discounts", True),
        ("app_api_client", None, False),
        ("app_api_client", "permission_manage_discounts", True),
    ],
)
def test_only_staff_and_apps_managing_discounts_see_and_change_promoted_codes(
    caller, voucher, channel_USD, client_name, permission_name, is_allowed
):
    _promote("mirumee", channel_USD)
    CouponFailure.objects.create(code="mirumee", reason="expired", channel=channel_USD)
    client = caller(client_name, permission_name)
    operations = [
        (PROMOTED_CODES, {}, "servicePromotedCodes"),
        (
            FAILURE_STATS,
            {"since": (NOW - HOUR).isoformat()},
            "serviceCouponFailureStats",
        ),
        (
            REGISTER,
            {
                "input": {
                    "code": "mirumee",
                    "channels": ["main"],
                    "placements": ["BANNER"],
                }
            },
            "servicePromotedCodeRegister",
        ),
        (REMOVE, {"code": "mirumee"}, "servicePromotedCodeRemove"),
    ]

    for query, variables, field in operations:
        with freeze_time(NOW):
            content = signed_in_now(client).post_graphql(query, variables).json()

        if is_allowed:
            assert "errors" not in content, field
            assert content["data"][field] is not None
        else:
            assert content["errors"][0]["extensions"]["exception"]["code"] == (
                "PermissionDenied"
            ), field
            assert (content.get("data") or {}).get(field) is None
    row = PromotedCode.objects.get()
    assert row.placements == (["banner"] if is_allowed else ["popup"])
    assert (row.promoted_until == NOW) is is_allowed


# Health ----------------------------------------------------------------------------


def _healthy(channel):
    _voucher("SPRING", [channel], end_date=NOW + timedelta(days=10))
    return {"health": "HEALTHY", "endsAt": (NOW + timedelta(days=10)).isoformat()}


def _expired(channel):
    _voucher("SPRING", [channel], end_date=NOW - HOUR)
    return {"health": "EXPIRED", "endsAt": (NOW - HOUR).isoformat()}


def _used_up(channel):
    voucher = _voucher("SPRING", [channel], usage_limit=3, used=3)
    _orders(voucher, channel, NOW - 30 * HOUR, NOW - 5 * HOUR)
    return {
        "health": "USED_UP",
        "endsAt": (NOW - 5 * HOUR).isoformat(),
        "remainingUses": 0,
    }


def _inactive(channel):
    _voucher("SPRING", [channel], is_active=False, usage_limit=10, used=2)
    return {"health": "INACTIVE", "remainingUses": 8}


def _not_listed(channel):
    _voucher("SPRING", [], end_date=NOW + timedelta(days=10))
    return {
        "health": "MISSING_IN_CHANNEL",
        "endsAt": (NOW + timedelta(days=10)).isoformat(),
    }


def _no_voucher(channel):
    return {"health": "MISSING_IN_CHANNEL"}


def _not_started(channel):
    _voucher("SPRING", [channel], start_date=NOW + timedelta(days=1))
    return {"health": "NOT_STARTED"}


def _expiring_soon(channel):
    _voucher("SPRING", [channel], end_date=NOW + 47 * HOUR)
    return {"health": "EXPIRING_SOON", "endsAt": (NOW + 47 * HOUR).isoformat()}


def _running_out(channel):
    # 4 uses left; 2 orders in the last 24 hours (an older one and a draft do not
    # count): at that pace it runs out in 48 hours, within the warning hours.
    voucher = _voucher("SPRING", [channel], usage_limit=10, used=6)
    _orders(voucher, channel, NOW - 25 * HOUR, NOW - 20 * HOUR, NOW - 1 * HOUR)
    _orders(voucher, channel, NOW - HOUR, status=OrderStatus.DRAFT)
    return {
        "health": "RUNNING_OUT",
        "endsAt": (NOW + 48 * HOUR).isoformat(),
        "remainingUses": 4,
    }


def _slow_pace(channel):
    # 4 uses left at 1 a day: 96 hours, past the warning hours
    voucher = _voucher("SPRING", [channel], usage_limit=10, used=6)
    _orders(voucher, channel, NOW - 2 * HOUR)
    return {"health": "HEALTHY", "remainingUses": 4}


@pytest.mark.parametrize(
    "given",
    [
        _healthy,
        _expired,
        _used_up,
        _inactive,
        _not_listed,
        _no_voucher,
        _not_started,
        _expiring_soon,
        _running_out,
        _slow_pace,
    ],
)
def test_health_of_a_promoted_code(manager, channel_USD, plugin_configuration, given):
    # given the default 48 warning hours
    plugin_configuration()
    with freeze_time(NOW):
        expected = {"endsAt": None, "remainingUses": None, **given(channel_USD)}
    _promote("SPRING", channel_USD)

    with freeze_time(NOW):
        (listed,) = _post(manager, PROMOTED_CODES)["data"]["servicePromotedCodes"]

    assert {key: listed[key] for key in expected} == expected


def test_warning_hours_of_the_channel_decide_what_is_soon(
    manager, channel_USD, plugin_configuration
):
    plugin_configuration(promoted_code_warning_hours="12")
    _voucher("SPRING", [channel_USD], end_date=NOW + 13 * HOUR)
    _voucher("SUMMER", [channel_USD], end_date=NOW + 11 * HOUR)
    _promote("SPRING", channel_USD)
    _promote("SUMMER", channel_USD)

    with freeze_time(NOW):
        listed = _post(manager, PROMOTED_CODES)["data"]["servicePromotedCodes"]

    assert [(r["code"], r["health"]) for r in listed] == [
        ("SPRING", "HEALTHY"),
        ("SUMMER", "EXPIRING_SOON"),
    ]


def test_listing_filters_by_channel_and_health(manager, channel_USD, channel_PLN):
    _voucher("SPRING", [channel_USD, channel_PLN], end_date=NOW - HOUR)
    _voucher("SUMMER", [channel_USD, channel_PLN])
    for code in ("SPRING", "SUMMER"):
        _promote(code, channel_USD)
        _promote(code, channel_PLN)

    with freeze_time(NOW):
        expired = _post(manager, PROMOTED_CODES, {"health": ["EXPIRED", "USED_UP"]})
        in_pln = _post(manager, PROMOTED_CODES, {"channel": "c-pln"})
        unknown = (
            signed_in_now(manager)
            .post_graphql(PROMOTED_CODES, {"channel": "nowhere"})
            .json()
        )

    pairs = lambda content: [  # noqa: E731
        (r["code"], r["channelSlug"]) for r in content["data"]["servicePromotedCodes"]
    ]
    assert sorted(pairs(expired)) == [("SPRING", "c-pln"), ("SPRING", "main")]
    assert pairs(in_pln) == [("SPRING", "c-pln"), ("SUMMER", "c-pln")]
    assert unknown["errors"][0]["message"] == (
        "channel: There is no channel with the slug 'nowhere'."
    )


def test_health_of_many_codes_takes_a_constant_number_of_queries(
    manager, channel_USD, channel_PLN, plugin_configuration
):
    plugin_configuration()

    def listed_with_queries():
        with freeze_time(NOW):
            signed_in_now(manager)
            with CaptureQueriesContext(connection) as queries:
                listed = _post(manager, PROMOTED_CODES)["data"]["servicePromotedCodes"]
        return listed, len(queries.captured_queries)

    voucher = _voucher("CODE-0", [channel_USD], usage_limit=100, used=1)
    _orders(voucher, channel_USD, NOW - HOUR)
    _promote("CODE-0", channel_USD)
    # The first request of a test reads what Saleor caches for later ones.
    listed_with_queries()
    one, queries_for_one = listed_with_queries()
    for number in range(1, 5):
        voucher = _voucher(
            f"CODE-{number}", [channel_USD, channel_PLN], usage_limit=100, used=number
        )
        _orders(voucher, channel_USD, NOW - HOUR)
        _promote(f"CODE-{number}", channel_USD if number % 2 else channel_PLN)

    five, queries_for_five = listed_with_queries()

    assert len(one) == 1
    assert len(five) == 5
    assert queries_for_five == queries_for_one


# The periodic check ----------------------------------------------------------------


@pytest.fixture
def watched(plugin_configuration, channel_USD):
    """The plugin active in the USD channel, alerting marketing@example.com, and the
    code SPRING promoted there."""

    def watch(**settings):
        plugin_configuration(
            **{"promoted_code_staff_email": "Marketing@Example.com", **settings}
        )
        return _promote("SPRING", channel_USD)

    return watch


def _alerts():
    return list(StaffAlert.objects.order_by("created_at"))


def _alert_notices():
    return list(
        Notice.objects.filter(notice_type=NoticeType.STAFF_ALERT).order_by("created_at")
    )


def test_an_expired_promoted_code_alerts_staff_once(watched, channel_USD):
    # given
    row = watched()
    _voucher("SPRING", [channel_USD], end_date=NOW - HOUR)

    # when the check runs twice
    first = promoted_codes.check_promoted_codes(NOW)
    second = promoted_codes.check_promoted_codes(NOW + 15 * timedelta(minutes=1))

    # then one alert in the staff inbox, and one notice for staff
    message = (
        "The promoted code SPRING expired on 2030-03-04 09:00 (UTC). Shoppers in the "
        "channel 'main' still see it where it is promoted. Extend or fix the voucher, "
        "or stop promoting the code."
    )
    details = {
        "promotedCodeId": str(row.pk),
        "code": "SPRING",
        "channel": "main",
        "health": "expired",
        "endsAt": (NOW - HOUR).isoformat(),
        "remainingUses": None,
    }
    (alert,) = _alerts()
    assert (alert.kind, alert.cause_key, alert.channel_id, alert.order_id) == (
        "promoted_code",
        f"promoted_code:{row.pk}:expired:never",
        channel_USD.pk,
        None,
    )
    assert (alert.title, alert.message, alert.details) == (
        "Promoted code SPRING: expired",
        message,
        details,
    )
    assert (alert.created_at, alert.last_seen_at, alert.occurrences) == (NOW, NOW, 1)
    assert alert.resolved_at is None
    assert first.alert_ids == [alert.pk]
    assert second.alert_ids == []
    # Staff alerts are no longer written into the customers' service history.
    assert ServiceHistoryEntry.objects.exists() is False
    (notice,) = _alert_notices()
    assert first.notice_ids == [notice.pk]
    assert second.notice_ids == []
    assert (notice.recipient_email, notice.status, notice.channel_id) == (
        "marketing@example.com",
        NoticeStatus.PENDING,
        channel_USD.pk,
    )
    assert notice.context == {
        "subject": "Promoted code SPRING: expired",
        "message": message,
        "customer_name": "team",
        "data": details,
    }
    row.refresh_from_db()
    assert (row.health, row.alerted_health, row.health_checked_at) == (
        "expired",
        "expired",
        NOW + 15 * timedelta(minutes=1),
    )


def test_a_code_that_recovers_and_breaks_again_alerts_again(watched, channel_USD):
    row = watched()
    voucher = _voucher("SPRING", [channel_USD], end_date=NOW - HOUR)
    promoted_codes.check_promoted_codes(NOW)

    # when staff extend the voucher, and later it expires again
    Voucher.objects.filter(pk=voucher.pk).update(end_date=NOW + timedelta(days=30))
    recovered = promoted_codes.check_promoted_codes(NOW + HOUR)
    row.refresh_from_db()
    assert (row.health, row.alerted_health) == ("healthy", "")
    Voucher.objects.filter(pk=voucher.pk).update(end_date=NOW + 2 * HOUR)
    broken = promoted_codes.check_promoted_codes(NOW + 3 * HOUR)

    # then
    assert recovered.alerts == []
    assert [a.check.health.value for a in broken.alerts] == ["expired"]
    assert [e.details["health"] for e in _alerts()] == ["expired", "expired"]
    assert [e.resolved_at for e in _alerts()] == [None, None]
    assert len(_alert_notices()) == 2
    assert len({n.idempotency_key for n in _alert_notices()}) == 2


def test_each_new_problem_alerts(watched, channel_USD):
    # given a code about to expire: a warning first, then the problem
    watched()
    _voucher("SPRING", [channel_USD], end_date=NOW + 10 * HOUR)

    promoted_codes.check_promoted_codes(NOW)
    promoted_codes.check_promoted_codes(NOW + HOUR)
    promoted_codes.check_promoted_codes(NOW + 11 * HOUR)
    VoucherCode.objects.filter(code="SPRING").update(is_active=False)
    promoted_codes.check_promoted_codes(NOW + 12 * HOUR)

    assert [e.details["health"] for e in _alerts()] == [
        "expiring_soon",
        "expired",
        "inactive",
    ]
    assert [n.context["subject"] for n in _alert_notices()] == [
        "Promoted code SPRING: expires soon",
        "Promoted code SPRING: expired",
        "Promoted code SPRING: deactivated",
    ]


def test_an_alert_already_open_for_the_cause_is_not_e_mailed_again(
    watched, channel_USD
):
    # given the inbox already holds the alert of this episode
    row = watched()
    _voucher("SPRING", [channel_USD], end_date=NOW - HOUR)
    open_alert = staff_alerts.raise_alert(
        kind=AlertKind.PROMOTED_CODE,
        cause_key=f"promoted_code:{row.pk}:expired:never",
        title="Promoted code SPRING: expired",
        message="Seen before.",
        channel_id=channel_USD.pk,
        now=NOW - HOUR,
    )

    sweep = promoted_codes.check_promoted_codes(NOW)

    # then it counts another occurrence, and nobody is e-mailed about it again
    assert [a.check.health.value for a in sweep.alerts] == ["expired"]
    assert sweep.alert_ids == [open_alert.alert_id]
    assert sweep.notice_ids == []
    assert Notice.objects.exists() is False
    (alert,) = _alerts()
    assert (alert.occurrences, alert.created_at, alert.last_seen_at) == (
        2,
        NOW - HOUR,
        NOW,
    )
    assert alert.message.startswith("The promoted code SPRING expired on ")


def test_no_warning_without_warning_hours(watched, channel_USD):
    watched(promoted_code_warning_hours="0")
    _voucher("SPRING", [channel_USD], end_date=NOW + HOUR)

    sweep = promoted_codes.check_promoted_codes(NOW)

    assert sweep.alerts == []
    assert _alerts() == []
    assert PromotedCode.objects.get().health == "healthy"


def test_without_a_staff_address_the_alert_is_only_in_the_inbox(watched, channel_USD):
    watched(promoted_code_staff_email="")
    _voucher("SPRING", [], end_date=NOW + timedelta(days=30))

    sweep = promoted_codes.check_promoted_codes(NOW)

    assert [e.details["health"] for e in _alerts()] == ["missing_in_channel"]
    assert sweep.notice_ids == []
    assert Notice.objects.exists() is False


def test_channels_where_the_plugin_is_off_are_not_checked(
    plugin_configuration, channel_USD
):
    plugin_configuration(active=False, promoted_code_staff_email="m@example.com")
    row = _promote("SPRING", channel_USD)

    sweep = promoted_codes.check_promoted_codes(NOW)

    assert sweep.alerts == []
    assert _alerts() == []
    assert Notice.objects.exists() is False
    row.refresh_from_db()
    assert (row.health, row.health_checked_at) == ("", None)


def test_ended_promotions_are_not_checked(watched, channel_USD):
    row = watched()
    PromotedCode.objects.filter(pk=row.pk).update(promoted_until=NOW - HOUR)

    assert promoted_codes.check_promoted_codes(NOW).alerts == []
    assert _alerts() == []


def test_staff_alerts_are_delivered_by_the_engine(
    watched, channel_USD, webhook_receiver
):
    watched(
        notice_transports="*=webhook",
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        quiet_hours="",
    )
    _voucher("SPRING", [channel_USD], usage_limit=1, used=1)

    (notice_id,) = promoted_codes.check_promoted_codes(NOW).notice_ids
    outcome = tasks.deliver_notice(notice_id)

    assert outcome == "sent"
    (request,) = webhook_receiver.requests
    assert request.is_signature_valid
    assert request.json["type"] == "staff_alert"
    assert request.json["recipient"] == {
        "email": "marketing@example.com",
        "userId": None,
    }
    assert request.json["subject"] == "Promoted code SPRING: used up"
    assert request.json["data"]["health"] == "used_up"


def test_the_command_lists_alerts_on_a_dry_run_and_writes_nothing(watched, channel_USD):
    watched()
    _voucher("SPRING", [channel_USD], end_date=timezone.now() - HOUR)
    out = StringIO()

    call_command("cs_promoted_codes", "--dry-run", stdout=out)

    assert out.getvalue() == (
        "Would alert about 1 promoted code(s):\n"
        "  SPRING  main  expired  marketing@example.com  Promoted code SPRING: expired\n"
    )
    assert _alerts() == []
    assert Notice.objects.exists() is False
    assert PromotedCode.objects.get().health_checked_at is None

    call_command("cs_promoted_codes", stdout=StringIO())

    assert len(_alerts()) == 1
    assert len(_alert_notices()) == 1


def test_beat_runs_the_promoted_code_check():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE[SWEEP_PROMOTED_CODES_BEAT_ENTRY]
    assert entry["task"] == "saleor_cs_plugin.sweep_promoted_codes"
    assert entry["schedule"] == timedelta(minutes=15)
    assert tasks.sweep_promoted_codes_task.name == entry["task"]


# Failure counts --------------------------------------------------------------------


def test_failure_counts_by_code_and_reason_over_a_period(
    manager, channel_USD, channel_PLN
):
    def failed(code, reason, created_at, channel=channel_USD, times=1):
        CouponFailure.objects.bulk_create(
            CouponFailure(
                code=code, reason=reason, channel=channel, created_at=created_at
            )
            for _ in range(times)
        )

    failed("SPRING", "expired", NOW - 2 * HOUR, times=3)
    failed("SPRING", "usage_limit_reached", NOW - HOUR)
    failed("WINTER", "unknown_code", NOW - 3 * HOUR, times=3)
    failed("AUTUMN", "inactive", NOW - 5 * HOUR, times=2)
    # before the period, at its end (excluded), and in another channel
    failed("SPRING", "expired", NOW - 30 * HOUR, times=5)
    failed("SPRING", "expired", NOW, times=5)
    failed("SPRING", "expired", NOW - HOUR, channel=channel_PLN, times=5)

    with freeze_time(NOW + HOUR):
        stats = _post(
            manager,
            FAILURE_STATS,
            {
                "since": (NOW - 24 * HOUR).isoformat(),
                "until": NOW.isoformat(),
                "channel": "main",
            },
        )["data"]["serviceCouponFailureStats"]
        everywhere = _post(
            manager, FAILURE_STATS, {"since": (NOW - 24 * HOUR).isoformat()}
        )["data"]["serviceCouponFailureStats"]

    assert stats == [
        {"code": "SPRING", "reason": "EXPIRED", "count": 3},
        {"code": "WINTER", "reason": "UNKNOWN_CODE", "count": 3},
        {"code": "AUTUMN", "reason": "INACTIVE", "count": 2},
        {"code": "SPRING", "reason": "USAGE_LIMIT_REACHED", "count": 1},
    ]
    assert everywhere[0] == {"code": "SPRING", "reason": "EXPIRED", "count": 13}


def test_failure_counts_of_a_period_that_ends_before_it_starts(manager):
    content = (
        signed_in_now(manager)
        .post_graphql(
            FAILURE_STATS,
            {"since": NOW.isoformat(), "until": (NOW - HOUR).isoformat()},
        )
        .json()
    )

    assert content["data"] is None
    assert content["errors"][0]["message"] == (
        "until: The period starts after it ends: 'since' must not be later than "
        "'until'."
    )
