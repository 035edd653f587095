"""How a survey's notice reads: the subject and text at each moment, the problem an
after-problem survey names, the one-click answers, and the customer's language."""

from datetime import date

import pytest

from saleor_cs_plugin.domain.survey_invitations import invitation
from saleor_cs_plugin.domain.surveys import Moment, ProblemKind

LINK = "https://shop.example/survey/?token=t"
ANSWERS = {"yes": f"{LINK}&answer=yes", "no": f"{LINK}&answer=no"}
CLOSES = date(2026, 3, 24)


def _invite(words, moment, problem=None, **extra):
    return invitation(
        words=words,
        moment=moment,
        problem=problem,
        order_number="123",
        survey_link=LINK,
        answer_links=None if moment == Moment.ABANDONED else ANSWERS,
        closes_on=CLOSES,
        **extra,
    )


ONE_CLICK = (
    f"Yes: {LINK}&answer=yes\nNo: {LINK}&answer=no\n\n"
    "The link opens the survey with your answer chosen; it is recorded once you "
    "send it there. You can change your answers until March 24, 2026."
)


def test_a_completed_order_is_asked_whether_the_customer_was_satisfied(english):
    asked = _invite(english, Moment.COMPLETED)

    assert asked.subject == "How was your order #123?"
    assert (
        asked.question == "Were you satisfied with how the entire process was handled?"
    )
    assert asked.message == (
        "Thank you for your order #123. We would like to know how it went: it takes "
        "one click.\n\n"
        "Were you satisfied with how the entire process was handled?\n\n" + ONE_CLICK
    )


def test_an_abandoned_checkout_is_asked_why_with_one_link(english):
    asked = _invite(english, Moment.ABANDONED)

    assert asked.subject == "Why did you not complete your order?"
    assert asked.message == (
        "You recently left items in your cart without placing an order. Telling us "
        "why helps us do better: it takes one click.\n\n"
        "If you did not complete an order, why not?\n\n"
        f"Answer here: {LINK}\n\n"
        "You can change your answers until March 24, 2026."
    )


@pytest.mark.parametrize(
    ("problem", "subject", "opening", "question"),
    [
        (
            ProblemKind.DELAY,
            "How did we handle the delay of order #123?",
            "Your order #123 was late, and we kept you informed. We would like to "
            "know whether we handled it well: it takes one click.",
            "Did we handle the delay of order #123 the way you wanted?",
        ),
        (
            ProblemKind.STOCK_SHORTAGE,
            "How did we handle the missing item of order #123?",
            "An item of your order #123 was out of stock. We would like to know "
            "whether we handled it well: it takes one click.",
            "Did we handle the missing item of order #123 the way you wanted?",
        ),
        (
            ProblemKind.COUPON,
            "How did we handle your promo code?",
            "Your promo code had stopped working, and we gave you a new one. We would "
            "like to know whether we handled it well: it takes one click.",
            "Did we handle the promo code that stopped working the way you wanted?",
        ),
        (
            ProblemKind.CONTACT,
            "How did we handle your request?",
            "You were recently in touch with us. We would like to know whether we "
            "handled your request well: it takes one click.",
            "Did we handle your recent request the way you wanted?",
        ),
    ],
)
def test_after_a_problem_the_notice_names_the_problem(
    english, problem, subject, opening, question
):
    asked = _invite(english, Moment.AFTER_PROBLEM, problem)

    assert (asked.subject, asked.question) == (subject, question)
    assert asked.message == f"{opening}\n\n{question}\n\n{ONE_CLICK}"


def test_the_channels_wording_replaces_the_general_question(english):
    asked = _invite(
        english, Moment.COMPLETED, custom_question="Did we get it right for you?"
    )

    assert asked.question == "Did we get it right for you?"
    assert "\n\nDid we get it right for you?\n\n" in asked.message


def test_after_a_problem_the_question_keeps_naming_it_despite_the_channels_wording(
    english,
):
    asked = _invite(
        english,
        Moment.AFTER_PROBLEM,
        ProblemKind.DELAY,
        custom_question="Did we get it right?",
    )

    assert asked.question == "Did we handle the delay of order #123 the way you wanted?"


@pytest.mark.parametrize(
    ("language", "subject", "yes", "until"),
    [
        (
            "polish",
            "Jak oceniasz zamówienie nr 123?",
            f"Tak: {LINK}&answer=yes",
            "Odpowiedzi możesz zmieniać do 24 marca 2026.",
        ),
        (
            "german",
            "Wie war Ihre Bestellung Nr. 123?",
            f"Ja: {LINK}&answer=yes",
            "Sie können Ihre Antworten bis zum 24. März 2026 ändern.",
        ),
    ],
)
def test_the_notice_is_in_the_customers_language(
    request, language, subject, yes, until
):
    asked = _invite(request.getfixturevalue(language), Moment.COMPLETED)

    assert asked.subject == subject
    assert yes in asked.message.splitlines()
    assert asked.message.endswith(until)
