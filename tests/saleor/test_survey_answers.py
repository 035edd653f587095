"""Closing the loop: every answer in the customer's service history, a "No" whose
problem was not handled the way the customer wanted as a staff alert (once), a
staff e-mail and a note on the order's timeline, and the call back logged with
serviceContactLog linking the survey."""

import email
import json
from email import policy

import graphene
import pytest
from django.utils import timezone
from saleor.graphql.tests.utils import get_graphql_content
from peers import race
from survey_support import placed_order, sent_survey, survey_id, token_of

from saleor_cs_plugin import tasks
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.history import EntryType
from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.domain.surveys import AnswerChange, Moment, ProblemKind
from saleor_cs_plugin.models import Notice, ServiceHistoryEntry, StaffAlert, Survey
from saleor_cs_plugin.surveys import answers
from order_rows import staff_notes

pytestmark = pytest.mark.django_db

ANSWER = """
mutation Answer($token: String!, $satisfied: Boolean, $handledAsWanted: Boolean,
                $whatWentWrong: [ServiceSurveyWrongThingEnum!], $comment: String) {
  serviceSurveyAnswer(token: $token, satisfied: $satisfied,
                      handledAsWanted: $handledAsWanted,
                      whatWentWrong: $whatWentWrong, comment: $comment) {
    survey { answers { satisfied handledAsWanted comment } }
    errors { field code message }
  }
}
"""

MY_HISTORY = """
{
  me {
    serviceHistory(first: 20) {
      edges { node { type actor contactChannel message details isCustomerVisible } }
    }
  }
}
"""

INBOX = """
query Inbox($filter: ServiceStaffAlertFilterInput) {
  serviceStaffAlerts(first: 20, filter: $filter) {
    edges { node { kind title message details isOpen order { number } } }
  }
}
"""

CONTACT_LOG = """
mutation Log($input: ServiceContactLogInput!) {
  serviceContactLog(input: $input) {
    entry { type message details }
    errors { field code message }
  }
}
"""

# What a hostile customer types: markup (stripped) and characters HTML must escape.
HOSTILE = '<script>alert(1)</script>Tom & "Jerry" <3 it, 5 > 4'
HOSTILE_KEPT = 'alert(1)Tom & "Jerry" <3 it, 5 > 4'


@pytest.fixture
def order(
    user_api_client,
    customer_user,
    channel_USD,
    product,
    shipping_method,
    plugin_configuration,
    request,
):
    settings = getattr(request, "param", {})
    plugin_configuration(
        notice_transports="*=saleor_notify", quiet_hours="", **settings
    )
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


def _answer(client, token, **answers):
    response = client.post_graphql(ANSWER, {"token": token, **answers})
    result = get_graphql_content(response)["data"]["serviceSurveyAnswer"]
    assert result["errors"] == []
    return result


def _inbox(client):
    content = get_graphql_content(
        client.post_graphql(INBOX, {"filter": {"kinds": ["SURVEY_CALL_BACK"]}})
    )
    nodes = [edge["node"] for edge in content["data"]["serviceStaffAlerts"]["edges"]]
    return [{**node, "details": json.loads(node["details"])} for node in nodes]


def _call_back_notes(order):
    return [note for note in staff_notes(order.channel) if note.startswith("Survey:")]


def test_every_answer_is_in_the_customers_history(api_client, user_api_client, survey):
    # given: answered through the link without signing in
    _answer(api_client, token_of(survey), satisfied=True)
    _answer(api_client, token_of(survey), comment="Quick and friendly.")

    # when the customer reads their history
    content = get_graphql_content(user_api_client.post_graphql(MY_HISTORY))

    # then
    entries = [
        edge["node"]
        for edge in content["data"]["me"]["serviceHistory"]["edges"]
        if edge["node"]["type"] == "SURVEY_ANSWERED"
    ]
    assert [
        (e["actor"], e["contactChannel"], e["message"], e["isCustomerVisible"])
        for e in entries
    ] == [
        ("CUSTOMER", "WEB", "Changed survey answers: comment given.", True),
        ("CUSTOMER", "WEB", "Answered the survey: satisfied: yes.", True),
    ]
    # The comment itself stays on the survey, where retention erases it.
    assert entries[0]["details"] == {
        "surveyId": survey_id(survey),
        "moment": "completed",
        "problem": None,
        "changed": ["comment"],
        "satisfied": True,
        "handledAsWanted": None,
        "whatWentWrong": [],
        "whyNotCompleted": None,
        "hasComment": True,
    }
    assert "Quick and friendly." not in str(content)


def test_a_satisfied_customer_raises_no_alert(api_client, survey, order):
    # when
    _answer(api_client, token_of(survey), satisfied=True, handledAsWanted=False)

    # then
    assert not StaffAlert.objects.exists()
    assert _call_back_notes(order) == []
    survey.refresh_from_db()
    assert survey.call_back_alerted_at is None


def test_a_no_not_handled_as_wanted_raises_one_alert_and_one_note(
    api_client, staff_in_group, permission_manage_orders, survey, order
):
    # given
    token = token_of(survey)

    # when: No, then the follow-ups, then changed answers (still a No)
    _answer(api_client, token, satisfied=False)
    assert not StaffAlert.objects.exists()
    _answer(
        api_client,
        token,
        handledAsWanted=False,
        whatWentWrong=["LATE"],
        comment=HOSTILE,
    )
    _answer(api_client, token, whatWentWrong=["LATE", "DAMAGED"])
    _answer(api_client, token, handledAsWanted=True)
    _answer(api_client, token, handledAsWanted=False)

    # then exactly one alert, in the inbox of staff with MANAGE_ORDERS
    alerts = _inbox(staff_in_group(permission_manage_orders))
    assert alerts == [
        {
            "kind": "SURVEY_CALL_BACK",
            "title": f"Order #{order.number}: call the customer back about their "
            "survey answer",
            "message": (
                f"Order #{order.number}: the customer was not satisfied with how the "
                "order was handled. What went wrong: It was late. Their words: "
                f'"{HOSTILE_KEPT}" Please call them back, and log the call with '
                f"serviceContactLog naming this survey ({survey_id(survey)}); "
                "logging it marks this alert done."
            ),
            "details": {
                "surveyId": survey_id(survey),
                "moment": "completed",
                "problem": None,
                "whatWentWrong": ["late"],
            },
            "isOpen": True,
            "order": {"number": str(order.number)},
        }
    ]
    assert "<script" not in alerts[0]["message"]
    assert StaffAlert.objects.get().occurrences == 1
    # and one note on the order's timeline, without the customer's words
    assert _call_back_notes(order) == [
        "Survey: the customer says the problem was not handled the way they wanted "
        "and should be called back (see the staff alert; log the call with "
        f"serviceContactLog naming survey {survey_id(survey)})."
    ]
    survey.refresh_from_db()
    assert survey.call_back_alerted_at is not None
    # No staff e-mail: the channel names no address.
    assert not Notice.objects.filter(notice_type=NoticeType.STAFF_ALERT).exists()


@pytest.mark.parametrize(
    "client_name",
    ["staff_api_client", "app_api_client"],
)
def test_the_call_back_alert_needs_manage_orders(
    client_name, caller, permission_manage_discounts, api_client, survey
):
    # given
    _answer(api_client, token_of(survey), satisfied=False, handledAsWanted=False)
    client = caller(client_name, "permission_manage_discounts")

    # when
    alerts = _inbox(client)

    # then: not theirs to read
    assert alerts == []
    assert StaffAlert.objects.count() == 1


def test_after_a_problem_a_no_raises_the_alert_naming_the_problem(api_client, order):
    # given
    survey = sent_survey(
        moment=Moment.AFTER_PROBLEM,
        order=order,
        problem=ProblemKind.DELAY,
        problem_ref="promise-9",
    )

    # when
    _answer(api_client, token_of(survey), handledAsWanted=False)

    # then
    alert = StaffAlert.objects.get()
    assert alert.kind == AlertKind.SURVEY_CALL_BACK
    assert alert.order_id == order.pk
    assert alert.channel_id == order.channel_id
    assert alert.message.startswith(
        f"Order #{order.number}: the customer says the delay of their order was not "
        "handled the way they wanted."
    )


@pytest.mark.parametrize(
    "order", [{"survey_staff_email": "Care-Team@example.com"}], indirect=True
)
def test_the_staff_e_mail_quotes_the_customer_escaped(
    api_client,
    survey,
    order,
    plugin_configuration,
    smtp_receiver,
    django_capture_on_commit_callbacks,
):
    # given e-mail notices through a local SMTP server
    from saleor.plugins.models import PluginConfiguration  # noqa: PLC0415

    configuration = PluginConfiguration.objects.get(channel=order.channel)
    values = {
        "notice_transports": "*=email",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(smtp_receiver.port),
        "smtp_security": "none",
        "sender_address": "care@example.com",
    }
    configuration.configuration = [
        {**item, "value": values.get(item["name"], item["value"])}
        for item in configuration.configuration
    ]
    configuration.save()

    # when the answer commits
    with django_capture_on_commit_callbacks(execute=True):
        _answer(
            api_client,
            token_of(survey),
            satisfied=False,
            handledAsWanted=False,
            comment=HOSTILE,
        )
    (notice,) = Notice.objects.filter(notice_type=NoticeType.STAFF_ALERT)
    if not smtp_receiver.messages:
        # A broker is not part of this test: deliver as the worker would.
        tasks.deliver_notice(notice.pk)

    # then one e-mail to the staff address, the customer's words escaped in HTML
    (received,) = smtp_receiver.messages
    assert received["to"] == ["care-team@example.com"]
    message = email.message_from_bytes(received["data"], policy=policy.default)
    assert message["Subject"] == (
        f"Order #{order.number}: call the customer back about their survey answer"
    )
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "<script" not in html
    assert "Tom &amp; &quot;Jerry&quot; &lt;3 it, 5 &gt; 4" in html
    assert HOSTILE_KEPT in text

    # when the customer changes the answers again: no second e-mail
    with django_capture_on_commit_callbacks(execute=True):
        _answer(api_client, token_of(survey), whatWentWrong=["SLOW_ANSWER"])
    assert Notice.objects.filter(notice_type=NoticeType.STAFF_ALERT).count() == 1


# The call back ---------------------------------------------------------------------


def _log_call(client, linked, order, **extra):
    response = client.post_graphql(
        CONTACT_LOG,
        {
            "input": {
                "order": graphene.Node.to_global_id("Order", order.pk),
                "contactChannel": "PHONE",
                "summary": "Called back: a new box is on its way.",
                "isResolvedAtFirstContact": True,
                "isCustomerVisible": True,
                **({"survey": survey_id(linked)} if linked is not None else {}),
                **extra,
            }
        },
    )
    return get_graphql_content(response)["data"]["serviceContactLog"]


def test_the_call_back_logged_links_the_survey_and_closes_its_alert(
    api_client, staff_in_group, permission_manage_orders, survey, order
):
    # given
    _answer(api_client, token_of(survey), satisfied=False, handledAsWanted=False)
    staff_api_client = staff_in_group(permission_manage_orders)

    # when
    logged = _log_call(staff_api_client, survey, order)

    # then
    assert logged["errors"] == []
    assert logged["entry"]["details"] == {"surveyId": survey_id(survey)}
    alert = StaffAlert.objects.get()
    assert alert.resolved_at is not None
    assert alert.resolved_by_user == staff_api_client.user
    # The call back of a survey is not surveyed again.
    assert Survey.objects.count() == 1


def test_a_survey_of_another_order_is_refused(
    api_client,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
    customer_user,
    channel_USD,
    product,
    shipping_method,
    survey,
):
    # given another order of the same customer
    other_order = placed_order(
        user_api_client,
        channel=channel_USD,
        variant=product.variants.get(),
        shipping_method=shipping_method,
        email=customer_user.email,
    )
    _answer(api_client, token_of(survey), satisfied=False, handledAsWanted=False)
    staff_api_client = staff_in_group(permission_manage_orders)

    # when
    logged = _log_call(staff_api_client, survey, other_order)

    # then
    assert logged == {
        "entry": None,
        "errors": [
            {
                "field": "survey",
                "code": "INVALID",
                "message": "This survey is about another order or customer than the "
                "contact.",
            }
        ],
    }
    assert StaffAlert.objects.get().resolved_at is None
    assert not ServiceHistoryEntry.objects.filter(type=EntryType.CONTACT).exists()


def test_an_id_that_is_not_a_survey_is_refused(
    staff_in_group, permission_manage_orders, order
):
    # given
    staff_api_client = staff_in_group(permission_manage_orders)

    # when
    logged = _log_call(
        staff_api_client,
        None,
        order,
        survey=graphene.Node.to_global_id("Order", order.pk),
    )

    # then
    assert logged["entry"] is None
    assert [(e["field"], e["code"]) for e in logged["errors"]] == [
        ("survey", "NOT_FOUND")
    ]
    assert not ServiceHistoryEntry.objects.filter(type=EntryType.CONTACT).exists()


@pytest.mark.parametrize(
    "order",
    [{"survey_after_problem_percent": "100", "survey_after_problem_days": "2"}],
    indirect=True,
)
def test_another_contact_schedules_a_survey_about_it(
    staff_in_group, permission_manage_orders, order
):
    # given
    staff_api_client = staff_in_group(permission_manage_orders)

    # when
    logged = _log_call(staff_api_client, None, order)

    # then
    entry = ServiceHistoryEntry.objects.get(type=EntryType.CONTACT)
    assert logged["errors"] == []
    survey = Survey.objects.get()
    assert survey.survey_key == f"after_problem:contact:{entry.pk}"
    assert (survey.moment, survey.problem_kind, survey.problem_ref) == (
        "after_problem",
        "contact",
        str(entry.pk),
    )
    assert (survey.order_id, survey.status) == (order.pk, "scheduled")
    assert survey.email == order.user_email.lower()


def test_a_contact_in_a_channel_not_asking_schedules_nothing(
    staff_in_group, permission_manage_orders, order
):
    # given: after-problem surveys are off (the default)
    staff_api_client = staff_in_group(permission_manage_orders)

    # when
    logged = _log_call(staff_api_client, None, order)

    # then
    assert logged["errors"] == []
    assert not Survey.objects.exists()


# The page's channel ------------------------------------------------------------------


def test_a_link_of_another_channels_survey_is_not_valid_on_a_channels_page(
    survey, channel_PLN
):
    # when the page of another channel opens or answers it
    with pytest.raises(answers.AnswerRejected) as opened:
        answers.open_survey(
            token_of(survey), now=timezone.now(), channel_id=channel_PLN.pk
        )
    with pytest.raises(answers.AnswerRejected) as answered:
        answers.record_answers(
            token_of(survey),
            AnswerChange(satisfied=False),
            now=timezone.now(),
            channel_id=channel_PLN.pk,
        )

    # then: a bad token, as a guesser's, and nothing recorded
    for rejected in (opened.value, answered.value):
        assert [(p.field, p.code) for p in rejected.problems] == [("token", "INVALID")]
        assert rejected.is_bad_token is True
    survey.refresh_from_db()
    assert survey.satisfied is None
    assert not ServiceHistoryEntry.objects.filter(
        type=EntryType.SURVEY_ANSWERED
    ).exists()

    # while its own channel's page takes it
    view = answers.open_survey(
        token_of(survey), now=timezone.now(), channel_id=survey.channel_id
    )
    assert view.survey.pk == survey.pk


# Answers at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_raise_one_call_back(
    plugin_configuration, order_with_lines
):
    # given a survey answered from two devices at the same moment, each time a No
    from saleor.plugins.models import PluginConfiguration  # noqa: PLC0415

    # The order's set-up may have saved the plugin's defaults for the channel
    # already; the test's own settings replace them.
    PluginConfiguration.objects.filter(channel=order_with_lines.channel).delete()
    plugin_configuration(
        notice_transports="*=saleor_notify", survey_staff_email="care@example.com"
    )
    survey = sent_survey(moment=Moment.COMPLETED, order=order_with_lines)
    token = token_of(survey)

    def answer(comment):
        return lambda: answers.record_answers(
            token,
            AnswerChange(satisfied=False, handled_as_wanted=False, comment=comment),
            now=timezone.now(),
        )

    # when
    results = race(answer("From my phone."), answer("From my laptop."))
    notice_ids = [notice_id for _, ids in results for notice_id in ids]

    # then both changes are recorded, one after the other, and staff hear once
    assert (
        ServiceHistoryEntry.objects.filter(type=EntryType.SURVEY_ANSWERED).count() == 2
    )
    alert = StaffAlert.objects.get()
    assert alert.occurrences == 1
    assert len(notice_ids) == 1
    assert Notice.objects.filter(notice_type=NoticeType.STAFF_ALERT).count() == 1
    assert len(_call_back_notes(order_with_lines)) == 1
    survey.refresh_from_db()
    assert survey.comment in {"From my phone.", "From my laptop."}
