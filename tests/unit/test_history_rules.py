"""Who may read a history, and what makes a logged contact acceptable."""

from datetime import UTC, datetime

import pytest

from saleor_cs_plugin.domain.history import (
    Access,
    ContactChannel,
    ContactLog,
    Problem,
    check_contact_log,
    check_date_range,
    history_access,
)


@pytest.mark.parametrize(
    ("is_owner", "has_staff_permission", "expected"),
    [
        (False, False, Access.NONE),
        (True, False, Access.CUSTOMER_VISIBLE),
        (False, True, Access.ALL),
        (True, True, Access.ALL),
    ],
)
def test_history_access(is_owner, has_staff_permission, expected):
    assert (
        history_access(is_owner=is_owner, has_staff_permission=has_staff_permission)
        == expected
    )


def _contact(**overrides):
    values = {
        "contact_channel": ContactChannel.PHONE.value,
        "summary": "Asked about delivery.",
        "is_resolved_at_first_contact": True,
        "is_customer_visible": True,
        "has_customer": True,
        "has_order": False,
    }
    values.update(overrides)
    return ContactLog(**values)


@pytest.mark.parametrize("channel", ["email", "sms", "phone", "chat", "social", "web"])
def test_every_human_channel_can_be_logged(channel):
    assert check_contact_log(_contact(contact_channel=channel)) == []


def test_a_contact_about_an_order_needs_no_customer():
    assert check_contact_log(_contact(has_customer=False, has_order=True)) == []


def test_social_contact_names_its_network():
    assert (
        check_contact_log(_contact(contact_channel="social", social_network="X")) == []
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"has_customer": False},
            [
                Problem(
                    "customer",
                    "REQUIRED",
                    "Give the customer (customer or customerEmail), the order, or "
                    "both.",
                )
            ],
        ),
        (
            {"contact_channel": "system"},
            [
                Problem(
                    "contact_channel",
                    "INVALID",
                    "A logged contact uses one of: CHAT, EMAIL, PHONE, SMS, SOCIAL, "
                    "WEB.",
                )
            ],
        ),
        (
            {"summary": " \n "},
            [Problem("summary", "REQUIRED", "Describe the contact in a few words.")],
        ),
        (
            {"summary": "a" * 2001},
            [
                Problem(
                    "summary",
                    "INVALID",
                    "The summary has 2001 characters; at most 2000 are allowed.",
                )
            ],
        ),
        (
            {"contact_channel": "social", "social_network": "n" * 65},
            [
                Problem(
                    "social_network",
                    "INVALID",
                    "At most 64 characters are allowed.",
                )
            ],
        ),
        (
            {"summary": "", "has_customer": False},
            [
                Problem(
                    "customer",
                    "REQUIRED",
                    "Give the customer (customer or customerEmail), the order, or "
                    "both.",
                ),
                Problem("summary", "REQUIRED", "Describe the contact in a few words."),
            ],
        ),
    ],
)
def test_contact_problems_name_their_field(overrides, expected):
    assert check_contact_log(_contact(**overrides)) == expected


def test_date_range_must_not_run_backwards():
    early = datetime(2026, 1, 1, tzinfo=UTC)
    late = datetime(2026, 2, 1, tzinfo=UTC)

    assert check_date_range(early, late, field="createdAt") == []
    assert check_date_range(None, early, field="createdAt") == []
    assert check_date_range(late, early, field="createdAt") == [
        Problem(
            "createdAt",
            "INVALID",
            "The range starts after it ends: 'gte' must not be later than 'lte'.",
        )
    ]
