"""The stock-shortage rules: which lines are short, what happens next, which
alternatives, and which choices a link accepts."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from saleor_cs_plugin.config import SettingsError, parse_channel_settings
from saleor_cs_plugin.domain.shortages import (
    AllocationSnapshot,
    Choice,
    ItemSnapshot,
    LineSnapshot,
    LinkState,
    OfferedAlternative,
    OpenShortage,
    ShortageState,
    ShortageStatus,
    Similarity,
    Step,
    check_choice,
    choice_alert_title,
    choice_problems,
    choice_note,
    line_shortage,
    link_problems,
    link_state,
    next_step,
    price_band,
    rank_alternatives,
    restock_estimate,
    restored_message,
    short_allocations,
    shortage_message,
    similarity,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _allocation(line, days_ago, quantity):
    return AllocationSnapshot(line, NOW - timedelta(days=days_ago), quantity)


@pytest.mark.parametrize(
    ("stock_quantity", "allocations", "expected"),
    [
        # enough stock: nobody short
        (5, [_allocation("a", 2, 2), _allocation("b", 1, 3)], {}),
        # two short: the newest order loses first
        (3, [_allocation("a", 2, 2), _allocation("b", 1, 3)], {"b": 2}),
        # order of the list does not matter, placement time does
        (3, [_allocation("b", 1, 3), _allocation("a", 2, 2)], {"b": 2}),
        # the stock covers less than the oldest allocation
        (1, [_allocation("a", 2, 2), _allocation("b", 1, 3)], {"a": 1, "b": 3}),
        # nothing left at all
        (0, [_allocation("a", 2, 2)], {"a": 2}),
        # a negative stock (a correction) counts as zero
        (-4, [_allocation("a", 2, 1)], {"a": 1}),
        # the same line allocated twice on one stock adds up
        (1, [_allocation("a", 2, 1), _allocation("a", 2, 2)], {"a": 2}),
        # same placement time: stable by line id
        (1, [_allocation("y", 1, 1), _allocation("x", 1, 1)], {"y": 1}),
        (4, [], {}),
    ],
)
def test_short_allocations_serve_orders_placed_first(
    stock_quantity, allocations, expected
):
    assert short_allocations(stock_quantity, allocations) == expected


def _line(**values):
    defaults = {
        "line_id": 1,
        "order_status": "unfulfilled",
        "is_inventory_tracked": True,
        "quantity_unfulfilled": 3,
        "quantity_allocated": 3,
        "free_quantity_in_channel": 0,
        "short_by_warehouse": (),
    }
    return LineSnapshot(**{**defaults, **values})


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (_line(), 0),
        # allocated but its warehouse cannot cover 2
        (_line(short_by_warehouse=(("w1", 2),)), 2),
        # short in two warehouses
        (_line(short_by_warehouse=(("w1", 1), ("w2", 1))), 2),
        # one unit never allocated, no free stock
        (_line(quantity_allocated=2), 1),
        # one unit never allocated, but free stock in the channel covers it
        (_line(quantity_allocated=2, free_quantity_in_channel=1), 0),
        # free stock covers part of the unallocated units
        (_line(quantity_allocated=0, free_quantity_in_channel=1), 2),
        # never more than what is still to fulfil
        (_line(quantity_allocated=0, short_by_warehouse=(("w1", 5),)), 3),
        # variants that do not track inventory are never short
        (_line(is_inventory_tracked=False, quantity_allocated=0), 0),
        # finished orders are not short
        (_line(order_status="fulfilled", quantity_allocated=0), 0),
        (_line(order_status="canceled", quantity_allocated=0), 0),
        (_line(order_status="draft", quantity_allocated=0), 0),
        # unconfirmed and partially fulfilled orders still wait for stock
        (_line(order_status="unconfirmed", quantity_allocated=1), 2),
        (_line(order_status="partially_fulfilled", quantity_allocated=1), 2),
    ],
)
def test_line_shortage(line, expected):
    assert line_shortage(line) == expected


@pytest.mark.parametrize(
    ("quantity_short", "is_line_open", "open_shortage", "expected"),
    [
        (2, True, None, Step.OPEN),
        (0, True, None, Step.NONE),
        (2, False, None, Step.NONE),
        (2, True, OpenShortage(), Step.KEEP),
        (1, True, OpenShortage(choice=Choice.WAIT), Step.KEEP),
        (0, True, OpenShortage(), Step.RESTORE),
        (0, True, OpenShortage(choice=Choice.WAIT), Step.RESTORE),
        (0, True, OpenShortage(choice=Choice.SWITCH), Step.RESTORE_QUIETLY),
        (0, True, OpenShortage(choice=Choice.CANCEL), Step.RESTORE_QUIETLY),
        # stock came back before the notice was composed: no good news either
        (0, True, OpenShortage(is_notified=False), Step.RESTORE_QUIETLY),
        (2, True, OpenShortage(is_notified=False), Step.KEEP),
        (2, False, OpenShortage(), Step.CLOSE),
        (0, False, OpenShortage(), Step.CLOSE),
    ],
)
def test_next_step_sends_one_notice_per_shortage(
    quantity_short, is_line_open, open_shortage, expected
):
    assert (
        next_step(
            quantity_short=quantity_short,
            is_line_open=is_line_open,
            open_shortage=open_shortage,
        )
        == expected
    )


ORIGINAL = ItemSnapshot(
    variant_id="v0",
    product_id="p0",
    category_id="c0",
    product_type_id="t0",
    price=Decimal("100.00"),
)


def _candidate(
    variant_id,
    *,
    product="p1",
    category="c9",
    product_type="t9",
    price="100",
    available=5,
    sold=True,
):
    return ItemSnapshot(
        variant_id=variant_id,
        product_id=product,
        category_id=category,
        product_type_id=product_type,
        price=Decimal(price),
        available_quantity=available,
        is_sold_in_channel=sold,
    )


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (_candidate("a", product="p0"), Similarity.SAME_PRODUCT),
        (
            _candidate("b", category="c0", product_type="t0"),
            Similarity.SAME_CATEGORY_AND_TYPE,
        ),
        (_candidate("c", category="c0"), Similarity.SAME_CATEGORY_OR_TYPE),
        (_candidate("d", product_type="t0"), Similarity.SAME_CATEGORY_OR_TYPE),
        (_candidate("e"), Similarity.NONE),
    ],
)
def test_similarity(candidate, expected):
    assert similarity(ORIGINAL, candidate) == expected


def test_uncategorised_products_are_not_alike_by_category():
    original = ItemSnapshot("v0", "p0", None, "t0", Decimal(10))
    assert similarity(original, _candidate("x", category=None)) == Similarity.NONE


@pytest.mark.parametrize(
    ("price", "percent", "expected"),
    [
        ("100", 25, (Decimal("75"), Decimal("125"))),
        ("100", 0, (Decimal("100"), Decimal("100"))),
        ("10", 100, (Decimal("0"), Decimal("20"))),
        ("19.99", 10, (Decimal("17.991"), Decimal("21.989"))),
    ],
)
def test_price_band(price, percent, expected):
    assert price_band(Decimal(price), percent) == expected


@pytest.mark.parametrize(
    ("candidates", "quantity_needed", "band", "limit", "expected"),
    [
        # same product first, then category and type, then either; closer price first
        (
            [
                _candidate("type-only", product_type="t0", price="100"),
                _candidate("both-far", category="c0", product_type="t0", price="120"),
                _candidate("both-near", category="c0", product_type="t0", price="101"),
                _candidate("sibling", product="p0", price="124"),
            ],
            1,
            25,
            10,
            ["sibling", "both-near", "both-far", "type-only"],
        ),
        # outside the price band, out of stock for the line, not sold, unrelated, itself
        (
            [
                _candidate("too-dear", product="p0", price="125.01"),
                _candidate("too-cheap", product="p0", price="74.99"),
                _candidate("edge", product="p0", price="75"),
                _candidate("too-few", product="p0", available=2),
                _candidate("not-sold", product="p0", sold=False),
                _candidate("unrelated"),
                _candidate("v0", product="p0"),
            ],
            3,
            25,
            10,
            ["edge"],
        ),
        # at most N
        (
            [_candidate(f"s{i}", product="p0", price=str(100 + i)) for i in range(5)],
            1,
            25,
            2,
            ["s0", "s1"],
        ),
        # equal similarity and distance: cheaper and dearer by the same amount, by id
        (
            [
                _candidate("b", product="p0", price="110"),
                _candidate("a", product="p0", price="90"),
            ],
            1,
            25,
            3,
            ["a", "b"],
        ),
        ([_candidate("s", product="p0")], 1, 25, 0, []),
    ],
)
def test_rank_alternatives(candidates, quantity_needed, band, limit, expected):
    ranked = rank_alternatives(
        ORIGINAL,
        candidates,
        quantity_needed=quantity_needed,
        price_band_percent=band,
        limit=limit,
    )
    assert [c.variant_id for c in ranked] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        (" 2026-11-23 ", date(2026, 11, 23)),
        ("2026-11-22", None),  # in the past: no promise
        ("next week", None),
        ("2026-13-01", None),
        ("", None),
        (None, None),
        (20261201, None),
    ],
)
def test_restock_estimate_is_honest(raw, expected):
    assert restock_estimate(raw, date(2026, 11, 23)) == expected


def _state(**values):
    defaults = {
        "status": ShortageStatus.OPEN,
        "link_expires_at": NOW + DAY,
        "chosen_at": None,
        "offered_alternative_ids": ("11", "12"),
    }
    return ShortageState(**{**defaults, **values})


@pytest.mark.parametrize(
    ("state", "choice", "alternative", "expected"),
    [
        (_state(), "wait", None, []),
        (_state(), "cancel", None, []),
        (_state(), "switch", "12", []),
        (_state(chosen_at=NOW - DAY), "wait", None, [("token", "ALREADY_USED")]),
        (_state(link_expires_at=NOW), "wait", None, [("token", "EXPIRED")]),
        (_state(status=ShortageStatus.RESTORED), "wait", None, [("token", "INVALID")]),
        (_state(status=ShortageStatus.CLOSED), "cancel", None, [("token", "INVALID")]),
        (_state(), "refund", None, [("choice", "INVALID")]),
        (_state(), "switch", None, [("alternative", "REQUIRED")]),
        (_state(), "switch", "99", [("alternative", "INVALID")]),
        (
            _state(offered_alternative_ids=()),
            "switch",
            "11",
            [("alternative", "INVALID")],
        ),
        (_state(), "wait", "11", [("alternative", "INVALID")]),
    ],
)
def test_check_choice(state, choice, alternative, expected):
    problems = check_choice(state, choice=choice, alternative_id=alternative, now=NOW)
    assert [(p.field, p.code) for p in problems] == expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (_state(), LinkState.OPEN),
        (_state(chosen_at=NOW - DAY), LinkState.ANSWERED),
        # an answer given is told before expiry and what became of the shortage
        (_state(chosen_at=NOW - DAY, link_expires_at=NOW), LinkState.ANSWERED),
        (_state(link_expires_at=NOW), LinkState.EXPIRED),
        (_state(link_expires_at=NOW + timedelta(seconds=1)), LinkState.OPEN),
        (
            _state(link_expires_at=NOW, status=ShortageStatus.RESTORED),
            LinkState.EXPIRED,
        ),
        (_state(status=ShortageStatus.RESTORED), LinkState.RESTORED),
        (_state(status=ShortageStatus.CLOSED), LinkState.ENDED),
    ],
)
def test_link_state(state, expected):
    assert link_state(state, now=NOW) == expected


def test_a_link_that_takes_no_answer_is_told_before_the_answer_is_checked():
    # the answer is wrong too, but the link is what stops it
    state = _state(chosen_at=NOW - DAY)
    assert [p.code for p in link_problems(state, now=NOW)] == ["ALREADY_USED"]
    assert [
        p.code
        for p in check_choice(state, choice="refund", alternative_id=None, now=NOW)
    ] == ["ALREADY_USED"]
    assert [
        p.field for p in choice_problems(_state(), choice="refund", alternative_id=None)
    ] == ["choice"]


def test_expired_link_says_when_it_expired():
    (problem,) = check_choice(
        _state(link_expires_at=datetime(2026, 11, 20, 8, 30, tzinfo=UTC)),
        choice="wait",
        alternative_id=None,
        now=NOW,
    )
    assert problem.message == (
        "This link expired at 2026-11-20 08:30 UTC. Contact the store to choose "
        "what happens to the item."
    )


def test_unoffered_alternative_lists_the_offered_ones():
    (problem,) = check_choice(_state(), choice="switch", alternative_id="5", now=NOW)
    assert problem.message == (
        "This product variant was not offered as an alternative; use one of the "
        "offered ones: 11, 12."
    )


def test_shortage_message_apologises_estimates_and_offers_options(english):
    subject, message = shortage_message(
        words=english,
        item_name="Mug (Blue)",
        quantity_short=1,
        quantity_ordered=3,
        currency="USD",
        estimate=date(2026, 12, 1),
        alternatives=[OfferedAlternative("Mug (Red)", Decimal("9.5"))],
        link="https://shop.example.com/stock-shortage?token=abc",
    )
    assert subject == "We are sorry: Mug (Blue) is not in stock"
    assert message == (
        "We are sorry: Mug (Blue) from your order turned out not to be in stock; "
        "1 of the 3 you ordered is missing. We would rather tell you now than let "
        "your order wait without a word.\n\n"
        "We expect it back in stock by December 1, 2026.\n\n"
        "You can wait for it, switch to an alternative or cancel the item.\n\n"
        "Alternatives in stock now:\n- Mug (Red): $9.50\n\n"
        "Tell us what you prefer here: "
        "https://shop.example.com/stock-shortage?token=abc"
    )


def test_shortage_message_without_estimate_alternatives_or_link(english):
    _, message = shortage_message(
        words=english,
        item_name="Mug",
        quantity_short=2,
        quantity_ordered=2,
        currency="USD",
        estimate=None,
        alternatives=[],
        link="",
    )
    assert message.split("\n\n") == [
        "We are sorry: Mug from your order turned out not to be in stock. We would "
        "rather tell you now than let your order wait without a word.",
        "We do not know yet when it will be back in stock.",
        "You can wait for it or cancel the item.",
        "Reply to this message to tell us what you prefer.",
    ]


@pytest.mark.parametrize(
    ("quantity_short", "quantity_ordered", "expected"),
    [
        (1, 3, "1 of the 3 you ordered is missing."),
        (2, 3, "2 of the 3 you ordered are missing."),
    ],
)
def test_a_partial_shortage_says_how_many_are_missing(
    english, quantity_short, quantity_ordered, expected
):
    _, message = shortage_message(
        words=english,
        item_name="Mug",
        quantity_short=quantity_short,
        quantity_ordered=quantity_ordered,
        currency="USD",
        estimate=None,
        alternatives=[],
        link="",
    )
    assert message.startswith(
        "We are sorry: Mug from your order turned out not to be in stock; " + expected
    )


def test_shortage_message_in_polish(polish):
    subject, message = shortage_message(
        words=polish,
        item_name="Kubek (Niebieski)",
        quantity_short=2,
        quantity_ordered=5,
        currency="PLN",
        estimate=date(2026, 12, 1),
        alternatives=[OfferedAlternative("Kubek (Czerwony)", Decimal("1234.5"))],
        link="https://shop.example.com/stock-shortage?token=abc",
    )
    assert subject == "Przepraszamy: Kubek (Niebieski) – brak w magazynie"
    assert message == (
        "Przepraszamy: okazało się, że w magazynie brakuje pozycji Kubek (Niebieski) "
        "z Twojego zamówienia – 2 z 5 zamówionych sztuk. Wolimy powiedzieć Ci o tym "
        "teraz, niż pozwolić, by zamówienie czekało bez słowa wyjaśnienia.\n\n"
        "Spodziewamy się, że produkt wróci do magazynu do 1 grudnia 2026.\n\n"
        "Możesz poczekać na produkt, zamienić go na inny lub anulować tę pozycję.\n\n"
        "Zamienniki dostępne teraz w magazynie:\n- Kubek (Czerwony): 1\xa0234,50\xa0zł"
        "\n\nDaj nam znać, co wybierasz: "
        "https://shop.example.com/stock-shortage?token=abc"
    )


def test_shortage_message_in_german(german):
    subject, message = shortage_message(
        words=german,
        item_name="Tasse",
        quantity_short=1,
        quantity_ordered=1,
        currency="EUR",
        estimate=None,
        alternatives=[],
        link="",
    )
    assert subject == "Es tut uns leid: Tasse ist nicht vorrätig"
    assert message.split("\n\n") == [
        "Es tut uns leid: Tasse aus Ihrer Bestellung ist doch nicht vorrätig. Wir "
        "sagen es Ihnen lieber jetzt, als Ihre Bestellung ohne ein Wort warten zu "
        "lassen.",
        "Wir wissen noch nicht, wann der Artikel wieder vorrätig ist.",
        "Sie können darauf warten oder den Artikel stornieren.",
        "Antworten Sie auf diese Nachricht, um uns mitzuteilen, was Ihnen lieber ist.",
    ]


@pytest.mark.parametrize(
    ("currency", "prices", "expected"),
    [
        (
            "JPY",
            ["1997", "2480.000"],
            ["- Tea (Green): ¥1,997", "- Tea (Black): ¥2,480"],
        ),
        ("USD", ["19.9", "24.005"], ["- Tea (Green): $19.90", "- Tea (Black): $24.01"]),
        (
            "KWD",
            ["1.5", "2.125"],
            ["- Tea (Green): KWD1.500", "- Tea (Black): KWD2.125"],
        ),
    ],
)
def test_alternatives_prices_use_the_currencys_minor_unit(
    english, currency, prices, expected
):
    _, message = shortage_message(
        words=english,
        item_name="Tea (White)",
        quantity_short=1,
        quantity_ordered=1,
        currency=currency,
        estimate=None,
        alternatives=[
            OfferedAlternative("Tea (Green)", Decimal(prices[0])),
            OfferedAlternative("Tea (Black)", Decimal(prices[1])),
        ],
        link="",
    )
    assert message.split("\n\n")[3] == "Alternatives in stock now:\n" + "\n".join(
        expected
    )


@pytest.mark.parametrize(
    ("choice", "alternative", "expected"),
    [
        ("wait", "", "Order #1042: the customer chose to wait for Mug (Blue)"),
        (
            "switch",
            "Mug (Red)",
            "Order #1042: the customer chose to switch from Mug (Blue) to Mug (Red)",
        ),
        ("cancel", "", "Order #1042: the customer chose to cancel Mug (Blue)"),
    ],
)
def test_choice_alert_title(choice, alternative, expected):
    assert (
        choice_alert_title(
            order_number="1042",
            item_name="Mug (Blue)",
            choice=choice,
            alternative_name=alternative,
        )
        == expected
    )


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("wait", "The customer chose to wait for the item (Mug is out of stock)."),
        ("switch", "The customer chose to switch to Cup (Mug is out of stock)."),
        ("cancel", "The customer chose to cancel the item (Mug is out of stock)."),
    ],
)
def test_choice_note(choice, expected):
    assert (
        choice_note(item_name="Mug", choice=choice, alternative_name="Cup") == expected
    )


def test_restored_message(english, polish, german):
    assert restored_message(words=english, item_name="Mug") == (
        "Good news: Mug is back in stock",
        "Good news: Mug is back in stock and your order is back on track. There is "
        "nothing you need to do.",
    )
    assert restored_message(words=polish, item_name="Kubek") == (
        "Dobra wiadomość: Kubek – znów w magazynie",
        "Dobra wiadomość: pozycja Kubek jest znów w magazynie, a Twoje zamówienie "
        "jest realizowane zgodnie z planem. Nie musisz nic robić.",
    )
    assert restored_message(words=german, item_name="Tasse") == (
        "Gute Nachricht: Tasse ist wieder vorrätig",
        "Gute Nachricht: Tasse ist wieder vorrätig, und Ihre Bestellung läuft wieder "
        "planmäßig. Sie müssen nichts weiter tun.",
    )


def test_shortage_settings_defaults():
    shortages = parse_channel_settings({}).shortages
    assert (
        shortages.max_alternatives,
        shortages.price_band_percent,
        shortages.link_valid_days,
        shortages.staff_email,
    ) == (3, 25, 7, "")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("shortage_max_alternatives", "11", "'11' is not a whole number from 0 to 10."),
        (
            "shortage_max_alternatives",
            "many",
            "'many' is not a whole number from 0 to 10.",
        ),
        (
            "shortage_price_band_percent",
            "-1",
            "'-1' is not a whole number from 0 to 100.",
        ),
        ("shortage_link_valid_days", "0", "'0' is not a whole number from 1 to 60."),
        (
            "shortage_staff_email",
            "orders at example",
            "'orders at example' is not an e-mail address; use e.g. "
            "'orders@example.com', or leave it empty.",
        ),
    ],
)
def test_shortage_settings_rejections_name_the_field(name, value, message):
    with pytest.raises(SettingsError) as error:
        parse_channel_settings({name: value})
    assert error.value.errors == {name: message}


def test_shortage_settings_parse():
    shortages = parse_channel_settings(
        {
            "shortage_max_alternatives": "0",
            "shortage_price_band_percent": "100",
            "shortage_link_valid_days": "60",
            "shortage_staff_email": " Orders@Example.com ",
        }
    ).shortages
    assert (
        shortages.max_alternatives,
        shortages.price_band_percent,
        shortages.link_valid_days,
        shortages.staff_email,
    ) == (0, 100, 60, "orders@example.com")
