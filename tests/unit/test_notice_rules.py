"""When a notice goes, waits or is skipped; retry timing; templates."""

from datetime import UTC, datetime, timedelta

import pytest

from saleor_cs_plugin.config import DEFAULT_BODY
from saleor_cs_plugin.domain.notices import (
    Action,
    Dispatch,
    DispatchPolicy,
    NoticeType,
    QuietHours,
    TemplateError,
    Transport,
    decide_dispatch,
    decided_note,
    greeting_name,
    idempotency_key,
    not_sent_note,
    render,
    render_html,
    retry_delay,
    sent_note,
)

NIGHT = QuietHours(21, 8)


def _at(hour, minute=0, day=10):
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "time_zone", "expected_end"),
    [
        (_at(12), "UTC", None),
        (_at(20, 59), "UTC", None),
        (_at(21), "UTC", _at(8, day=11)),
        (_at(23, 30), "UTC", _at(8, day=11)),
        (_at(3), "UTC", _at(8)),
        (_at(8), "UTC", None),
        # 20:00 UTC is 21:00 in Warsaw (CET): quiet until 08:00 local = 07:00 UTC
        (_at(20), "Europe/Warsaw", _at(7, day=11)),
        # 14:00 UTC is 09:00 in New York (EST): not quiet
        (_at(14), "America/New_York", None),
    ],
)
def test_quiet_hours_wrapping_midnight(now, time_zone, expected_end):
    assert NIGHT.end_after(now, time_zone) == expected_end


def test_quiet_hours_within_one_day():
    lunch = QuietHours(12, 14)
    assert lunch.end_after(_at(13), "UTC") == _at(14)
    assert lunch.end_after(_at(14), "UTC") is None


POLICY = DispatchPolicy(time_zone="UTC", quiet_hours=NIGHT, max_per_day=2)


@pytest.mark.parametrize(
    ("notice_type", "now", "opted_out", "recent", "expected"),
    [
        (NoticeType.SURVEY, _at(12), False, [], Dispatch(Action.SEND)),
        (
            NoticeType.SURVEY,
            _at(12),
            True,
            [],
            Dispatch(
                Action.SKIP, reason="The customer opted out of non-essential notices."
            ),
        ),
        (
            NoticeType.SURVEY,
            _at(23),
            False,
            [],
            Dispatch(Action.DEFER, _at(8, day=11), "Quiet hours in the store's zone."),
        ),
        (
            NoticeType.SURVEY,
            _at(12),
            False,
            [_at(9), _at(11)],
            Dispatch(
                Action.DEFER,
                _at(9, day=11),
                "At most 2 notices per customer in 24 hours.",
            ),
        ),
        # three in the window with a cap of two: wait until two of them age out
        (
            NoticeType.SURVEY,
            _at(12),
            False,
            [_at(9), _at(10), _at(11)],
            Dispatch(
                Action.DEFER,
                _at(10, day=11),
                "At most 2 notices per customer in 24 hours.",
            ),
        ),
        # older than 24 hours: does not count
        (
            NoticeType.SURVEY,
            _at(12),
            False,
            [_at(11, day=9), _at(9)],
            Dispatch(Action.SEND),
        ),
        # essential: at night, opted out, over the cap, it still goes
        (
            NoticeType.ORDER_DELAY,
            _at(23),
            True,
            [_at(20), _at(21), _at(22)],
            Dispatch(Action.SEND),
        ),
    ],
)
def test_decide_dispatch(notice_type, now, opted_out, recent, expected):
    assert (
        decide_dispatch(
            notice_type,
            now=now,
            policy=POLICY,
            is_opted_out=opted_out,
            recent_sent_times=recent,
        )
        == expected
    )


def test_no_cap_and_no_quiet_hours_always_sends():
    policy = DispatchPolicy(quiet_hours=None, max_per_day=0)
    assert decide_dispatch(
        NoticeType.SURVEY,
        now=_at(23),
        policy=policy,
        is_opted_out=False,
        recent_sent_times=[_at(22)] * 10,
    ) == Dispatch(Action.SEND)


@pytest.mark.parametrize(
    ("attempt", "jitter", "seconds"),
    [
        (1, 0.0, 30),
        (1, 0.5, 45),
        (2, 0.0, 60),
        (3, 0.5, 180),
        (10, 0.0, 1800),  # capped at 3600
        (10, 1.0, 3600),
    ],
)
def test_retry_delay_doubles_with_jitter_and_a_ceiling(attempt, jitter, seconds):
    delay = retry_delay(attempt, base_seconds=60, max_seconds=3600, jitter=jitter)
    assert delay == timedelta(seconds=seconds)


def test_idempotency_key_is_stable_per_decision():
    first = idempotency_key(NoticeType.ORDER_DELAY, "order-1", "at_risk")
    assert first == idempotency_key(NoticeType.ORDER_DELAY, "order-1", "at_risk")
    assert first != idempotency_key(NoticeType.ORDER_DELAY, "order-1", "late")
    assert first.startswith("order_delay:") and len(first) == len("order_delay:") + 40


def test_render_fills_placeholders():
    assert render("Hi $name, order ${number}.", {"name": "Ann", "number": 7}) == (
        "Hi Ann, order 7."
    )


def test_render_names_a_missing_placeholder():
    with pytest.raises(TemplateError) as error:
        render("Hi $nickname", {"name": "Ann"})
    assert str(error.value) == (
        "The template uses $nickname, which this notice does not have; available: name."
    )


def test_html_part_escapes_customer_data_and_keeps_paragraphs():
    html = render_html(
        "Hello $name,\n\nYour note: $note\nThanks & bye",
        {"name": "<script>alert(1)</script>", "note": '"quoted" & <b>bold</b>'},
    )
    assert html == (
        "<p>Hello &lt;script&gt;alert(1)&lt;/script&gt;,</p>"
        "<p>Your note: &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;<br>"
        "Thanks &amp; bye</p>"
    )


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("english", "Hello Ann,\n\nIt ships Friday.\n\nReply to us."),
        ("polish", "Dzień dobry, Ann!\n\nIt ships Friday.\n\nReply to us."),
        ("german", "Hallo Ann,\n\nIt ships Friday.\n\nReply to us."),
    ],
)
def test_the_built_in_body_is_written_in_the_notices_language(request, language, text):
    words = request.getfixturevalue(language)
    context = {
        "customer_name": "Ann",
        "message": "It ships Friday.",
        "support_contact": "Reply to us.",
    }
    assert render(words.gettext(DEFAULT_BODY), context) == text


@pytest.mark.parametrize(
    ("language", "name", "greeted"),
    [
        ("english", "", "customer"),
        ("polish", "", "Kliencie"),
        ("german", "", "liebe Kundin, lieber Kunde"),
        ("polish", "Anna", "Anna"),
    ],
)
def test_a_customer_without_a_name_is_greeted_in_the_language(
    request, language, name, greeted
):
    assert greeting_name(name, words=request.getfixturevalue(language)) == greeted


FACTS = "Promised ship-by 2026-03-03. Waiting: 2 × Mug."


@pytest.mark.parametrize(
    ("transport", "note"),
    [
        (
            Transport.EMAIL,
            "Delivery promise late: notice to the customer queued (e-mail). "
            "Promised ship-by 2026-03-03. Waiting: 2 × Mug.",
        ),
        (
            Transport.WEBHOOK,
            "Delivery promise late: notice to the customer queued (webhook). "
            "Promised ship-by 2026-03-03. Waiting: 2 × Mug.",
        ),
        (
            Transport.SALEOR_NOTIFY,
            "Delivery promise late: notice to the customer queued (Saleor's "
            "notifications). Promised ship-by 2026-03-03. Waiting: 2 × Mug.",
        ),
        (
            Transport.OFF,
            "Delivery promise late: notice NOT sent: the transport of this notice "
            "type is 'off'; the customer was not told. Promised ship-by 2026-03-03. "
            "Waiting: 2 × Mug.",
        ),
    ],
)
def test_a_decided_notice_is_noted_as_queued_never_as_told(transport, note):
    assert decided_note("Delivery promise late", transport, FACTS) == note
    assert "was told" not in note


def test_a_decided_notice_without_facts():
    assert decided_note("Delayed order shipped", Transport.EMAIL) == (
        "Delayed order shipped: notice to the customer queued (e-mail)."
    )


@pytest.mark.parametrize(
    ("transport", "note"),
    [
        (
            Transport.EMAIL,
            "Delivery promise at risk: notice sent to the customer by e-mail.",
        ),
        (
            Transport.WEBHOOK,
            "Delivery promise at risk: notice sent to the customer by webhook.",
        ),
        (
            Transport.SALEOR_NOTIFY,
            "Delivery promise at risk: notice sent to the customer through Saleor's "
            "notifications.",
        ),
    ],
)
def test_sent_note_names_the_transport(transport, note):
    assert sent_note("Delivery promise at risk", transport) == note


@pytest.mark.parametrize(
    ("reason", "note"),
    [
        (
            "SMTP: authentication failed (535)",
            "Delivery promise at risk: notice NOT sent: SMTP: authentication failed "
            "(535); the customer was not told.",
        ),
        (
            "The plugin is not active in the channel 'main'.",
            "Delivery promise at risk: notice NOT sent: The plugin is not active in "
            "the channel 'main'; the customer was not told.",
        ),
        (
            "Webhook: HTTP 401\n  unauthorized",
            "Delivery promise at risk: notice NOT sent: Webhook: HTTP 401 "
            "unauthorized; the customer was not told.",
        ),
        (
            "",
            "Delivery promise at risk: notice NOT sent: no reason recorded; the customer was not told.",
        ),
        (
            "x" * 400,
            "Delivery promise at risk: notice NOT sent: "
            + "x" * 299
            + "…; the customer was not told.",
        ),
    ],
)
def test_not_sent_note_says_why_and_that_the_customer_was_not_told(reason, note):
    assert not_sent_note("Delivery promise at risk", reason) == note


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (
            "https://shop.example/survey/?token=a:b&answer=yes",
            '<a href="https://shop.example/survey/?token=a:b&amp;answer=yes">'
            "https://shop.example/survey/?token=a:b&amp;answer=yes</a>",
        ),
        (
            "http://shop.example/x.",
            '<a href="http://shop.example/x">http://shop.example/x</a>.',
        ),
        (
            'https://x.example/"><script>alert(1)</script>',
            '<a href="https://x.example/">https://x.example/</a>&quot;&gt;'
            "&lt;script&gt;alert(1)&lt;/script&gt;",
        ),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("ftp://files.example/a", "ftp://files.example/a"),
    ],
)
def test_addresses_in_the_html_part_are_escaped_links(link, expected):
    assert render_html("Yes: $link", {"link": link}) == f"<p>Yes: {expected}</p>"


def test_an_address_the_template_writes_is_a_link_too():
    assert render_html("See https://shop.example/help, or reply.", {}) == (
        '<p>See <a href="https://shop.example/help">https://shop.example/help</a>, '
        "or reply.</p>"
    )
