"""Follow-up surveys through /graphql/: the survey a link's token opens and the
answers it takes without signing in, and a customer's own surveys on ``me``."""

import json
from datetime import timedelta

import graphene
import pytest
from django.core import signing
from django.utils import timezone
from saleor.graphql.tests.utils import (
    get_graphql_content,
    get_graphql_content_from_response,
)
from survey_support import (
    opened_by,
    placed_order,
    sent_survey,
    started_checkout,
    survey_id,
    token_of,
)

from saleor_cs_plugin.domain.history import EntryType
from saleor_cs_plugin.domain.surveys import Moment, ProblemKind
from saleor_cs_plugin.models import ServiceHistoryEntry, StaffAlert, Survey
from saleor_cs_plugin.surveys.tokens import TOKEN_SALT

pytestmark = pytest.mark.django_db

SURVEY_FIELDS = """
  id moment problem orderNumber items
  questions { question text choices { value label } }
  answers { satisfied handledAsWanted whatWentWrong whyNotCompleted comment }
  isOpen closesAt sentAt answeredAt token
"""

SURVEY = f"""
query Survey($token: String!, $languageCode: LanguageCodeEnum) {{
  serviceSurvey(token: $token, languageCode: $languageCode) {{
    survey {{ {SURVEY_FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""

ANSWER = f"""
mutation Answer(
  $token: String!, $satisfied: Boolean, $handledAsWanted: Boolean,
  $whatWentWrong: [ServiceSurveyWrongThingEnum!],
  $whyNotCompleted: ServiceSurveyAbandonReasonEnum, $comment: String
) {{
  serviceSurveyAnswer(
    token: $token, satisfied: $satisfied, handledAsWanted: $handledAsWanted,
    whatWentWrong: $whatWentWrong, whyNotCompleted: $whyNotCompleted,
    comment: $comment
  ) {{
    survey {{ {SURVEY_FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""

MY_SURVEYS = """
query Mine($isOpen: Boolean) {
  me { email serviceSurveys(isOpen: $isOpen) { id orderNumber isOpen token } }
}
"""

USER_SURVEYS = """
query UserSurveys($id: ID!) {
  user(id: $id) { serviceSurveys { id orderNumber token answers { satisfied } } }
}
"""

CLIENTS = [
    "api_client",
    "user_api_client",
    "other_customer_api_client",
    "staff_api_client",
    "app_api_client",
]


@pytest.fixture
def order(
    user_api_client,
    customer_user,
    channel_USD,
    product,
    shipping_method,
    plugin_configuration,
):
    """An order the customer placed through /graphql/, the plugin active."""
    plugin_configuration(notice_transports="*=saleor_notify", quiet_hours="")
    return placed_order(
        user_api_client,
        channel=channel_USD,
        variant=product.variants.get(),
        shipping_method=shipping_method,
        email=customer_user.email,
    )


@pytest.fixture
def survey(order):
    return sent_survey(moment=Moment.COMPLETED, order=order)


def _survey(client, token, **variables):
    response = client.post_graphql(SURVEY, {"token": token, **variables})
    return get_graphql_content(response)["data"]["serviceSurvey"]


def _answer(client, token, **answers):
    response = client.post_graphql(ANSWER, {"token": token, **answers})
    return get_graphql_content(response)["data"]["serviceSurveyAnswer"]


def _answered_entries():
    return ServiceHistoryEntry.objects.filter(type=EntryType.SURVEY_ANSWERED)


# Reading a survey through its link --------------------------------------------------


@pytest.mark.parametrize("client_name", CLIENTS)
def test_anybody_holding_the_link_sees_the_survey(client_name, request, survey, order):
    # given
    client = request.getfixturevalue(client_name)
    token = token_of(survey)

    # when
    result = _survey(client, token)

    # then
    assert result["errors"] == []
    shown = result["survey"]
    assert shown["id"] == survey_id(survey)
    assert (shown["moment"], shown["problem"], shown["orderNumber"]) == (
        "COMPLETED",
        None,
        str(order.number),
    )
    # The product fixture's variant is named "123".
    assert shown["items"] == ["Test product (123)"]
    assert [q["question"] for q in shown["questions"]] == [
        "SATISFIED",
        "WHAT_WENT_WRONG",
        "HANDLED_AS_WANTED",
    ]
    assert shown["questions"][0] == {
        "question": "SATISFIED",
        "text": "Were you satisfied with how the entire process was handled?",
        "choices": [],
    }
    assert shown["questions"][1]["choices"][:2] == [
        {"value": "LATE", "label": "It was late"},
        {"value": "DAMAGED", "label": "Something arrived damaged"},
    ]
    assert shown["answers"] == {
        "satisfied": None,
        "handledAsWanted": None,
        "whatWentWrong": [],
        "whyNotCompleted": None,
        "comment": "",
    }
    assert shown["isOpen"] is True
    assert shown["token"] == token
    assert shown["answeredAt"] is None


def test_the_summary_names_no_address_payment_or_e_mail(api_client, survey, order):
    # when
    result = _survey(api_client, token_of(survey))

    # then
    text = json.dumps(result)
    address = order.shipping_address
    for private in (
        order.user_email,
        address.street_address_1,
        address.city,
        address.phone.as_e164 if address.phone else "+48713988102",
        address.last_name,
        "Lovelace",
    ):
        assert private not in text


def test_the_questions_come_in_the_language_asked_for(api_client, survey):
    # when
    result = _survey(api_client, token_of(survey), languageCode="PL")

    # then
    questions = result["survey"]["questions"]
    assert questions[1]["text"] == "Co poszło nie tak?"
    assert questions[1]["choices"][0] == {
        "value": "LATE",
        "label": "Przyszło z opóźnieniem",
    }


def test_the_survey_speaks_the_language_it_was_sent_in(api_client, order):
    # given
    survey = sent_survey(moment=Moment.COMPLETED, order=order, language="de")

    # when
    result = _survey(api_client, token_of(survey))

    # then
    assert result["survey"]["questions"][1]["text"] == "Was ist schiefgelaufen?"


def test_after_a_problem_the_question_names_it(api_client, order):
    # given
    survey = sent_survey(
        moment=Moment.AFTER_PROBLEM,
        order=order,
        problem=ProblemKind.DELAY,
        problem_ref="promise-1",
    )

    # when
    shown = _survey(api_client, token_of(survey))["survey"]

    # then
    assert (shown["moment"], shown["problem"]) == ("AFTER_PROBLEM", "DELAY")
    assert shown["questions"][0] == {
        "question": "HANDLED_AS_WANTED",
        "text": f"Did we handle the delay of order #{order.number} the way you wanted?",
        "choices": [],
    }


def test_an_abandoned_checkout_is_asked_why(
    api_client,
    user_api_client,
    customer_user,
    channel_USD,
    product,
    plugin_configuration,
):
    # given
    plugin_configuration()
    checkout = started_checkout(
        user_api_client,
        channel=channel_USD,
        variant=product.variants.get(),
        email=customer_user.email,
    )
    survey = sent_survey(moment=Moment.ABANDONED, checkout=checkout)

    # when
    shown = _survey(api_client, token_of(survey))["survey"]

    # then
    assert (shown["moment"], shown["orderNumber"]) == ("ABANDONED", None)
    assert shown["items"] == [product.name]
    (question,) = shown["questions"]
    assert question["question"] == "WHY_NOT_COMPLETED"
    assert [choice["value"] for choice in question["choices"]] == [
        "PRICE",
        "SHIPPING_COST",
        "DELIVERY_TOO_SLOW",
        "COUPON_FAILED",
        "PAYMENT_PROBLEM",
        "JUST_LOOKING",
        "BOUGHT_ELSEWHERE",
        "SITE_PROBLEM",
        "OTHER",
    ]

    # when
    answered = _answer(api_client, token_of(survey), whyNotCompleted="SHIPPING_COST")

    # then
    assert answered["errors"] == []
    assert answered["survey"]["answers"]["whyNotCompleted"] == "SHIPPING_COST"
    assert Survey.objects.get().why_not_completed == "shipping_cost"


def _other_stores_token(survey):
    return signing.dumps(
        [str(survey.pk), survey.link_nonce],
        key="another store's secret key of fifty characters...",
        salt=TOKEN_SALT,
        compress=False,
    )


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda survey: token_of(survey)[:-2], id="cut short"),
        pytest.param(lambda survey: token_of(survey) + "x", id="changed"),
        pytest.param(lambda survey: "not-a-token", id="made up"),
        pytest.param(_other_stores_token, id="signed by another store"),
        pytest.param(
            lambda survey: signing.dumps(
                [str(survey.pk), "an-old-nonce"], salt=TOKEN_SALT, compress=False
            ),
            id="an old link",
        ),
    ],
)
def test_a_forged_token_is_an_error_and_answers_nothing(api_client, survey, forge):
    # given
    token = forge(survey)

    # when
    shown = _survey(api_client, token)
    answered = _answer(api_client, token, satisfied=False)

    # then
    error = {
        "field": "token",
        "code": "INVALID",
        "message": "This link is not valid: it was changed or cut short. Open the "
        "link from the message exactly as it is.",
    }
    assert shown == {"survey": None, "errors": [error]}
    assert answered == {"survey": None, "errors": [error]}
    survey.refresh_from_db()
    assert survey.satisfied is None
    assert survey.answered_at is None
    assert not _answered_entries().exists()


def test_a_survey_that_no_longer_exists_is_not_found(api_client, survey):
    # given
    token = token_of(survey)
    survey.delete()

    # when
    shown = _survey(api_client, token)

    # then
    assert shown == {
        "survey": None,
        "errors": [
            {
                "field": "token",
                "code": "NOT_FOUND",
                "message": "This survey no longer exists.",
            }
        ],
    }


def test_a_closed_survey_shows_its_answers_and_takes_no_more(api_client, order):
    # given: sent 15 days ago, its link valid for 14
    survey = sent_survey(
        moment=Moment.COMPLETED,
        order=order,
        sent_at=timezone.now() - timedelta(days=15),
        satisfied=True,
    )
    token = token_of(survey)

    # when
    shown = _survey(api_client, token)
    answered = _answer(api_client, token, satisfied=False)

    # then
    closed = {
        "field": "token",
        "code": "CLOSED",
        "message": "This survey is closed: it no longer takes answers, and the "
        "answers given stay as they are.",
    }
    assert shown["errors"] == [closed]
    assert shown["survey"]["isOpen"] is False
    assert shown["survey"]["answers"]["satisfied"] is True
    assert answered == {"survey": None, "errors": [closed]}
    survey.refresh_from_db()
    assert survey.satisfied is True
    assert not _answered_entries().exists()


# Answering ------------------------------------------------------------------------


@pytest.mark.parametrize("client_name", CLIENTS)
def test_anybody_holding_the_link_can_answer(client_name, request, survey):
    # given
    client = request.getfixturevalue(client_name)

    # when
    answered = _answer(client, token_of(survey), satisfied=True)

    # then
    assert answered["errors"] == []
    assert answered["survey"]["answers"]["satisfied"] is True
    survey.refresh_from_db()
    assert survey.satisfied is True
    assert _answered_entries().count() == 1


def test_partial_answers_are_kept_and_can_be_changed_until_the_survey_closes(
    api_client, survey
):
    token = token_of(survey)

    # when: one answer, then the follow-up, then a change of mind
    first = _answer(api_client, token, satisfied=False)
    second = _answer(api_client, token, whatWentWrong=["LATE", "DAMAGED", "LATE"])
    third = _answer(api_client, token, satisfied=True, whatWentWrong=["LATE"])

    # then
    assert first["survey"]["answers"] == {
        "satisfied": False,
        "handledAsWanted": None,
        "whatWentWrong": [],
        "whyNotCompleted": None,
        "comment": "",
    }
    assert second["survey"]["answers"]["satisfied"] is False
    assert second["survey"]["answers"]["whatWentWrong"] == ["LATE", "DAMAGED"]
    assert third["survey"]["answers"]["satisfied"] is True
    assert third["survey"]["answers"]["whatWentWrong"] == ["LATE"]
    survey.refresh_from_db()
    assert (survey.satisfied, survey.what_went_wrong) == (True, ["late"])
    assert survey.first_answered_at < survey.answered_at
    assert list(
        _answered_entries().order_by("created_at").values_list("message", flat=True)
    ) == [
        "Answered the survey: satisfied: no.",
        "Changed survey answers: what went wrong: It was late, Something arrived "
        "damaged.",
        "Changed survey answers: satisfied: yes; what went wrong: It was late.",
    ]


def test_the_same_answer_again_records_nothing_new(api_client, survey):
    # given
    _answer(api_client, token_of(survey), satisfied=True)

    # when
    again = _answer(api_client, token_of(survey), satisfied=True)

    # then
    assert again["errors"] == []
    assert _answered_entries().count() == 1


def test_one_customers_token_answers_only_their_own_survey(
    other_customer_api_client, customer_user2, survey, order
):
    # given: the other customer's survey of another order
    theirs = sent_survey(
        moment=Moment.AFTER_PROBLEM,
        order=order,
        user=customer_user2,
        email=customer_user2.email,
        problem=ProblemKind.CONTACT,
        problem_ref="entry-1",
    )

    # when
    answered = _answer(
        other_customer_api_client, token_of(theirs), handledAsWanted=True
    )

    # then
    assert answered["survey"]["id"] == survey_id(theirs)
    survey.refresh_from_db()
    theirs.refresh_from_db()
    assert (survey.handled_as_wanted, theirs.handled_as_wanted) == (None, True)


def test_an_answer_the_survey_does_not_ask_is_refused(api_client, survey):
    # when
    answered = _answer(
        api_client, token_of(survey), satisfied=True, whyNotCompleted="PRICE"
    )

    # then
    assert answered == {
        "survey": None,
        "errors": [
            {
                "field": "whyNotCompleted",
                "code": "INVALID",
                "message": "This survey does not ask it; it asks: satisfied, "
                "what_went_wrong, handled_as_wanted.",
            }
        ],
    }
    survey.refresh_from_db()
    assert survey.satisfied is None
    assert not _answered_entries().exists()


def test_an_answer_is_required(api_client, survey):
    # when
    answered = _answer(api_client, token_of(survey))

    # then
    assert answered == {
        "survey": None,
        "errors": [
            {"field": None, "code": "REQUIRED", "message": "Give at least one answer."}
        ],
    }


def test_a_comment_too_long_is_refused_naming_the_field(api_client, survey):
    # when
    answered = _answer(
        api_client, token_of(survey), satisfied=False, comment="a" * 1001
    )

    # then
    assert answered == {
        "survey": None,
        "errors": [
            {
                "field": "comment",
                "code": "INVALID",
                "message": "1001 characters; at most 1000 are allowed.",
            }
        ],
    }
    survey.refresh_from_db()
    assert (survey.satisfied, survey.comment) == (None, "")


def test_markup_is_stripped_from_a_comment_and_does_not_count(api_client, survey):
    # when
    answered = _answer(
        api_client,
        token_of(survey),
        comment="<p><b>" + "a" * 990 + "</b></p> &lt;script&gt;alert(1)&lt;/script&gt;",
    )

    # then
    assert answered["errors"] == []
    kept = "a" * 990 + " alert(1)"
    assert answered["survey"]["answers"]["comment"] == kept
    survey.refresh_from_db()
    assert survey.comment == kept


def test_an_empty_comment_removes_it(api_client, survey):
    # given
    _answer(api_client, token_of(survey), comment="Slow.")

    # when
    answered = _answer(api_client, token_of(survey), comment="")

    # then
    assert answered["survey"]["answers"]["comment"] == ""
    assert _answered_entries().order_by("-created_at").first().message == (
        "Changed survey answers: comment removed."
    )


def test_an_unknown_answer_is_refused_by_the_enum(api_client, survey):
    # when
    response = api_client.post_graphql(
        ANSWER, {"token": token_of(survey), "whatWentWrong": ["TOO_EXPENSIVE"]}
    )

    # then
    content = get_graphql_content_from_response(response)
    assert "TOO_EXPENSIVE" in content["errors"][0]["message"]
    assert not _answered_entries().exists()


ENUM_VALUES = """
query Values($name: String!) { __type(name: $name) { enumValues { name } } }
"""


@pytest.mark.parametrize(
    ("enum", "values"),
    [
        ("ServiceSurveyMomentEnum", ["COMPLETED", "ABANDONED", "AFTER_PROBLEM"]),
        (
            "ServiceSurveyProblemEnum",
            ["DELAY", "STOCK_SHORTAGE", "COUPON", "CONTACT"],
        ),
        (
            "ServiceSurveyQuestionEnum",
            ["WHY_NOT_COMPLETED", "SATISFIED", "WHAT_WENT_WRONG", "HANDLED_AS_WANTED"],
        ),
        (
            "ServiceSurveyWrongThingEnum",
            [
                "LATE",
                "DAMAGED",
                "WRONG_ITEM",
                "MISSING_OR_OUT_OF_STOCK",
                "COUPON_OR_PRICE",
                "HARD_TO_REACH",
                "SLOW_ANSWER",
                "OTHER",
            ],
        ),
        (
            "ServiceSurveyAbandonReasonEnum",
            [
                "PRICE",
                "SHIPPING_COST",
                "DELIVERY_TOO_SLOW",
                "COUPON_FAILED",
                "PAYMENT_PROBLEM",
                "JUST_LOOKING",
                "BOUGHT_ELSEWHERE",
                "SITE_PROBLEM",
                "OTHER",
            ],
        ),
        (
            "ServiceSurveyErrorCode",
            ["GRAPHQL_ERROR", "INVALID", "NOT_FOUND", "CLOSED", "REQUIRED"],
        ),
    ],
)
def test_answer_sets_are_enums(api_client, enum, values):
    content = get_graphql_content(api_client.post_graphql(ENUM_VALUES, {"name": enum}))
    assert [
        value["name"] for value in content["data"]["__type"]["enumValues"]
    ] == values


# A customer's own surveys -----------------------------------------------------------


def test_a_customer_sees_their_own_surveys_on_me(
    user_api_client, customer_user, customer_user2, order
):
    # given
    open_one = sent_survey(moment=Moment.COMPLETED, order=order)
    closed_one = sent_survey(
        moment=Moment.AFTER_PROBLEM,
        order=order,
        problem=ProblemKind.DELAY,
        problem_ref="promise-2",
        sent_at=timezone.now() - timedelta(days=20),
    )
    sent_survey(
        moment=Moment.AFTER_PROBLEM,
        order=order,
        user=customer_user2,
        email=customer_user2.email,
        problem=ProblemKind.CONTACT,
        problem_ref="entry-2",
    )

    # when
    everything = get_graphql_content(user_api_client.post_graphql(MY_SURVEYS))
    still_open = get_graphql_content(
        user_api_client.post_graphql(MY_SURVEYS, {"isOpen": True})
    )
    closed = get_graphql_content(
        user_api_client.post_graphql(MY_SURVEYS, {"isOpen": False})
    )

    # then
    mine = everything["data"]["me"]["serviceSurveys"]
    assert [{k: v for k, v in s.items() if k != "token"} for s in mine] == [
        {"id": survey_id(open_one), "orderNumber": str(order.number), "isOpen": True},
        {
            "id": survey_id(closed_one),
            "orderNumber": str(order.number),
            "isOpen": False,
        },
    ]
    # Each with the token of its own link.
    assert [opened_by(s["token"]) for s in mine] == [open_one.pk, closed_one.pk]
    assert [s["id"] for s in still_open["data"]["me"]["serviceSurveys"]] == [
        survey_id(open_one)
    ]
    assert [s["id"] for s in closed["data"]["me"]["serviceSurveys"]] == [
        survey_id(closed_one)
    ]


def test_another_customer_sees_only_their_own(other_customer_api_client, survey):
    content = get_graphql_content(other_customer_api_client.post_graphql(MY_SURVEYS))
    assert content["data"]["me"]["serviceSurveys"] == []


def test_anonymous_has_no_me(api_client, survey):
    content = get_graphql_content(api_client.post_graphql(MY_SURVEYS))
    assert content["data"]["me"] is None


def test_a_survey_not_sent_is_not_shown(user_api_client, order):
    # given: scheduled, not yet sent
    Survey.objects.create(
        survey_key=f"completed:{order.pk}",
        moment=Moment.COMPLETED,
        channel=order.channel,
        order=order,
        user=order.user,
        email=order.user_email,
        due_at=timezone.now(),
    )

    # when
    content = get_graphql_content(user_api_client.post_graphql(MY_SURVEYS))

    # then
    assert content["data"]["me"]["serviceSurveys"] == []


@pytest.mark.parametrize(
    ("client_name", "permission_name"),
    [
        ("staff_api_client", None),
        ("staff_api_client", "permission_manage_orders"),
        ("other_customer_api_client", None),
    ],
)
def test_without_manage_users_nobody_reads_a_customers_surveys(
    caller, client_name, permission_name, customer_user, survey
):
    # given
    client = caller(client_name, permission_name)

    # when
    response = client.post_graphql(
        USER_SURVEYS, {"id": graphene.Node.to_global_id("User", customer_user.pk)}
    )

    # then
    content = get_graphql_content_from_response(response)
    if content["data"]["user"] is not None:
        assert content["errors"][0]["extensions"]["exception"]["code"] == (
            "PermissionDenied"
        )
        assert content["data"]["user"]["serviceSurveys"] is None
    else:
        assert content["errors"][0]["extensions"]["exception"]["code"] == (
            "PermissionDenied"
        )


@pytest.mark.parametrize("client_name", ["staff_api_client", "app_api_client"])
def test_staff_and_apps_with_manage_users_read_them_without_the_token(
    caller, client_name, customer_user, survey
):
    # given
    client = caller(client_name, "permission_manage_users")
    survey.satisfied = False
    survey.save()

    # when
    content = get_graphql_content(
        client.post_graphql(
            USER_SURVEYS, {"id": graphene.Node.to_global_id("User", customer_user.pk)}
        )
    )

    # then
    assert content["data"]["user"]["serviceSurveys"] == [
        {
            "id": survey_id(survey),
            "orderNumber": str(survey.order.number),
            "token": None,
            "answers": {"satisfied": False},
        }
    ]
    assert not StaffAlert.objects.exists()


def test_every_field_and_argument_of_the_surveys_is_described(api_client):
    # given
    query = """
    query {
      __schema { types { name description
        fields { name description args { name description } }
        inputFields { name description }
      } }
    }
    """

    # when
    content = get_graphql_content(api_client.post_graphql(query))["data"]

    # then
    by_name = {t["name"]: t for t in content["__schema"]["types"]}
    names = sorted(
        name
        for name in by_name
        if name.startswith("ServiceSurvey") and not name.startswith("__")
    )
    assert names == [
        "ServiceSurvey",
        "ServiceSurveyAbandonReasonEnum",
        "ServiceSurveyAnswer",
        "ServiceSurveyAnswers",
        "ServiceSurveyChoice",
        "ServiceSurveyError",
        "ServiceSurveyErrorCode",
        "ServiceSurveyMomentEnum",
        "ServiceSurveyProblemEnum",
        "ServiceSurveyQuestion",
        "ServiceSurveyQuestionEnum",
        "ServiceSurveyResult",
        "ServiceSurveyWrongThingEnum",
    ]
    described = [(name, by_name[name]["description"]) for name in names]
    for name in names:
        kind = by_name[name]
        for f in (kind["fields"] or []) + (kind["inputFields"] or []):
            # Saleor adds a mutation's errors field, without a description.
            if (name, f["name"]) == ("ServiceSurveyAnswer", "errors"):
                continue
            described.append((f"{name}.{f['name']}", f["description"]))
    roots = [
        (root, f)
        for root in ("Query", "Mutation", "User")
        for f in by_name[root]["fields"]
        if f["name"] in {"serviceSurvey", "serviceSurveyAnswer", "serviceSurveys"}
    ]
    assert len(roots) == 3
    for root, f in roots:
        described.append((f"{root}.{f['name']}", f["description"]))
        described.extend(
            (f"{root}.{f['name']}.{a['name']}", a["description"]) for a in f["args"]
        )
    described.extend(
        (f"ServiceContactLogInput.{f['name']}", f["description"])
        for f in by_name["ServiceContactLogInput"]["inputFields"]
    )
    assert [name for name, text in described if not (text or "").endswith(".")] == []
