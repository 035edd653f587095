"""How a survey's notice reads: the subject and the text that ask a customer, in
their language, with the survey's link and (for yes/no questions) one link per
answer.

Whole sentences with ``%(name)s`` placeholders, translated where they are used
(``words.gettext``); after a problem, the subject and the question name the
problem. Nothing here reads a clock, a database or a setting store.
"""

from dataclasses import dataclass
from datetime import date

from .surveys import Moment, ProblemKind, first_question, question_text
from .words import Words, gettext_noop

COMPLETED_SUBJECT = gettext_noop("How was your order #%(order_number)s?")
ABANDONED_SUBJECT = gettext_noop("Why did you not complete your order?")
PROBLEM_SUBJECTS = {
    ProblemKind.DELAY: gettext_noop(
        "How did we handle the delay of order #%(order_number)s?"
    ),
    ProblemKind.STOCK_SHORTAGE: gettext_noop(
        "How did we handle the missing item of order #%(order_number)s?"
    ),
    ProblemKind.COUPON: gettext_noop("How did we handle your promo code?"),
    ProblemKind.CONTACT: gettext_noop("How did we handle your request?"),
}

COMPLETED_OPENING = gettext_noop(
    "Thank you for your order #%(order_number)s. We would like to know how it went: "
    "it takes one click."
)
ABANDONED_OPENING = gettext_noop(
    "You recently left items in your cart without placing an order. Telling us why "
    "helps us do better: it takes one click."
)
PROBLEM_OPENINGS = {
    ProblemKind.DELAY: gettext_noop(
        "Your order #%(order_number)s was late, and we kept you informed. We would "
        "like to know whether we handled it well: it takes one click."
    ),
    ProblemKind.STOCK_SHORTAGE: gettext_noop(
        "An item of your order #%(order_number)s was out of stock. We would like to "
        "know whether we handled it well: it takes one click."
    ),
    ProblemKind.COUPON: gettext_noop(
        "Your promo code had stopped working, and we gave you a new one. We would "
        "like to know whether we handled it well: it takes one click."
    ),
    ProblemKind.CONTACT: gettext_noop(
        "You were recently in touch with us. We would like to know whether we "
        "handled your request well: it takes one click."
    ),
}
ANSWER_YES = gettext_noop("Yes: %(link)s")
ANSWER_NO = gettext_noop("No: %(link)s")
ANSWER_HERE = gettext_noop("Answer here: %(link)s")
THE_REST = gettext_noop(
    "The link opens the survey with your answer chosen; it is recorded once you "
    "send it there. You can change your answers until %(date)s."
)
CHANGE_UNTIL = gettext_noop("You can change your answers until %(date)s.")


@dataclass(frozen=True)
class Invitation:
    """The notice of one survey: its subject and text, and the question its
    one-click answers answer (its text as the customer reads it)."""

    subject: str
    message: str
    question: str


def invitation(
    *,
    words: Words,
    moment: Moment,
    problem: ProblemKind | None,
    order_number: str,
    survey_link: str,
    answer_links: dict[str, str] | None,
    closes_on: date,
    custom_question: str = "",
) -> Invitation:
    """The notice asking the first question of a survey at ``moment``.

    ``answer_links``: {"yes": link, "no": link} for a yes/no first question (None
    for an abandoned checkout, whose question has a list of answers);
    ``custom_question``: the channel's wording of that question in this language.
    A link only opens the survey: the answer is recorded when the customer sends
    it from the page.
    """
    values = {"order_number": order_number}
    if moment == Moment.COMPLETED:
        subject, opening = COMPLETED_SUBJECT, COMPLETED_OPENING
    elif moment == Moment.ABANDONED:
        subject, opening = ABANDONED_SUBJECT, ABANDONED_OPENING
    else:
        problem = ProblemKind(problem)
        subject, opening = PROBLEM_SUBJECTS[problem], PROBLEM_OPENINGS[problem]
    question = question_text(
        first_question(moment),
        words=words,
        moment=moment,
        problem=problem if moment == Moment.AFTER_PROBLEM else None,
        order_number=order_number,
        custom=custom_question,
    )
    until = {"date": words.date(closes_on)}
    paragraphs = [words.gettext(opening) % values, question]
    if answer_links:
        paragraphs.append(
            "\n".join(
                [
                    words.gettext(ANSWER_YES) % {"link": answer_links["yes"]},
                    words.gettext(ANSWER_NO) % {"link": answer_links["no"]},
                ]
            )
        )
        paragraphs.append(words.gettext(THE_REST) % until)
    else:
        paragraphs.append(words.gettext(ANSWER_HERE) % {"link": survey_link})
        paragraphs.append(words.gettext(CHANGE_UNTIL) % until)
    return Invitation(
        subject=words.gettext(subject) % values,
        message="\n\n".join(paragraphs),
        question=question,
    )
