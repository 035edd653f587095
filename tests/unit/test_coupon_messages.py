"""What a shopper is told about a promo code, in their language: the built-in messages
in English, Polish and German (the real catalogs, Babel's money and dates), the
merchant's messages per language, and the messages around a code (too long, removed,
honored, rate-limited)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from saleor_cs_plugin.config import LocalizedText, parse_channel_settings
from saleor_cs_plugin.domain.coupons import (
    CODE_PREFIX_SHOWN,
    ChannelListing,
    CheckoutFacts,
    Diagnosis,
    LineFacts,
    Reason,
    VoucherFacts,
    code_problem,
    diagnose,
    honored_message,
    message,
    rate_limit_message,
    removed_message,
)

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
ZONE = "Europe/Warsaw"
# Babel writes a narrow no-break space before "PM", a no-break space between an
# amount and its currency in Polish and German.
NNBSP = "\u202f"
NBSP = "\xa0"

MINIMUM_SPEND = {
    "minimum_spend": Decimal("120"),
    "shortfall": Decimal("20.5"),
    "currency": "EUR",
}

# (reason, details, English, Polish, German)
BUILT_IN = [
    (
        Reason.UNKNOWN_CODE,
        {},
        "We don't recognise the code SPRING10. Check it for typos.",
        "Nie rozpoznajemy kodu SPRING10. Sprawdź, czy nie ma w nim literówki.",
        "Wir kennen den Code SPRING10 nicht. Bitte prüfen Sie ihn auf Tippfehler.",
    ),
    (
        Reason.INACTIVE,
        {},
        "The code SPRING10 is no longer active.",
        "Kod SPRING10 nie jest już aktywny.",
        "Der Code SPRING10 ist nicht mehr aktiv.",
    ),
    (
        Reason.SINGLE_USE_USED,
        {},
        "The code SPRING10 could be used once, and it has been used.",
        "Kod SPRING10 był jednorazowy i został już wykorzystany.",
        "Der Code SPRING10 war nur einmal gültig und wurde bereits eingelöst.",
    ),
    (
        Reason.NOT_IN_CHANNEL,
        {},
        "The code SPRING10 can't be used in this store.",
        "Kodu SPRING10 nie można użyć w tym sklepie.",
        "Der Code SPRING10 kann in diesem Shop nicht verwendet werden.",
    ),
    (
        Reason.NOT_STARTED,
        {"starts_at": NOW + HOUR},
        f"The code SPRING10 can be used from May 4, 2026, 3:00{NNBSP}PM CEST.",
        "Kodu SPRING10 można użyć od 4 maja 2026 15:00 CEST.",
        "Der Code SPRING10 kann ab 4. Mai 2026, 15:00 CEST verwendet werden.",
    ),
    (
        Reason.EXPIRED,
        {"ended_at": NOW - HOUR},
        f"The code SPRING10 expired on May 4, 2026, 1:00{NNBSP}PM CEST.",
        "Kod SPRING10 wygasł 4 maja 2026 13:00 CEST.",
        "Der Code SPRING10 ist am 4. Mai 2026, 13:00 CEST abgelaufen.",
    ),
    (
        Reason.USAGE_LIMIT_REACHED,
        {"usage_limit": 5},
        "The code SPRING10 has been used as many times as it could be.",
        "Kod SPRING10 został już wykorzystany maksymalną liczbę razy.",
        "Der Code SPRING10 wurde bereits so oft eingelöst, wie es möglich war.",
    ),
    (
        Reason.MINIMUM_SPEND_NOT_MET,
        MINIMUM_SPEND,
        "The code SPRING10 needs an order of at least €120.00; add €20.50 more to "
        "use it.",
        f"Kod SPRING10 wymaga zamówienia o wartości co najmniej 120,00{NBSP}€; dodaj "
        f"produkty za 20,50{NBSP}€, aby go użyć.",
        f"Der Code SPRING10 setzt einen Bestellwert von mindestens 120,00{NBSP}€ "
        f"voraus; fügen Sie Artikel für weitere 20,50{NBSP}€ hinzu, um ihn "
        "einzulösen.",
    ),
    (
        Reason.MINIMUM_QUANTITY_NOT_MET,
        {"minimum_quantity": 5, "missing_quantity": 3},
        "The code SPRING10 needs at least 5 items; add 3 more to use it.",
        "Kod SPRING10 działa, gdy w koszyku jest co najmniej 5 produktów; dodaj "
        "jeszcze 3, aby go użyć.",
        "Der Code SPRING10 setzt mindestens 5 Artikel im Warenkorb voraus; fügen Sie "
        "noch 3 hinzu, um ihn einzulösen.",
    ),
    (
        Reason.ALREADY_USED_BY_CUSTOMER,
        {},
        "The code SPRING10 can be used once per customer, and you have used it.",
        "Kodu SPRING10 można użyć tylko raz na klienta, a został już przez Ciebie "
        "użyty.",
        "Der Code SPRING10 kann pro Kunde nur einmal eingelöst werden, und Sie haben "
        "ihn bereits eingelöst.",
    ),
    (
        Reason.STAFF_ONLY,
        {},
        "The code SPRING10 is for staff only.",
        "Kod SPRING10 jest przeznaczony tylko dla pracowników.",
        "Der Code SPRING10 ist nur für Mitarbeiter bestimmt.",
    ),
    (
        Reason.NO_ELIGIBLE_ITEMS,
        {"eligible": ["Red mug", "Blue mug", "Cups"]},
        "The code SPRING10 applies only to: Red mug, Blue mug, and Cups.",
        "Kod SPRING10 obejmuje tylko: Red mug, Blue mug i Cups.",
        "Der Code SPRING10 gilt nur für: Red mug, Blue mug und Cups.",
    ),
    (
        Reason.NO_ELIGIBLE_ITEMS,
        {"eligible": []},
        "The code SPRING10 applies only to selected items.",
        "Kod SPRING10 obejmuje tylko wybrane produkty.",
        "Der Code SPRING10 gilt nur für ausgewählte Artikel.",
    ),
    (
        Reason.SHIPPING_NOT_APPLICABLE,
        {"cause": "no_shipping"},
        "The code SPRING10 takes money off shipping: nothing in your cart needs "
        "shipping.",
        "Kod SPRING10 obniża koszt dostawy, a żaden produkt w Twoim koszyku nie "
        "wymaga wysyłki.",
        "Der Code SPRING10 gewährt einen Rabatt auf den Versand, aber kein Artikel in "
        "Ihrem Warenkorb muss versendet werden.",
    ),
    (
        Reason.SHIPPING_NOT_APPLICABLE,
        {"cause": "no_delivery_method"},
        "The code SPRING10 takes money off shipping: choose a delivery method first.",
        "Kod SPRING10 obniża koszt dostawy: najpierw wybierz sposób dostawy.",
        "Der Code SPRING10 gewährt einen Rabatt auf den Versand: Bitte wählen Sie "
        "zuerst eine Versandart.",
    ),
    (
        Reason.SHIPPING_NOT_APPLICABLE,
        {"cause": "country"},
        "The code SPRING10 takes money off shipping: it is not valid for delivery to "
        "your country.",
        "Kod SPRING10 obniża koszt dostawy, ale nie obowiązuje przy dostawie do "
        "Twojego kraju.",
        "Der Code SPRING10 gewährt einen Rabatt auf den Versand, gilt aber nicht für "
        "Lieferungen in Ihr Land.",
    ),
    (
        Reason.SHIPPING_NOT_APPLICABLE,
        {"cause": "a cause this plugin does not know yet"},
        "The code SPRING10 takes money off shipping, but not off this cart's shipping.",
        "Kod SPRING10 obniża koszt dostawy, ale nie można go zastosować do dostawy "
        "tego koszyka.",
        "Der Code SPRING10 gewährt einen Rabatt auf den Versand, aber nicht auf den "
        "Versand dieses Warenkorbs.",
    ),
    (
        Reason.ISSUED_TO_ANOTHER_SHOPPER,
        {},
        "The code SPRING10 was issued to another shopper.",
        "Kod SPRING10 został wydany innemu klientowi.",
        "Der Code SPRING10 wurde für einen anderen Kunden ausgestellt.",
    ),
]


def _message(diagnosis, words, templates=None):
    return message(diagnosis, templates or {}, words=words, time_zone=ZONE)


def test_every_reason_has_a_built_in_message_case():
    assert {reason for reason, *_ in BUILT_IN} == set(Reason)


@pytest.mark.parametrize(("reason", "details", "en", "pl", "de"), BUILT_IN)
def test_built_in_messages_in_english_polish_and_german(
    reason, details, en, pl, de, english, polish, german
):
    diagnosis = Diagnosis("SPRING10", reason, details)

    assert [_message(diagnosis, words) for words in (english, polish, german)] == [
        en,
        pl,
        de,
    ]


@pytest.mark.parametrize(
    ("minimum", "missing", "en", "pl", "de"),
    [
        (
            1,
            1,
            "The code C needs at least 1 item; add 1 more to use it.",
            "Kod C działa, gdy w koszyku jest co najmniej 1 produkt; dodaj jeszcze 1, "
            "aby go użyć.",
            "Der Code C setzt mindestens 1 Artikel im Warenkorb voraus; fügen Sie "
            "noch 1 hinzu, um ihn einzulösen.",
        ),
        (
            3,
            2,
            "The code C needs at least 3 items; add 2 more to use it.",
            "Kod C działa, gdy w koszyku są co najmniej 3 produkty; dodaj jeszcze 2, "
            "aby go użyć.",
            "Der Code C setzt mindestens 3 Artikel im Warenkorb voraus; fügen Sie "
            "noch 2 hinzu, um ihn einzulösen.",
        ),
        (
            12,
            10,
            "The code C needs at least 12 items; add 10 more to use it.",
            "Kod C działa, gdy w koszyku jest co najmniej 12 produktów; dodaj jeszcze "
            "10, aby go użyć.",
            "Der Code C setzt mindestens 12 Artikel im Warenkorb voraus; fügen Sie "
            "noch 10 hinzu, um ihn einzulösen.",
        ),
        (
            22,
            1,
            "The code C needs at least 22 items; add 1 more to use it.",
            "Kod C działa, gdy w koszyku są co najmniej 22 produkty; dodaj jeszcze 1, "
            "aby go użyć.",
            "Der Code C setzt mindestens 22 Artikel im Warenkorb voraus; fügen Sie "
            "noch 1 hinzu, um ihn einzulösen.",
        ),
    ],
)
def test_the_minimum_quantity_takes_the_plural_form_of_its_number(
    minimum, missing, en, pl, de, english, polish, german
):
    diagnosis = Diagnosis(
        "C",
        Reason.MINIMUM_QUANTITY_NOT_MET,
        {"minimum_quantity": minimum, "missing_quantity": missing},
    )

    assert [_message(diagnosis, words) for words in (english, polish, german)] == [
        en,
        pl,
        de,
    ]


def test_a_valid_code_has_no_message(english, polish):
    valid = Diagnosis("SPRING10", None, discount=Decimal(5))

    assert (_message(valid, english), _message(valid, polish)) == ("", "")


@pytest.mark.parametrize(
    ("currency", "min_spent", "subtotal", "en", "pl"),
    [
        ("JPY", "2000", "3", "at least ¥2,000; add ¥1,997 more", None),
        ("USD", "120", "100", "at least $120.00; add $20.00 more", None),
        ("KWD", "12.5", "10.25", "at least KWD12.500; add KWD2.250 more", None),
        (
            "PLN",
            "100",
            "30",
            "at least PLN100.00; add PLN70.00 more",
            f"co najmniej 100,00{NBSP}zł; dodaj produkty za 70,00{NBSP}zł",
        ),
        (
            "USD",
            "100",
            "30",
            "at least $100.00; add $70.00 more",
            f"co najmniej 100,00{NBSP}USD; dodaj produkty za 70,00{NBSP}USD",
        ),
    ],
)
def test_minimum_spend_amounts_are_in_the_currencys_minor_unit_and_the_language(
    currency, min_spent, subtotal, en, pl, english, polish
):
    voucher = VoucherFacts(
        code="SPRING10",
        listing=ChannelListing(
            discount_value=Decimal(10), currency=currency, min_spent=Decimal(min_spent)
        ),
    )
    checkout = CheckoutFacts(
        channel_is_active=True,
        currency=currency,
        subtotal=Decimal(subtotal),
        quantity=1,
        lines=(
            LineFacts(
                variant_id=1,
                product_id=1,
                category_id=1,
                collection_ids=frozenset(),
                unit_price=Decimal(subtotal),
                quantity=1,
            ),
        ),
    )
    diagnosis = diagnose(voucher, checkout, "SPRING10", NOW)

    assert _message(diagnosis, english) == (
        f"The code SPRING10 needs an order of {en} to use it."
    )
    if pl is not None:
        assert _message(diagnosis, polish) == (
            f"Kod SPRING10 wymaga zamówienia o wartości {pl}, aby go użyć."
        )


# A merchant's messages, as the settings page takes them.
MERCHANT_MESSAGES = (
    "expired: Sorry, $code ended on $ended_at.\n"
    "staff_only: $code: staff only.\n"
    "[pl]\n"
    "expired: Przepraszamy, kod $code wygasł $ended_at.\n"
    "[de]\n"
    "inactive: Der Code $code ist pausiert.\n"
)


def _merchants():
    settings = parse_channel_settings({"coupon_messages": MERCHANT_MESSAGES})
    return settings.coupons.messages


@pytest.mark.parametrize(
    ("reason", "details", "language", "expected"),
    [
        # The merchant's [pl] message for a Polish shopper, with Polish dates.
        (
            Reason.EXPIRED,
            {"ended_at": NOW},
            "pl",
            "Przepraszamy, kod SPRING10 wygasł 4 maja 2026 14:00 CEST.",
        ),
        # Their default message for English and German shoppers (no [de] one).
        (
            Reason.EXPIRED,
            {"ended_at": NOW},
            "en",
            f"Sorry, SPRING10 ended on May 4, 2026, 2:00{NNBSP}PM CEST.",
        ),
        (
            Reason.EXPIRED,
            {"ended_at": NOW},
            "de",
            "Sorry, SPRING10 ended on 4. Mai 2026, 14:00 CEST.",
        ),
        (Reason.STAFF_ONLY, {}, "pl", "SPRING10: staff only."),
        # A reason worded only in [de]: the built-in message elsewhere.
        (Reason.INACTIVE, {}, "de", "Der Code SPRING10 ist pausiert."),
        (Reason.INACTIVE, {}, "pl", "Kod SPRING10 nie jest już aktywny."),
        (Reason.INACTIVE, {}, "en", "The code SPRING10 is no longer active."),
        # A reason the merchant never worded: the built-in one in the language.
        (
            Reason.UNKNOWN_CODE,
            {},
            "de",
            "Wir kennen den Code SPRING10 nicht. Bitte prüfen Sie ihn auf Tippfehler.",
        ),
    ],
)
def test_the_merchants_message_in_the_shoppers_language_else_their_default_else_ours(
    reason, details, language, expected, english, polish, german
):
    words = {"en": english, "pl": polish, "de": german}[language]

    text = _message(Diagnosis("SPRING10", reason, details), words, _merchants())

    assert text == expected


def test_a_message_given_only_in_polish_leaves_others_the_built_in_one(english, polish):
    messages = parse_channel_settings(
        {"coupon_messages": "[pl]\nstaff_only: Kod $code jest dla załogi."}
    ).coupons.messages
    staff_only = Diagnosis("C", Reason.STAFF_ONLY)

    assert (
        _message(staff_only, polish, messages),
        _message(staff_only, english, messages),
    ) == ("Kod C jest dla załogi.", "The code C is for staff only.")


EVERY_PLACEHOLDER = (
    "[$code|$starts_at|$ended_at|$minimum_spend|$shortfall|$minimum_quantity"
    "|$missing_quantity|$eligible|$cause]"
)


@pytest.mark.parametrize(
    ("reason", "details", "en", "pl"),
    [
        (
            Reason.MINIMUM_SPEND_NOT_MET,
            {
                "minimum_spend": Decimal("120"),
                "shortfall": Decimal("20"),
                "currency": "USD",
            },
            "[SPRING10|||$120.00|$20.00|||selected items|]",
            f"[SPRING10|||120,00{NBSP}USD|20,00{NBSP}USD|||wybrane produkty|]",
        ),
        (
            Reason.MINIMUM_QUANTITY_NOT_MET,
            {"minimum_quantity": 5, "missing_quantity": 3},
            "[SPRING10|||||5|3|selected items|]",
            "[SPRING10|||||5|3|wybrane produkty|]",
        ),
        (
            Reason.NOT_STARTED,
            {"starts_at": NOW},
            f"[SPRING10|May 4, 2026, 2:00{NNBSP}PM CEST||||||selected items|]",
            "[SPRING10|4 maja 2026 14:00 CEST||||||wybrane produkty|]",
        ),
        (
            Reason.EXPIRED,
            {"ended_at": NOW},
            f"[SPRING10||May 4, 2026, 2:00{NNBSP}PM CEST|||||selected items|]",
            "[SPRING10||4 maja 2026 14:00 CEST|||||wybrane produkty|]",
        ),
        (
            Reason.NO_ELIGIBLE_ITEMS,
            {"eligible": ["Red mug", "Blue mug"]},
            "[SPRING10|||||||Red mug and Blue mug|]",
            "[SPRING10|||||||Red mug i Blue mug|]",
        ),
        (
            Reason.SHIPPING_NOT_APPLICABLE,
            {"cause": "country"},
            "[SPRING10|||||||selected items"
            "|it is not valid for delivery to your country]",
            "[SPRING10|||||||wybrane produkty"
            "|nie obowiązuje przy dostawie do Twojego kraju]",
        ),
        (
            Reason.SHIPPING_NOT_APPLICABLE,
            {"cause": "no_shipping"},
            "[SPRING10|||||||selected items|nothing in your cart needs shipping]",
            "[SPRING10|||||||wybrane produkty"
            "|żaden produkt w Twoim koszyku nie wymaga wysyłki]",
        ),
    ],
)
def test_every_placeholder_of_a_merchants_message_is_filled_in_the_language(
    reason, details, en, pl, english, polish
):
    templates = {reason.value: LocalizedText(EVERY_PLACEHOLDER)}
    diagnosis = Diagnosis("SPRING10", reason, details)

    assert (
        _message(diagnosis, english, templates),
        _message(diagnosis, polish, templates),
    ) == (en, pl)


def test_a_dollar_sign_in_a_merchants_message_stays_one(english):
    templates = {"staff_only": LocalizedText("$code costs $$5 for staff only.")}

    assert _message(Diagnosis("X", Reason.STAFF_ONLY), english, templates) == (
        "X costs $5 for staff only."
    )


@pytest.mark.parametrize(
    ("code", "en", "pl", "de"),
    [
        ("SPRING10", "", "", ""),
        ("A" * 255, "", "", ""),
        (
            "",
            "Enter a promo code; it is empty.",
            "Wpisz kod promocyjny; pole jest puste.",
            "Bitte geben Sie einen Gutscheincode ein; das Feld ist leer.",
        ),
        (
            "SPRING10-" + "x" * 247,
            "A promo code has at most 255 characters; the one entered has 256 (it "
            'begins "SPRING10-xxxxxxxxxxx…"). Enter the code alone.',
            "Kod promocyjny może mieć najwyżej 255 znaków; wpisany ma 256 (zaczyna się "
            "od „SPRING10-xxxxxxxxxxx…”). Wpisz sam kod.",
            "Ein Gutscheincode hat höchstens 255 Zeichen; der eingegebene hat 256 (er "
            "beginnt mit „SPRING10-xxxxxxxxxxx…“). Bitte geben Sie nur den Code ein.",
        ),
        (
            "Dear shopper, your code is SPRING10 " * 100,
            "A promo code has at most 255 characters; the one entered has 3600 (it "
            'begins "Dear shopper, your c…"). Enter the code alone.',
            "Kod promocyjny może mieć najwyżej 255 znaków; wpisany ma 3600 (zaczyna "
            "się od „Dear shopper, your c…”). Wpisz sam kod.",
            "Ein Gutscheincode hat höchstens 255 Zeichen; der eingegebene hat 3600 (er "
            "beginnt mit „Dear shopper, your c…“). Bitte geben Sie nur den Code ein.",
        ),
    ],
)
def test_an_empty_code_or_one_longer_than_saleor_holds_is_refused_by_its_beginning(
    code, en, pl, de, english, polish, german
):
    assert [
        code_problem(code, 255, words=words) for words in (english, polish, german)
    ] == [en, pl, de]
    assert CODE_PREFIX_SHOWN == 20


@pytest.mark.parametrize(
    ("limit", "pl"),
    [
        (1, "Kod promocyjny może mieć najwyżej 1 znak; wpisany ma 2"),
        (4, "Kod promocyjny może mieć najwyżej 4 znaki; wpisany ma 5"),
        (5, "Kod promocyjny może mieć najwyżej 5 znaków; wpisany ma 6"),
    ],
)
def test_the_longest_code_takes_the_plural_form_of_its_limit(
    limit, pl, english, polish
):
    code = "A" * (limit + 1)

    assert code_problem(code, limit, words=polish).startswith(pl + " (")
    assert code_problem(code, limit, words=english).startswith(
        f"A promo code has at most {limit} character{'s' if limit != 1 else ''}; "
    )


def test_a_removed_code_says_so_then_why(english, polish, german):
    def removed(words):
        why = _message(Diagnosis("C", Reason.STAFF_ONLY), words)
        return removed_message(why, words=words)

    assert [removed(words) for words in (english, polish, german)] == [
        "Your code was removed from the cart. The code C is for staff only.",
        "Twój kod został usunięty z koszyka. Kod C jest przeznaczony tylko dla "
        "pracowników.",
        "Ihr Code wurde aus dem Warenkorb entfernt. Der Code C ist nur für "
        "Mitarbeiter bestimmt.",
    ]


def test_an_honored_code_names_its_replacement_and_until_when(english, polish, german):
    until = NOW + 24 * HOUR

    assert [
        honored_message("BDAY30", "BDAY30-1A2B3C4D", until, words=words, time_zone=ZONE)
        for words in (english, polish, german)
    ] == [
        "The code BDAY30 ended just before you used it, so we honor it: "
        "BDAY30-1A2B3C4D gives you the same discount, for you only, until May 5, "
        f"2026, 2:00{NNBSP}PM CEST.",
        "Kod BDAY30 przestał działać tuż przed jego użyciem, więc i tak go uznajemy: "
        "kod BDAY30-1A2B3C4D daje Ci ten sam rabat, tylko dla Ciebie, do 5 maja 2026 "
        "14:00 CEST.",
        "Der Code BDAY30 wurde ungültig, kurz bevor Sie ihn verwendet haben, deshalb "
        "lösen wir ihn trotzdem ein: BDAY30-1A2B3C4D gewährt Ihnen denselben Rabatt, "
        "nur für Sie, bis 5. Mai 2026, 14:00 CEST.",
    ]


def test_too_many_codes_says_when_to_try_again_in_the_stores_time(
    english, polish, german
):
    retry_at = NOW + HOUR

    assert [
        rate_limit_message(retry_at, words=words, time_zone="America/New_York")
        for words in (english, polish, german)
    ] == [
        f"Too many codes were tried; try again after May 4, 2026, 9:00{NNBSP}AM EDT.",
        "Wypróbowano zbyt wiele kodów; spróbuj ponownie po 4 maja 2026 09:00 EDT.",
        "Es wurden zu viele Codes ausprobiert; bitte versuchen Sie es ab 4. Mai 2026, "
        "09:00 EDT erneut.",
    ]
