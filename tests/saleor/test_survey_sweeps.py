"""Who is asked, and when, in a real Saleor: surveys scheduled by orders that ship or
arrive and by problems the store handled, decided by the sweep (sample, fatigue,
cancelled orders, no e-mail), abandoned checkouts asked once, and the notice each
decision records."""

from datetime import UTC, datetime, timedelta

from saleor_cs_plugin.domain.surveys import ProblemKind
from saleor_cs_plugin.models import Survey
from saleor_cs_plugin.surveys import schedule

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_a_problem_is_scheduled_once_and_its_day_moves_while_it_waits(
    plugin_configuration, channel_USD, customer_user
):
    # given
    plugin_configuration(survey_after_problem_percent="100", survey_after_problem_days="3")

    # when: the same problem is handled twice, the second time a day later
    for handled_at in (NOW, NOW + timedelta(days=1)):
        schedule.schedule_after_problem(
            kind=ProblemKind.CONTACT,
            ref="entry-1",
            user_id=customer_user.pk,
            email="Customer@Example.com",
            channel_id=channel_USD.pk,
            handled_at=handled_at,
        )

    # then
    survey = Survey.objects.get()
    assert (
        survey.survey_key,
        survey.moment,
        survey.problem_kind,
        survey.problem_ref,
        survey.status,
        survey.email,
        survey.user_id,
        survey.due_at,
    ) == (
        "after_problem:contact:entry-1",
        "after_problem",
        "contact",
        "entry-1",
        "scheduled",
        "customer@example.com",
        customer_user.pk,
        NOW + timedelta(days=4),
    )


def test_nothing_is_scheduled_when_the_moment_is_off(plugin_configuration, channel_USD):
    plugin_configuration(survey_completed_percent="100")

    schedule.schedule_after_problem(
        kind=ProblemKind.COUPON,
        ref="honor-1",
        email="shopper@example.com",
        channel_id=channel_USD.pk,
        handled_at=NOW,
    )

    assert Survey.objects.count() == 0
