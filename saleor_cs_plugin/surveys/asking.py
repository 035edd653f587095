"""The notice that asks one customer one survey: its words in the customer's
language (``domain.survey_invitations``), the survey page's link with its signed
token, and one link per answer of a yes/no first question.

The links only open the page: mail services' link scanners fetch every link in a
message, so the page records an answer only when the customer sends it.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import graphene

from .. import outbox
from ..config import ChannelSettings
from ..domain.notices import NoticeType, idempotency_key
from ..domain.survey_invitations import invitation
from ..domain.surveys import Moment, ProblemKind, first_question
from ..language import words_for
from ..models import Notice, Survey
from ..pages.links import page_link
from .tokens import survey_token

ONE_CLICK_ANSWERS = ("yes", "no")


@dataclass(frozen=True)
class Addressee:
    """Who is asked, as the notice greets them."""

    email: str
    customer_name: str = ""
    order_number: str = ""


def survey_links(
    survey: Survey, *, channel_slug: str, settings: ChannelSettings
) -> tuple[str, str, dict[str, str] | None]:
    """The survey's token, its page's link, and the one-click links {"yes", "no"}
    (None for an abandoned checkout: its question has a list of answers)."""
    token = survey_token(survey)
    link = page_link("survey", channel_slug=channel_slug, token=token, settings=settings)
    answer_links = None
    if survey.moment != Moment.ABANDONED:
        answer_links = {
            answer: page_link(
                "survey",
                channel_slug=channel_slug,
                token=token,
                settings=settings,
                extra={"answer": answer},
            )
            for answer in ONE_CLICK_ANSWERS
        }
    return token, link, answer_links


def survey_notice(
    survey: Survey,
    addressee: Addressee,
    *,
    settings: ChannelSettings,
    channel_slug: str,
) -> Notice:
    """The unsaved SURVEY notice of a survey decided to be sent: its ``language``,
    ``link_nonce`` and ``closes_at`` are set."""
    moment = Moment(survey.moment)
    problem = ProblemKind(survey.problem_kind) if survey.problem_kind else None
    words = words_for(survey.language)
    token, link, answer_links = survey_links(
        survey, channel_slug=channel_slug, settings=settings
    )
    question = first_question(moment)
    asked = invitation(
        words=words,
        moment=moment,
        problem=problem,
        order_number=addressee.order_number,
        survey_link=link,
        answer_links=answer_links,
        closes_on=survey.closes_at.astimezone(ZoneInfo(settings.time_zone)).date(),
        custom_question=settings.surveys.question(question, words.language),
    )
    return outbox.new_notice(
        notice_type=NoticeType.SURVEY,
        idempotency_key=idempotency_key(NoticeType.SURVEY, survey.pk),
        notice_settings=settings.notices,
        recipient_email=addressee.email,
        context={
            "subject": asked.subject,
            "message": asked.message,
            "language": words.language,
            "action_url": link,
            "customer_name": addressee.customer_name,
            "order_number": addressee.order_number,
            "data": {
                "surveyId": graphene.Node.to_global_id("ServiceSurvey", survey.pk),
                "moment": moment.value,
                "problem": problem.value if problem else None,
                "question": question.value,
                "questionText": asked.question,
                "token": token,
                "answerUrls": answer_links,
                "closesAt": survey.closes_at.isoformat(),
            },
        },
        channel_id=survey.channel_id,
        user_id=survey.user_id,
        order_id=survey.order_id,
    )
