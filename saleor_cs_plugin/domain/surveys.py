"""Rules of follow-up surveys: who is asked at which moment, which questions a
survey asks, what a customer's answers may be, and when an answer needs a call back.

Nothing here reads a clock, a database or a setting store: ``now``, the salt of the
sampling and every count are parameters.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from html.parser import HTMLParser

from .history import Problem
from .words import Words, gettext_noop

# Free text of an answer: at most this many characters, after markup is stripped.
COMMENT_MAX_LENGTH = 1000
# Sampling buckets: a percentage is compared in hundredths of a percent.
SAMPLE_BUCKETS = 10_000


class Moment(StrEnum):
    """When a customer is asked."""

    COMPLETED = "completed"  # days after the order was delivered or shipped
    ABANDONED = "abandoned"  # hours after a checkout was left without an order
    AFTER_PROBLEM = "after_problem"  # after a problem the store handled


class ProblemKind(StrEnum):
    """The problem an after-problem survey asks about."""

    DELAY = "delay"  # the order was late and the customer was told
    STOCK_SHORTAGE = "stock_shortage"  # answered, or the stock came back
    COUPON = "coupon"  # a promoted code that had ended was honored
    CONTACT = "contact"  # staff logged a contact with the customer


class SurveyStatus(StrEnum):
    """Where one survey stands."""

    SCHEDULED = "scheduled"  # due at ``due_at``; the sweep decides then
    SENT = "sent"  # the customer was asked (its notice was recorded)
    SKIPPED = "skipped"  # decided not to ask; ``skip_reason`` says why


class SkipReason(StrEnum):
    """Why a due survey was not sent."""

    MOMENT_OFF = "moment_off"  # the channel does not ask at this moment
    NOT_SAMPLED = "not_sampled"  # the customer is outside the moment's sample
    RECENTLY_ASKED = "recently_asked"  # fatigue: asked within the last N days
    NO_EMAIL = "no_email"  # nobody to ask
    ORDER_CANCELLED = "order_cancelled"
    ORDER_GONE = "order_gone"
    ORDERED_SINCE = "ordered_since"  # an abandoned checkout's e-mail ordered since
    ALREADY_ASKED = "already_asked"  # the same order was asked at another moment


class Question(StrEnum):
    """The four questions of the store's method."""

    WHY_NOT_COMPLETED = "why_not_completed"
    SATISFIED = "satisfied"
    WHAT_WENT_WRONG = "what_went_wrong"
    HANDLED_AS_WANTED = "handled_as_wanted"


class AbandonReason(StrEnum):
    """Why a customer did not complete an order (one answer)."""

    PRICE = "price"
    SHIPPING_COST = "shipping_cost"
    DELIVERY_TOO_SLOW = "delivery_too_slow"
    COUPON_FAILED = "coupon_failed"
    PAYMENT_PROBLEM = "payment_problem"
    JUST_LOOKING = "just_looking"
    BOUGHT_ELSEWHERE = "bought_elsewhere"
    SITE_PROBLEM = "site_problem"
    OTHER = "other"


class WrongThing(StrEnum):
    """What went wrong with an order (any number of answers)."""

    LATE = "late"
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    MISSING_OR_OUT_OF_STOCK = "missing_or_out_of_stock"
    COUPON_OR_PRICE = "coupon_or_price"
    HARD_TO_REACH = "hard_to_reach"
    SLOW_ANSWER = "slow_answer"
    OTHER = "other"


# The built-in wording, translated where it is used (words.gettext). A channel may
# replace each question's wording (SurveySettings.questions).
QUESTION_TEXTS = {
    Question.WHY_NOT_COMPLETED: gettext_noop(
        "If you did not complete an order, why not?"
    ),
    Question.SATISFIED: gettext_noop(
        "Were you satisfied with how the entire process was handled?"
    ),
    Question.WHAT_WENT_WRONG: gettext_noop("What went wrong?"),
    Question.HANDLED_AS_WANTED: gettext_noop(
        "Did we handle the problem the way you wanted?"
    ),
}

# After a problem, the question names it; whole sentences for the translators.
PROBLEM_QUESTION_TEXTS = {
    ProblemKind.DELAY: gettext_noop(
        "Did we handle the delay of order #%(order_number)s the way you wanted?"
    ),
    ProblemKind.STOCK_SHORTAGE: gettext_noop(
        "Did we handle the missing item of order #%(order_number)s the way you wanted?"
    ),
    ProblemKind.COUPON: gettext_noop(
        "Did we handle the promo code that stopped working the way you wanted?"
    ),
    ProblemKind.CONTACT: gettext_noop(
        "Did we handle your recent request the way you wanted?"
    ),
}

ABANDON_REASON_TEXTS = {
    AbandonReason.PRICE: gettext_noop("The price"),
    AbandonReason.SHIPPING_COST: gettext_noop("The shipping cost"),
    AbandonReason.DELIVERY_TOO_SLOW: gettext_noop("Delivery would take too long"),
    AbandonReason.COUPON_FAILED: gettext_noop("A coupon did not work"),
    AbandonReason.PAYMENT_PROBLEM: gettext_noop("A problem with payment"),
    AbandonReason.JUST_LOOKING: gettext_noop("I was just looking"),
    AbandonReason.BOUGHT_ELSEWHERE: gettext_noop("I bought it elsewhere"),
    AbandonReason.SITE_PROBLEM: gettext_noop("A problem with the site"),
    AbandonReason.OTHER: gettext_noop("Something else"),
}

WRONG_THING_TEXTS = {
    WrongThing.LATE: gettext_noop("It was late"),
    WrongThing.DAMAGED: gettext_noop("Something arrived damaged"),
    WrongThing.WRONG_ITEM: gettext_noop("I got the wrong item"),
    WrongThing.MISSING_OR_OUT_OF_STOCK: gettext_noop(
        "An item was missing or out of stock"
    ),
    WrongThing.COUPON_OR_PRICE: gettext_noop("A coupon or the price"),
    WrongThing.HARD_TO_REACH: gettext_noop("You were hard to reach"),
    WrongThing.SLOW_ANSWER: gettext_noop("An answer took too long"),
    WrongThing.OTHER: gettext_noop("Something else"),
}


def questions_for(moment: Moment) -> tuple[Question, ...]:
    """The questions of a survey at ``moment``, in the order they are asked.

    WHAT_WENT_WRONG and, after a completed order, HANDLED_AS_WANTED are asked only
    after a "No" (``follow_up_questions``).
    """
    if moment == Moment.ABANDONED:
        return (Question.WHY_NOT_COMPLETED,)
    if moment == Moment.COMPLETED:
        return (
            Question.SATISFIED,
            Question.WHAT_WENT_WRONG,
            Question.HANDLED_AS_WANTED,
        )
    return (Question.HANDLED_AS_WANTED, Question.WHAT_WENT_WRONG)


def first_question(moment: Moment) -> Question:
    """The question the notice's one-click answers (Yes/No) answer; for abandoned
    checkouts the notice carries no one-click answer."""
    return questions_for(moment)[0]


def question_text(
    question: Question,
    *,
    words: Words,
    moment: Moment,
    problem: ProblemKind | None = None,
    order_number: str = "",
    custom: str = "",
) -> str:
    """The question as the customer reads it.

    ``custom``: the channel's own wording of the question in the customer's
    language ("" for the built-in one). After a problem, the handled-as-wanted
    question names the problem and keeps the built-in wording when ``custom`` does
    not name it (a channel's wording is for the general question).
    """
    if (
        question == Question.HANDLED_AS_WANTED
        and moment == Moment.AFTER_PROBLEM
        and problem is not None
    ):
        return words.gettext(PROBLEM_QUESTION_TEXTS[problem]) % {
            "order_number": order_number
        }
    if custom:
        return custom
    return words.gettext(QUESTION_TEXTS[question])


# Sampling and fatigue ---------------------------------------------------------------


def sample_bucket(salt: bytes, customer: str) -> int:
    """The customer's place in every sample, 0 to SAMPLE_BUCKETS - 1.

    A keyed hash of the customer (their e-mail, lower-cased): the same customer
    always gets the same place in this store, so re-running a sweep never changes
    who is asked, and a customer in a 10% sample is in the 20% sample too.
    ``salt`` is the store's own: another store's customers are placed differently.
    """
    digest = hmac.new(salt, customer.strip().lower().encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % SAMPLE_BUCKETS


def is_sampled(bucket: int, percent: int) -> bool:
    """Whether a customer at ``bucket`` is in a ``percent``% sample (0 to 100)."""
    return bucket < percent * SAMPLE_BUCKETS // 100


@dataclass(frozen=True)
class MomentSettings:
    """One moment's switch and sample, as a channel sets them."""

    is_enabled: bool = False
    percent: int = 0


@dataclass(frozen=True)
class Candidate:
    """A survey that is due, with what the decision needs to know."""

    moment: Moment
    email: str
    # When this customer was last asked (any moment, any channel); None: never.
    last_asked_at: datetime | None = None
    is_order_cancelled: bool = False
    is_order_gone: bool = False
    has_ordered_since: bool = False
    # The order was already asked about at another moment.
    is_order_already_asked: bool = False


def decide(
    candidate: Candidate,
    *,
    moment_settings: MomentSettings,
    fatigue_days: int,
    bucket: int,
    now: datetime,
) -> SkipReason | None:
    """Whether to ask: None to send the survey, else why not.

    ``bucket``: ``sample_bucket`` of the candidate's e-mail. Opt-outs, quiet hours
    and the daily cap are the notice's to apply (a survey is a non-essential
    notice), not this decision's.
    """
    if not moment_settings.is_enabled:
        return SkipReason.MOMENT_OFF
    if not candidate.email:
        return SkipReason.NO_EMAIL
    if candidate.is_order_gone:
        return SkipReason.ORDER_GONE
    if candidate.is_order_cancelled:
        return SkipReason.ORDER_CANCELLED
    if candidate.has_ordered_since:
        return SkipReason.ORDERED_SINCE
    if candidate.is_order_already_asked:
        return SkipReason.ALREADY_ASKED
    if not is_sampled(bucket, moment_settings.percent):
        return SkipReason.NOT_SAMPLED
    if (
        fatigue_days > 0
        and candidate.last_asked_at is not None
        and candidate.last_asked_at > now - timedelta(days=fatigue_days)
    ):
        return SkipReason.RECENTLY_ASKED
    return None


# Answers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """What a customer answered so far; None / empty: not answered."""

    satisfied: bool | None = None
    handled_as_wanted: bool | None = None
    what_went_wrong: tuple[WrongThing, ...] = ()
    why_not_completed: AbandonReason | None = None
    comment: str = ""

    def merged(self, change: "AnswerChange") -> "Answers":
        """These answers with ``change`` applied: a given answer replaces the one
        before, an answer not given keeps it (partial answers are kept)."""
        values = {}
        for name in ("satisfied", "handled_as_wanted", "why_not_completed", "comment"):
            given = getattr(change, name)
            values[name] = getattr(self, name) if given is None else given
        values["what_went_wrong"] = (
            self.what_went_wrong
            if change.what_went_wrong is None
            else tuple(dict.fromkeys(change.what_went_wrong))
        )
        return Answers(**values)

    @property
    def is_empty(self) -> bool:
        return self == Answers()


@dataclass(frozen=True)
class AnswerChange:
    """Answers sent in one go; None: that question is not answered by this change
    (an empty ``what_went_wrong`` or ``comment`` clears it)."""

    satisfied: bool | None = None
    handled_as_wanted: bool | None = None
    what_went_wrong: tuple[WrongThing, ...] | None = None
    why_not_completed: AbandonReason | None = None
    comment: str | None = None


ANSWER_FIELDS = {
    Question.SATISFIED: "satisfied",
    Question.HANDLED_AS_WANTED: "handled_as_wanted",
    Question.WHAT_WENT_WRONG: "what_went_wrong",
    Question.WHY_NOT_COMPLETED: "why_not_completed",
}


def check_answer(change: AnswerChange, *, moment: Moment) -> list[Problem]:
    """Everything wrong with an answer to a survey at ``moment``, each naming its
    field (the GraphQL argument's name, in Python style)."""
    asked = set(questions_for(moment))
    problems = []
    for question, name in ANSWER_FIELDS.items():
        if question not in asked and getattr(change, name) not in (None, ()):
            problems.append(
                Problem(
                    name,
                    "INVALID",
                    f"This survey does not ask it; it asks: "
                    f"{', '.join(ANSWER_FIELDS[q] for q in questions_for(moment))}.",
                )
            )
    if change.comment is not None and len(change.comment) > COMMENT_MAX_LENGTH:
        problems.append(
            Problem(
                "comment",
                "INVALID",
                f"{len(change.comment)} characters; at most {COMMENT_MAX_LENGTH} are "
                "allowed.",
            )
        )
    if change == AnswerChange():
        problems.append(Problem("answers", "REQUIRED", "Give at least one answer."))
    return problems


def needs_call_back(moment: Moment, answers: Answers) -> bool:
    """A "No" whose problem was not handled the way the customer wanted: someone
    should call the customer back."""
    if answers.handled_as_wanted is not False:
        return False
    if moment == Moment.COMPLETED:
        return answers.satisfied is False
    return moment == Moment.AFTER_PROBLEM


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_comment(text: str) -> str:
    """Free text as it is kept: markup and control characters stripped, spaces at
    the ends trimmed. The length is checked on what is left (``check_answer``)."""
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return _CONTROL.sub("", "".join(parser.parts)).strip()


@dataclass(frozen=True)
class SurveyState:
    """What decides whether a survey still takes answers."""

    status: SurveyStatus
    closes_at: datetime | None

    def is_open(self, now: datetime) -> bool:
        return (
            self.status == SurveyStatus.SENT
            and self.closes_at is not None
            and now < self.closes_at
        )
