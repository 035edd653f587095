"""Resolvers of follow-up surveys: the survey a link's token opens (no sign-in), and
a customer's own surveys on ``User``."""

from django.utils import timezone
from saleor.account.models import User
from saleor.core.db.connection import allow_writer
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.core.context import get_database_connection_name
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.auth_filters import AuthorizationFilters
from saleor.permission.enums import AccountPermissions

from ..domain.surveys import SurveyStatus
from ..error_codes import ServiceSurveyErrorCode
from ..models import Survey
from ..surveys import answers
from ..surveys.tokens import survey_token
from .survey_types import ServiceSurveyError, ServiceSurveyResult, ShownSurvey

# The survey's columns, as the rules name the fields of an answer.
GRAPHQL_FIELD_NAMES = {
    "token": "token",
    "satisfied": "satisfied",
    "handled_as_wanted": "handledAsWanted",
    "what_went_wrong": "whatWentWrong",
    "why_not_completed": "whyNotCompleted",
    "comment": "comment",
    "answers": None,
}


def survey_errors(problems) -> list[ServiceSurveyError]:
    return [
        ServiceSurveyError(
            field=GRAPHQL_FIELD_NAMES.get(problem.field, problem.field),
            message=problem.message,
            code=ServiceSurveyErrorCode[problem.code].value,
        )
        for problem in problems
    ]


def _language(language_code) -> str | None:
    return getattr(language_code, "value", language_code) or None


def resolve_service_survey(_root, _info, *, token, language_code=None):
    try:
        # The link is often opened right after the survey was sent: a replica may
        # not have its row yet.
        with allow_writer():
            view = answers.open_survey(
                token, now=timezone.now(), language=_language(language_code)
            )
    except answers.AnswerRejected as rejected:
        return ServiceSurveyResult(survey=None, errors=survey_errors(rejected.problems))
    errors = []
    if not view.is_open:
        errors = survey_errors([answers.CLOSED_SURVEY])
    return ServiceSurveyResult(survey=ShownSurvey(view, token=token), errors=errors)


def resolve_user_service_surveys(root: User, info, *, is_open=None):
    # The requestor may be a lazy object around None: test its truth, not identity.
    requestor = get_user_or_app_from_context(info.context)
    is_owner = (
        bool(requestor) and isinstance(requestor, User) and requestor.pk == root.pk
    )
    if not is_owner and not (
        requestor and requestor.has_perm(AccountPermissions.MANAGE_USERS)
    ):
        raise PermissionDenied(
            permissions=[AccountPermissions.MANAGE_USERS, AuthorizationFilters.OWNER]
        )
    now = timezone.now()
    surveys = (
        Survey.objects.using(get_database_connection_name(info.context))
        .filter(user_id=root.pk, status=SurveyStatus.SENT)
        .select_related("order", "user")
        .order_by("-sent_at", "-id")
    )
    if is_open is True:
        surveys = surveys.filter(closes_at__gt=now)
    elif is_open is False:
        surveys = surveys.exclude(closes_at__gt=now)
    # The token lets its holder answer as the customer: staff are not given it.
    # The summaries read the orders' lines and the channels' settings, as the link
    # does.
    with allow_writer():
        return [
            ShownSurvey(
                answers.survey_view(survey, now=now),
                token=survey_token(survey) if is_owner else None,
            )
            for survey in surveys
        ]
