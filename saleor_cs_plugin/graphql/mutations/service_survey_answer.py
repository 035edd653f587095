"""``serviceSurveyAnswer``: a customer answers a follow-up survey through the signed
link of its notice, without signing in."""

import graphene
from django.core.exceptions import ValidationError
from django.utils import timezone
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.core.types import NonNullList

from ...domain.surveys import (
    COMMENT_MAX_LENGTH,
    AbandonReason,
    AnswerChange,
    WrongThing,
)
from ...error_codes import ServiceSurveyErrorCode
from ...surveys import answers
from ...tasks import schedule_delivery
from ..enums import ServiceSurveyAbandonReasonEnum, ServiceSurveyWrongThingEnum
from ..survey_types import ServiceSurvey, ServiceSurveyError, ShownSurvey


def _value(enum_value):
    return getattr(enum_value, "value", enum_value)


class ServiceSurveyAnswer(BaseMutation):
    survey = graphene.Field(ServiceSurvey, description="The survey, as answered now.")

    class Arguments:
        token = graphene.String(
            required=True,
            description=(
                "The token of the link in the survey notice (its `token` query "
                "parameter). It answers that survey until the survey closes."
            ),
        )
        satisfied = graphene.Boolean(
            description=(
                "Whether the customer was satisfied with how the entire process was "
                "handled (completed orders)."
            )
        )
        handled_as_wanted = graphene.Boolean(
            description=(
                "Whether the problem was handled the way the customer wanted "
                "(completed orders, after a No; surveys after a problem)."
            )
        )
        what_went_wrong = NonNullList(
            ServiceSurveyWrongThingEnum,
            description=(
                "What went wrong, any number of them; an empty list clears the answer."
            ),
        )
        why_not_completed = ServiceSurveyAbandonReasonEnum(
            description="Why the checkout was not completed (abandoned checkouts)."
        )
        comment = graphene.String(
            description=(
                f"The customer's own words, at most {COMMENT_MAX_LENGTH} characters "
                "once markup is stripped; an empty string removes them."
            )
        )

    class Meta:
        description = (
            "Records a customer's answers to a follow-up survey. Needs no sign-in: "
            "the signed token in the notice's link is the permission. Answers not "
            "given are kept, and answers may be changed until the survey closes. "
            "Every change is an entry of the customer's service history; a No whose "
            "problem was not handled the way the customer wanted raises a staff "
            "alert (once per survey) and notes it on the order's timeline."
        )
        error_type_class = ServiceSurveyError

    @classmethod
    def perform_mutation(
        cls,
        _root,
        _info,
        /,
        *,
        token,
        satisfied=None,
        handled_as_wanted=None,
        what_went_wrong=None,
        why_not_completed=None,
        comment=None,
    ):
        change = AnswerChange(
            satisfied=satisfied,
            handled_as_wanted=handled_as_wanted,
            what_went_wrong=(
                None
                if what_went_wrong is None
                else tuple(WrongThing(_value(thing)) for thing in what_went_wrong)
            ),
            why_not_completed=(
                AbandonReason(_value(why_not_completed)) if why_not_completed else None
            ),
            comment=comment,
        )
        try:
            view, notice_ids = answers.record_answers(token, change, now=timezone.now())
        except answers.AnswerRejected as rejected:
            errors: dict[str, list] = {}
            for problem in rejected.problems:
                errors.setdefault(
                    "__all__" if problem.field == "answers" else problem.field, []
                ).append(
                    ValidationError(
                        problem.message, code=ServiceSurveyErrorCode[problem.code].value
                    )
                )
            raise ValidationError(errors) from rejected
        schedule_delivery(notice_ids)
        return ServiceSurveyAnswer(survey=ShownSurvey(view, token=token))
