"""The signed token of a survey's link: which survey, and the survey's link nonce.

A token is genuine when signed with this store's key for this purpose and carrying
the survey's current nonce; it grants answering that one survey, nothing else.
"""

import secrets
import uuid

from django.core import signing

from ..domain.history import Problem
from ..models import Survey

TOKEN_SALT = "saleor_cs_plugin.survey"

INVALID_TOKEN = Problem(
    "token",
    "INVALID",
    "This link is not valid: it was changed or cut short. Open the link from the "
    "message exactly as it is.",
)
SURVEY_NOT_FOUND = Problem("token", "NOT_FOUND", "This survey no longer exists.")


class TokenRejected(Exception):
    """The token names no survey: ``problem`` says whether it is bad (INVALID, what
    a guesser sends) or its survey is gone (NOT_FOUND)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(f"{problem.field}: {problem.message}")

    @property
    def is_bad_token(self) -> bool:
        return self.problem.code == "INVALID"


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def survey_token(survey: Survey) -> str:
    return signing.dumps(
        [str(survey.pk), survey.link_nonce], salt=TOKEN_SALT, compress=False
    )


def verified_survey(token: str, *, channel_id=None, for_update: bool = False) -> Survey:
    """The survey ``token`` names, if the token is genuine and (``channel_id``
    given) the survey is of that channel. ``for_update`` locks the row (inside a
    transaction). Raises ``TokenRejected``.

    Expiry is the survey's own (``closes_at``), not the token's: a closed survey's
    link still shows what was answered.
    """
    try:
        survey_id, nonce = signing.loads(token, salt=TOKEN_SALT)
        survey_id = uuid.UUID(str(survey_id))
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise TokenRejected(INVALID_TOKEN) from error
    surveys = Survey.objects.filter(pk=survey_id)
    if for_update:
        surveys = surveys.select_for_update(of=("self",))
    survey = surveys.select_related("order", "user").first()
    if survey is None:
        raise TokenRejected(SURVEY_NOT_FOUND)
    if not survey.link_nonce or not secrets.compare_digest(
        str(nonce), survey.link_nonce
    ):
        raise TokenRejected(INVALID_TOKEN)
    if channel_id is not None and survey.channel_id != channel_id:
        raise TokenRejected(INVALID_TOKEN)
    return survey
