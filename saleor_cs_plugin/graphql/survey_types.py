"""GraphQL types of follow-up surveys: a survey as its link shows it (the questions in
the customer's language, what is answered, a safe summary of the order), its answers,
and the errors of reading and answering it.

Each ``ServiceSurvey`` resolves from a ``ShownSurvey`` (a ``surveys.answers.SurveyView``): the summary is
the order's number and its items' names, never an address, a payment or an e-mail.
"""

from dataclasses import dataclass

import graphene
from saleor.graphql.core.scalars import DateTime
from saleor.graphql.core.types import Error, NonNullList

from ..domain.surveys import AbandonReason, Question, WrongThing
from ..surveys import answers as survey_answers
from .enums import (
    ServiceSurveyAbandonReasonEnum,
    ServiceSurveyErrorCode,
    ServiceSurveyMomentEnum,
    ServiceSurveyProblemEnum,
    ServiceSurveyQuestionEnum,
    ServiceSurveyWrongThingEnum,
)

# The enum of each question's answers, to name a choice as GraphQL takes it back.
CHOICE_ENUMS = {
    Question.WHY_NOT_COMPLETED: AbandonReason,
    Question.WHAT_WENT_WRONG: WrongThing,
}


class ServiceSurveyError(Error):
    code = ServiceSurveyErrorCode(description="The error code.", required=True)

    class Meta:
        description = "An error of reading or answering a survey."


class ServiceSurveyChoice(graphene.ObjectType):
    value = graphene.String(
        required=True,
        description=(
            "The answer as the mutation takes it: a value of "
            "ServiceSurveyWrongThingEnum or ServiceSurveyAbandonReasonEnum."
        ),
    )
    label = graphene.String(
        required=True, description="The answer as the customer reads it."
    )

    class Meta:
        description = "One answer a customer may choose."


class ServiceSurveyQuestion(graphene.ObjectType):
    question = ServiceSurveyQuestionEnum(required=True, description="Which question.")
    text = graphene.String(
        required=True,
        description=(
            "The question as the customer reads it: the channel's wording in the "
            "customer's language, else the plugin's."
        ),
    )
    choices = NonNullList(
        ServiceSurveyChoice,
        required=True,
        description=(
            "The answers to choose from: one for whyNotCompleted, any number for "
            "whatWentWrong; empty for the yes/no questions."
        ),
    )

    class Meta:
        description = "A question of a survey."

    @staticmethod
    def resolve_question(root: survey_answers.QuestionView, _info):
        return root.question.value

    @staticmethod
    def resolve_choices(root: survey_answers.QuestionView, _info):
        enum = CHOICE_ENUMS.get(root.question)
        return [
            ServiceSurveyChoice(value=enum(value).name, label=label)
            for value, label in root.choices
        ]


class ServiceSurveyAnswers(graphene.ObjectType):
    satisfied = graphene.Boolean(
        description="Whether the customer was satisfied; null: not answered."
    )
    handled_as_wanted = graphene.Boolean(
        description=(
            "Whether the problem was handled the way the customer wanted; null: not "
            "answered."
        )
    )
    what_went_wrong = NonNullList(
        ServiceSurveyWrongThingEnum,
        required=True,
        description="What went wrong; empty: not answered.",
    )
    why_not_completed = ServiceSurveyAbandonReasonEnum(
        description="Why the checkout was not completed; null: not answered."
    )
    comment = graphene.String(
        required=True,
        description=(
            "The customer's own words, as kept (markup stripped); empty: none, or "
            "erased after the channel's retention period."
        ),
    )

    class Meta:
        description = "What a customer answered so far."

    @staticmethod
    def resolve_what_went_wrong(root, _info):
        return [thing.value for thing in root.what_went_wrong]

    @staticmethod
    def resolve_why_not_completed(root, _info):
        return root.why_not_completed.value if root.why_not_completed else None


class ServiceSurvey(graphene.ObjectType):
    id = graphene.ID(required=True, description="ID of the survey.")
    moment = ServiceSurveyMomentEnum(
        required=True, description="When the customer was asked."
    )
    problem = ServiceSurveyProblemEnum(
        description="The problem it asks about; null unless after a problem."
    )
    order_number = graphene.String(
        description="The number of the order it asks about; null for a checkout."
    )
    items = NonNullList(
        graphene.String,
        required=True,
        description=(
            "Names of the items ordered (or left in the checkout, while Saleor keeps "
            "it)."
        ),
    )
    questions = NonNullList(
        ServiceSurveyQuestion,
        required=True,
        description=(
            "The questions, in the order they are asked. whatWentWrong (and, after a "
            "completed order, handledAsWanted) follow a No."
        ),
    )
    answers = graphene.Field(
        ServiceSurveyAnswers, required=True, description="What is answered so far."
    )
    is_open = graphene.Boolean(
        required=True,
        description="Whether it takes answers (and changes of them) now.",
    )
    closes_at = DateTime(description="When it stops taking answers.")
    sent_at = DateTime(description="When the customer was asked.")
    answered_at = DateTime(description="When answers were last given; null: none.")
    token = graphene.String(
        description=(
            "The token serviceSurveyAnswer takes: in serviceSurvey the one given; on "
            "User.serviceSurveys only for the customer themself, null for staff."
        )
    )

    class Meta:
        description = (
            "A follow-up survey as the customer sees it: the questions in their "
            "language, what they answered, and which order it is about (its number "
            "and items; never addresses, payment or e-mail)."
        )

    @staticmethod
    def resolve_id(root: "ShownSurvey", _info):
        return survey_answers.global_id(root.view.survey)

    @staticmethod
    def resolve_moment(root: "ShownSurvey", _info):
        return root.view.survey.moment

    @staticmethod
    def resolve_problem(root: "ShownSurvey", _info):
        return root.view.survey.problem_kind or None

    @staticmethod
    def resolve_order_number(root: "ShownSurvey", _info):
        return root.view.order_number or None

    @staticmethod
    def resolve_items(root: "ShownSurvey", _info):
        return root.view.items

    @staticmethod
    def resolve_questions(root: "ShownSurvey", _info):
        return root.view.questions

    @staticmethod
    def resolve_answers(root: "ShownSurvey", _info):
        return root.view.answers

    @staticmethod
    def resolve_is_open(root: "ShownSurvey", _info):
        return root.view.is_open

    @staticmethod
    def resolve_closes_at(root: "ShownSurvey", _info):
        return root.view.closes_at

    @staticmethod
    def resolve_sent_at(root: "ShownSurvey", _info):
        return root.view.survey.sent_at

    @staticmethod
    def resolve_answered_at(root: "ShownSurvey", _info):
        return root.view.survey.answered_at

    @staticmethod
    def resolve_token(root: "ShownSurvey", _info):
        return root.token


@dataclass(frozen=True)
class ShownSurvey:
    """A survey as one requestor is shown it: ``token`` only for the link's holder
    and the customer themself."""

    view: survey_answers.SurveyView
    token: str | None = None


class ServiceSurveyResult(graphene.ObjectType):
    survey = graphene.Field(
        ServiceSurvey, description="The survey; null when there are errors."
    )
    errors = NonNullList(
        ServiceSurveyError,
        required=True,
        description="Why the link shows no survey: a forged, changed or other "
        "channel's token (INVALID), or a survey that no longer exists (NOT_FOUND).",
    )

    class Meta:
        description = "The survey a link's token opens, or why it opens none."
