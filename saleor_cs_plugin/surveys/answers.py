"""A customer's answers to a follow-up survey, through the signed link of its notice
(the survey page and ``serviceSurveyAnswer``), without signing in.

``open_survey`` shows what a genuine link may see: the questions in the customer's
language, what is already answered, and a safe summary (the order's number and its
items' names; never an address, a payment or an e-mail). ``record_answers`` records
answers in one transaction with the survey's row locked: partial answers are kept, a
customer may change them until the survey closes, every change is an entry of the
service history (the customer sees it), and a "No" whose problem was not handled the
way the customer wanted raises, once per survey, a staff alert, a staff notice where
the channel names an address, and a note on the order's timeline.
"""

import logging
from dataclasses import dataclass, replace
from datetime import datetime

import graphene
from django.db import transaction
from saleor.checkout.models import Checkout, CheckoutLine
from saleor.order import events as order_events
from saleor.order.models import OrderLine

from .. import events, fetch, outbox, staff_alerts
from ..config import ChannelSettings, SettingsError
from ..domain import items
from ..domain.alerts import AlertKind, survey_call_back_alert
from ..domain.history import Problem
from ..domain.notices import NoticeType, idempotency_key
from ..domain.surveys import (
    ABANDON_REASON_TEXTS,
    WRONG_THING_TEXTS,
    AbandonReason,
    AnswerChange,
    Answers,
    Moment,
    ProblemKind,
    Question,
    SurveyState,
    SurveyStatus,
    WrongThing,
    check_answer,
    clean_comment,
    needs_call_back,
    question_text,
    questions_for,
)
from ..language import choose, for_checkout, for_order, words_for
from ..models import Survey
from . import asking
from .tokens import TokenRejected, verified_survey

logger = logging.getLogger(__name__)

# The survey's ID in GraphQL, in history details and in staff alerts.
GRAPHQL_TYPE = "ServiceSurvey"
# A cleaned comment is cleaned again until nothing changes: markup written with
# entities ("&lt;b&gt;") becomes markup on the first pass.
CLEANING_PASSES = 5

CLOSED_SURVEY = Problem(
    "token",
    "CLOSED",
    "This survey is closed: it no longer takes answers, and the answers given stay "
    "as they are.",
)

KIND_BY_QUESTION = {
    Question.SATISFIED: "yes_no",
    Question.HANDLED_AS_WANTED: "yes_no",
    Question.WHY_NOT_COMPLETED: "one",
    Question.WHAT_WENT_WRONG: "many",
}
CHOICE_TEXTS = {
    Question.WHY_NOT_COMPLETED: ABANDON_REASON_TEXTS,
    Question.WHAT_WENT_WRONG: WRONG_THING_TEXTS,
}


class AnswerRejected(Exception):
    """Nothing was recorded (or, for ``open_survey``, the link shows nothing):
    every problem, each naming its field (token, satisfied, handled_as_wanted,
    what_went_wrong, why_not_completed, comment, answers)."""

    def __init__(self, problems: list[Problem], *, is_bad_token: bool = False):
        self.problems = problems
        self.is_bad_token = is_bad_token
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


@dataclass(frozen=True)
class QuestionView:
    question: Question
    text: str
    # "yes_no", "one" (one of ``choices``) or "many" (any of them).
    kind: str
    # (value, label) of each answer, for "one" and "many".
    choices: list[tuple[str, str]]


@dataclass(frozen=True)
class SurveyView:
    survey: Survey
    language: str
    is_open: bool
    questions: list[QuestionView]
    answers: Answers
    order_number: str
    items: list[str]
    closes_at: datetime | None


def global_id(survey: Survey) -> str:
    return graphene.Node.to_global_id(GRAPHQL_TYPE, survey.pk)


def answers_of(survey: Survey) -> Answers:
    """The answers a survey's row holds."""
    return Answers(
        satisfied=survey.satisfied,
        handled_as_wanted=survey.handled_as_wanted,
        what_went_wrong=tuple(WrongThing(value) for value in survey.what_went_wrong),
        why_not_completed=(
            AbandonReason(survey.why_not_completed)
            if survey.why_not_completed
            else None
        ),
        comment=survey.comment,
    )


def is_open(survey: Survey, now: datetime) -> bool:
    return SurveyState(SurveyStatus(survey.status), survey.closes_at).is_open(now)


def open_survey(
    token: str, *, now: datetime, channel_id=None, language: str | None = None
) -> SurveyView:
    """What the survey's link shows, read once. A closed survey still shows what
    was answered (``is_open`` False).

    ``channel_id``: the channel whose page shows it (another channel's link is not
    valid there); ``language``: the one asked for (the page's or GraphQL's), when
    the plugin speaks it. Raises ``AnswerRejected`` (token INVALID or NOT_FOUND).
    """
    survey = _verified(token, channel_id=channel_id)
    return survey_view(survey, now=now, language=language)


def survey_view(
    survey: Survey, *, now: datetime, language: str | None = None
) -> SurveyView:
    """The view of a survey whose reader may see it (the link's holder, the signed-in
    customer, staff)."""
    settings = _settings(survey)
    chosen = _language(survey, settings, language)
    order = survey.order if survey.order_id else None
    order_number = str(order.number) if order is not None else ""
    return SurveyView(
        survey=survey,
        language=chosen,
        is_open=is_open(survey, now),
        questions=_questions(survey, settings, chosen, order_number),
        answers=answers_of(survey),
        order_number=order_number,
        items=_item_names(survey),
        closes_at=survey.closes_at,
    )


def cleaned_comment(text: str) -> str:
    """Free text as it is kept: no markup, even markup written with entities."""
    for _ in range(CLEANING_PASSES):
        cleaned = clean_comment(text)
        if cleaned == text:
            break
        text = cleaned
    return text


def record_answers(
    token: str, change: AnswerChange, *, now: datetime, channel_id=None
) -> tuple[SurveyView, list]:
    """Record answers given through the survey's link (all at once or some of them;
    answers not given are kept). Returns the survey as recorded and the ids of
    notices the caller schedules for delivery after commit.

    Raises ``AnswerRejected`` with every problem; nothing is recorded then.
    """
    with transaction.atomic():
        survey = _verified(token, channel_id=channel_id, for_update=True)
        if not is_open(survey, now):
            raise AnswerRejected([CLOSED_SURVEY])
        if change.comment is not None:
            change = replace(change, comment=cleaned_comment(change.comment))
        problems = check_answer(change, moment=Moment(survey.moment))
        if problems:
            raise AnswerRejected(problems)
        notice_ids = _apply(survey, change, now=now)
    return survey_view(survey, now=now), notice_ids


# ---------------------------------------------------------------------------


def _verified(token: str, *, channel_id, for_update: bool = False) -> Survey:
    try:
        return verified_survey(token, channel_id=channel_id, for_update=for_update)
    except TokenRejected as rejected:
        raise AnswerRejected(
            [rejected.problem], is_bad_token=rejected.is_bad_token
        ) from rejected


def _settings(survey: Survey) -> ChannelSettings:
    if survey.channel_id is None:
        return ChannelSettings()
    try:
        return fetch.channel_settings(survey.channel_id)
    except SettingsError as error:
        logger.warning("Survey %s shown with default settings: %s", survey.pk, error)
        return ChannelSettings()


def _language(survey: Survey, settings: ChannelSettings, asked: str | None) -> str:
    """The language asked for, else the survey's (recorded when it was sent), else
    the order's or checkout's, else the channel's."""
    written = settings.written_languages
    fallback = settings.language
    if not survey.language:
        checkout = None if survey.order_id else _checkout(survey)
        if survey.order_id and survey.order is not None:
            fallback = for_order(survey.order, default=fallback, also=written)
        elif checkout is not None:
            fallback = for_checkout(checkout, default=fallback, also=written)
    return choose(asked, survey.language, default=fallback, also=written)


def _checkout(survey: Survey):
    if survey.checkout_token is None:
        return None
    return (
        Checkout.objects.filter(token=survey.checkout_token)
        .select_related("user")
        .first()
    )


def _questions(
    survey: Survey, settings: ChannelSettings, language: str, order_number: str
) -> list[QuestionView]:
    words = words_for(language)
    moment = Moment(survey.moment)
    problem = ProblemKind(survey.problem_kind) if survey.problem_kind else None
    views = []
    for question in questions_for(moment):
        texts = CHOICE_TEXTS.get(question, {})
        views.append(
            QuestionView(
                question=question,
                text=question_text(
                    question,
                    words=words,
                    moment=moment,
                    problem=problem,
                    order_number=order_number,
                    custom=settings.surveys.question(question, language),
                ),
                kind=KIND_BY_QUESTION[question],
                choices=[
                    (value.value, words.gettext(text)) for value, text in texts.items()
                ],
            )
        )
    return views


def _item_names(survey: Survey) -> list[str]:
    """The names of what was ordered (or left in the checkout), nothing else.

    An abandoned checkout's survey went to the e-mail the shopper typed, which
    nobody verified: its items are shown only when the checkout was a signed-in
    customer's own, with their account's e-mail (``asking.is_own_checkout``)."""
    if survey.order_id:
        lines = (
            OrderLine.objects.filter(order_id=survey.order_id)
            .select_related("variant")
            .order_by("created_at", "pk")
        )
        return [
            items.item_name(
                line.product_name,
                line.variant_name or "",
                line.product_sku
                or (line.variant.sku if line.variant is not None else "")
                or "",
            )
            for line in lines
        ]
    if survey.checkout_token is not None and asking.is_own_checkout(
        survey.user if survey.user_id else None, survey.email
    ):
        lines = (
            CheckoutLine.objects.filter(checkout_id=survey.checkout_token)
            .select_related("variant", "variant__product")
            .order_by("created_at", "pk")
        )
        return [
            items.item_name(
                line.variant.product.name,
                line.variant.name or "",
                line.variant.sku or "",
            )
            for line in lines
        ]
    return []


_YES_NO = {True: "yes", False: "no"}


def _answered_message(before: Answers, after: Answers) -> str:
    """The history entry's sentence: what this change answered."""
    parts = []
    if after.satisfied != before.satisfied and after.satisfied is not None:
        parts.append(f"satisfied: {_YES_NO[after.satisfied]}")
    if (
        after.handled_as_wanted != before.handled_as_wanted
        and after.handled_as_wanted is not None
    ):
        parts.append(
            f"handled the way the customer wanted: {_YES_NO[after.handled_as_wanted]}"
        )
    if after.what_went_wrong != before.what_went_wrong:
        parts.append(
            "what went wrong: "
            + (", ".join(WRONG_THING_TEXTS[w] for w in after.what_went_wrong) or "none")
        )
    if after.why_not_completed != before.why_not_completed and after.why_not_completed:
        parts.append(
            f"why not completed: {ABANDON_REASON_TEXTS[after.why_not_completed]}"
        )
    if after.comment != before.comment:
        parts.append("comment given" if after.comment else "comment removed")
    verb = "Changed survey answers" if not before.is_empty else "Answered the survey"
    return f"{verb}: {'; '.join(parts)}."


def _answer_details(survey: Survey, before: Answers, after: Answers) -> dict:
    # The comment itself stays on the survey only: retention and anonymization
    # erase it there.
    changed = [
        name
        for name in (
            "satisfied",
            "handled_as_wanted",
            "what_went_wrong",
            "why_not_completed",
            "comment",
        )
        if getattr(before, name) != getattr(after, name)
    ]
    return {
        "surveyId": global_id(survey),
        "moment": survey.moment,
        "problem": survey.problem_kind or None,
        "changed": changed,
        "satisfied": after.satisfied,
        "handledAsWanted": after.handled_as_wanted,
        "whatWentWrong": [w.value for w in after.what_went_wrong],
        "whyNotCompleted": (
            after.why_not_completed.value if after.why_not_completed else None
        ),
        "hasComment": bool(after.comment),
    }


def _apply(survey: Survey, change: AnswerChange, *, now: datetime) -> list:
    before = answers_of(survey)
    after = before.merged(change)
    if after == before:
        return []
    survey.satisfied = after.satisfied
    survey.handled_as_wanted = after.handled_as_wanted
    survey.what_went_wrong = [w.value for w in after.what_went_wrong]
    survey.why_not_completed = (
        after.why_not_completed.value if after.why_not_completed else ""
    )
    survey.comment = after.comment
    if survey.first_answered_at is None:
        survey.first_answered_at = now
    survey.answered_at = now
    fields = [
        "satisfied",
        "handled_as_wanted",
        "what_went_wrong",
        "why_not_completed",
        "comment",
        "first_answered_at",
        "answered_at",
        "updated_at",
    ]
    is_call_back = survey.call_back_alerted_at is None and needs_call_back(
        Moment(survey.moment), after
    )
    if is_call_back:
        survey.call_back_alerted_at = now
        fields.append("call_back_alerted_at")
    survey.save(update_fields=fields)
    events.survey_answered_event(
        survey=survey,
        message=_answered_message(before, after),
        details=_answer_details(survey, before, after),
    )
    if not is_call_back:
        return []
    return _call_back(survey, after, now=now)


def call_back_draft(survey: Survey, answers: Answers):
    """The staff alert asking to call the customer back, with ``answers``."""
    order = survey.order if survey.order_id else None
    return survey_call_back_alert(
        survey_id=global_id(survey),
        moment=survey.moment,
        problem=survey.problem_kind,
        order_number=str(order.number) if order is not None else "",
        customer_email=survey.email,
        what_went_wrong=[w.value for w in answers.what_went_wrong],
        comment=answers.comment,
    )


def _call_back(survey: Survey, answers: Answers, *, now: datetime) -> list:
    """Staff alert, staff notice and order note: someone calls the customer back."""
    order = survey.order if survey.order_id else None
    draft = call_back_draft(survey, answers)
    raised = staff_alerts.raise_alert(
        kind=AlertKind.SURVEY_CALL_BACK,
        cause_key=draft.cause_key,
        title=draft.title,
        message=draft.message,
        now=now,
        details=draft.details,
        channel_id=survey.channel_id,
        order_id=survey.order_id,
    )
    if order is not None:
        # The timeline outlives the plugin's retention of free text: the note
        # names the answers, the alert quotes the customer.
        order_events.order_note_added_event(
            order=order,
            user=None,
            app=None,
            message=(
                "Survey: the customer says the problem was not handled the way "
                "they wanted and should be called back (see the staff alert; log "
                "the call with serviceContactLog naming survey "
                f"{global_id(survey)})."
            ),
        )
    if not raised.is_new:
        return []
    settings = _settings(survey)
    if not settings.surveys.staff_email:
        return []
    notice, created = outbox.enqueue_notice(
        notice_type=NoticeType.STAFF_ALERT,
        idempotency_key=idempotency_key(
            NoticeType.STAFF_ALERT, AlertKind.SURVEY_CALL_BACK, survey.pk
        ),
        notice_settings=settings.notices,
        recipient_email=settings.surveys.staff_email,
        context={
            "subject": draft.title,
            "message": draft.message,
            "customer_name": "team",
            "order_number": str(order.number) if order is not None else "",
            "data": draft.details,
        },
        channel=survey.channel if survey.channel_id else None,
        order=order,
    )
    return [notice.pk] if created else []
