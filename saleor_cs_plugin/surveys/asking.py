"""The notice that asks one customer one survey: its words in the customer's
language (``domain.survey_invitations``), the survey page's link with its signed
token, and one link per answer of a yes/no first question.

The links only open the page: mail services' link scanners fetch every link in a
message, so the page records an answer only when the customer sends it.
"""

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote
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


def is_own_checkout(user, email: str) -> bool:
    """Whether a checkout's e-mail is its signed-in customer's own (``user``: the
    checkout's, or None for a guest's). Anyone may type any address into a guest
    checkout: a survey about it then tells nothing of the cart (neither its items
    nor the name on its address), as the address may be someone else's."""
    return (
        user is not None
        and bool(user.email)
        and user.email.strip().lower() == (email or "").strip().lower()
    )


# Stands for the token in a channel's link, which is worked out once per channel.
_TOKEN_MARK = "SURVEY-TOKEN"


class SurveyLinks:
    """The links of one channel's surveys: the page's address is worked out once
    (``pages.links.page_link``), then each survey's token goes into it."""

    def __init__(self, *, channel_slug: str, settings: ChannelSettings):
        self._links = {
            answer: page_link(
                "survey",
                channel_slug=channel_slug,
                token=_TOKEN_MARK,
                settings=settings,
                extra={"answer": answer} if answer else None,
            )
            for answer in ("", *ONE_CLICK_ANSWERS)
        }

    def __call__(self, survey: Survey) -> tuple[str, str, dict[str, str] | None]:
        """The survey's token, its page's link, and the one-click links {"yes",
        "no"} (None for an abandoned checkout: its question has a list of
        answers)."""
        token = survey_token(survey)
        # Signed tokens are URL-safe (page_link quotes nothing in them).
        links = {
            answer: link.replace(_TOKEN_MARK, quote(token, safe=":"))
            for answer, link in self._links.items()
        }
        answer_links = None
        if survey.moment != Moment.ABANDONED:
            answer_links = {answer: links[answer] for answer in ONE_CLICK_ANSWERS}
        return token, links[""], answer_links


class _RememberedWords:
    """A language's words that remember each translation and date: a sweep words
    hundreds of notices with the same sentences."""

    def __init__(self, words):
        self._words = words
        self.language = words.language
        self._texts: dict = {}

    def gettext(self, message: str) -> str:
        if message not in self._texts:
            self._texts[message] = self._words.gettext(message)
        return self._texts[message]

    def date(self, value) -> str:
        key = ("date", value)
        if key not in self._texts:
            self._texts[key] = self._words.date(value)
        return self._texts[key]

    def __getattr__(self, name):
        return getattr(self._words, name)


@lru_cache(maxsize=64)
def _words(language: str) -> _RememberedWords:
    return _RememberedWords(words_for(language))


def survey_notice(
    survey: Survey,
    addressee: Addressee,
    *,
    settings: ChannelSettings,
    links: SurveyLinks,
) -> Notice:
    """The unsaved SURVEY notice of a survey decided to be sent (its ``language``,
    ``link_nonce`` and ``closes_at`` set); ``links``: its channel's."""
    moment = Moment(survey.moment)
    problem = ProblemKind(survey.problem_kind) if survey.problem_kind else None
    words = _words(survey.language)
    token, link, answer_links = links(survey)
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
