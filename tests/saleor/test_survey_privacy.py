"""Answers belong to the customer: a deleted account's surveys keep the answers but
lose who gave them and their words, and free text older than the channel's
retention period is erased while the counts stay."""

from datetime import timedelta

import graphene
import pytest
from django.utils import timezone
from saleor.graphql.tests.utils import get_graphql_content
from survey_support import sent_survey, token_of

from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.domain.surveys import AnswerChange, Moment, ProblemKind
from saleor_cs_plugin.models import Notice, StaffAlert, Survey
from saleor_cs_plugin.surveys import answers, privacy

pytestmark = pytest.mark.django_db

CUSTOMER_DELETE = """
mutation Delete($id: ID!) {
  customerDelete(id: $id) { errors { field message } }
}
"""

SURVEY = """
query Survey($token: String!) {
  serviceSurvey(token: $token) {
    survey { answers { handledAsWanted comment } }
    errors { code }
  }
}
"""


def _answered(survey, days_ago, comment="The box was crushed.", **change):
    """Answer ``survey`` as the customer did ``days_ago`` days ago."""
    answered_at = timezone.now() - timedelta(days=days_ago)
    answers.record_answers(
        token_of(survey),
        AnswerChange(comment=comment, **change),
        now=answered_at,
    )
    Survey.objects.filter(pk=survey.pk).update(answered_at=answered_at)
    survey.refresh_from_db()
    return survey


def _survey(channel, *, user=None, email="", ref, **fields):
    return sent_survey(
        moment=Moment.AFTER_PROBLEM,
        problem=ProblemKind.CONTACT,
        problem_ref=ref,
        channel=channel,
        user=user,
        email=email or (user.email if user is not None else ""),
        sent_at=timezone.now() - timedelta(days=50),
        link_valid_days=90,
        **fields,
    )


def test_a_deleted_customers_surveys_keep_the_answers_not_the_customer(
    staff_api_client,
    permission_manage_users,
    customer_user,
    customer_user2,
    channel_USD,
):
    # given: a survey of the account, one of a guest order under the same e-mail,
    # and another customer's
    staff_api_client.user.user_permissions.add(permission_manage_users)
    own = _survey(
        channel_USD,
        user=customer_user,
        ref="1",
        satisfied=False,
        comment="Call me at +1 555 0100.",
        what_went_wrong=["late"],
    )
    guest = _survey(
        channel_USD,
        email=customer_user.email.upper(),
        ref="2",
        handled_as_wanted=False,
        comment="As a guest.",
    )
    other = _survey(
        channel_USD, user=customer_user2, ref="3", satisfied=True, comment="Fine."
    )

    # when staff delete the customer through Saleor
    content = get_graphql_content(
        staff_api_client.post_graphql(
            CUSTOMER_DELETE,
            {"id": graphene.Node.to_global_id("User", customer_user.pk)},
        )
    )

    # then
    assert content["data"]["customerDelete"]["errors"] == []
    own.refresh_from_db()
    guest.refresh_from_db()
    other.refresh_from_db()
    assert (own.user_id, own.email, own.comment) == (None, "", "")
    assert (own.satisfied, own.what_went_wrong) == (False, ["late"])
    assert (guest.user_id, guest.email, guest.comment) == (None, "", "")
    assert guest.handled_as_wanted is False
    assert (other.user_id, other.email, other.comment) == (
        customer_user2.pk,
        customer_user2.email,
        "Fine.",
    )


@pytest.fixture
def channels(plugin_configuration, channel_PLN):
    """USD keeps comments 30 days (the shortest allowed); PLN the default 365."""
    from shortage_support import configure_channel  # noqa: PLC0415

    plugin_configuration(survey_comment_retention_days="30")
    configure_channel(channel_PLN)


def test_comments_older_than_the_channels_retention_are_erased_and_answers_stay(
    api_client, channels, channel_USD, channel_PLN, customer_user
):
    # given
    old = _answered(
        _survey(channel_USD, user=customer_user, ref="old"), 31, handled_as_wanted=True
    )
    recent = _answered(_survey(channel_USD, user=customer_user, ref="recent"), 29)
    elsewhere = _answered(_survey(channel_PLN, user=customer_user, ref="pln"), 31)
    now = timezone.now()

    # when
    erased = privacy.erase_old_comments(now)

    # then
    assert erased == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (old.comment, old.comment_erased_at, old.handled_as_wanted) == (
        "",
        now,
        True,
    )
    assert (recent.comment, recent.comment_erased_at) == ("The box was crushed.", None)
    assert (elsewhere.comment, elsewhere.comment_erased_at) == (
        "The box was crushed.",
        None,
    )
    # The link shows the answers without the words.
    content = get_graphql_content(
        api_client.post_graphql(SURVEY, {"token": token_of(old)})
    )
    assert content["data"]["serviceSurvey"]["survey"]["answers"] == {
        "handledAsWanted": True,
        "comment": "",
    }

    # when run again, nothing more is erased
    assert privacy.erase_old_comments(now) == 0


def test_erasing_goes_in_batches_until_every_old_comment_is_gone(
    channels, channel_USD, customer_user
):
    # given
    surveys = [
        _answered(_survey(channel_USD, user=customer_user, ref=str(n)), 40)
        for n in range(5)
    ]

    # when
    erased = privacy.erase_old_comments(timezone.now(), batch_size=2)

    # then
    assert erased == 5
    assert not Survey.objects.exclude(comment="").exists()
    assert Survey.objects.filter(comment_erased_at__isnull=False).count() == len(
        surveys
    )


def test_the_call_back_alert_and_its_e_mail_lose_the_words_too(
    plugin_configuration, channel_USD, customer_user
):
    # given: a call back with the customer's words, e-mailed to staff
    plugin_configuration(
        survey_comment_retention_days="30",
        survey_staff_email="care@example.com",
        notice_transports="*=saleor_notify",
    )
    survey = _answered(
        _survey(channel_USD, user=customer_user, ref="call"),
        45,
        comment="Nobody called me.",
        handled_as_wanted=False,
    )
    alert = StaffAlert.objects.get()
    notice = Notice.objects.get(notice_type=NoticeType.STAFF_ALERT)
    assert "Nobody called me." in alert.message
    assert "Nobody called me." in notice.context["message"]

    # when
    assert privacy.erase_old_comments(timezone.now()) == 1

    # then
    alert.refresh_from_db()
    notice.refresh_from_db()
    assert "Nobody called me." not in alert.message
    assert "Nobody called me." not in notice.context["message"]
    assert alert.message.startswith(
        "A customer: the customer says their recent request was not handled the way "
        f"they wanted. Customer: {customer_user.email}."
    )
    survey.refresh_from_db()
    assert survey.handled_as_wanted is False


def test_a_deleted_customers_call_back_forgets_their_e_mail_and_words(
    plugin_configuration,
    staff_api_client,
    permission_manage_users,
    channel_USD,
    customer_user,
):
    # given: a call back quoting the customer, e-mailed to staff
    plugin_configuration(
        survey_staff_email="care@example.com", notice_transports="*=saleor_notify"
    )
    staff_api_client.user.user_permissions.add(permission_manage_users)
    email = customer_user.email
    survey = _answered(
        _survey(channel_USD, user=customer_user, ref="call"),
        1,
        comment="Nobody called me.",
        handled_as_wanted=False,
    )
    alert = StaffAlert.objects.get()
    notice = Notice.objects.get(notice_type=NoticeType.STAFF_ALERT)
    assert email in alert.message and "Nobody called me." in alert.message

    # when staff delete the customer through Saleor
    content = get_graphql_content(
        staff_api_client.post_graphql(
            CUSTOMER_DELETE,
            {"id": graphene.Node.to_global_id("User", customer_user.pk)},
        )
    )

    # then the alert and the staff e-mail keep the answer, not the customer
    assert content["data"]["customerDelete"]["errors"] == []
    alert.refresh_from_db()
    notice.refresh_from_db()
    expected = (
        "A customer: the customer says their recent request was not handled the way "
        "they wanted. Please call them back, and log the call with serviceContactLog "
        f"naming this survey ({answers.global_id(survey)}); logging it marks this "
        "alert done."
    )
    assert alert.message == expected
    assert notice.context["message"] == expected
    survey.refresh_from_db()
    assert (survey.user_id, survey.email, survey.comment) == (None, "", "")
    assert survey.handled_as_wanted is False
