"""The customer's words are theirs: the free text of survey answers is kept for the
channel's retention period (``survey_comment_retention_days``) and then erased, with
the copies staff were given (the call-back alert and its staff e-mail). The answers
themselves (yes/no, the choices) stay, so the counts of the metrics stay too.

Anonymizing a deleted customer's surveys is the survey table's own
(``models.anonymize_respondent``); it calls ``forget_customer_in_call_backs`` so the
staff's copies forget them in the same deletion.
"""

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import models, transaction

from .. import fetch
from ..config import SettingsError, SurveySettings
from ..domain.alerts import AlertKind, survey_call_back_key
from ..domain.notices import NoticeType, idempotency_key
from ..models import Notice, StaffAlert, Survey
from .answers import answers_of, call_back_draft, global_id

logger = logging.getLogger(__name__)

# Surveys erased per transaction: short row locks, flat memory.
BATCH_SIZE = 500


def erase_old_comments(now: datetime, *, batch_size: int = BATCH_SIZE) -> int:
    """Erase the comments of answers older than their channel's retention period
    (counted from the last change of the answers). Returns how many were erased.
    Safe to run twice or concurrently: an erased comment is not erased again."""
    erased = 0
    for channel_id, cutoff in _cutoffs(now):
        while True:
            count = _erase_batch(channel_id, cutoff, now=now, batch_size=batch_size)
            erased += count
            if count < batch_size:
                break
    return erased


def count_old_comments(now: datetime) -> int:
    """How many comments ``erase_old_comments`` would erase now."""
    return sum(
        _old_comments(channel_id, cutoff).count()
        for channel_id, cutoff in _cutoffs(now)
    )


def _cutoffs(now: datetime) -> list[tuple]:
    """(channel id or None, the time before which answers lose their comment) of
    each channel with comments; a channel with invalid settings is left out."""
    channel_ids = list(
        Survey.objects.exclude(comment="")
        .values_list("channel_id", flat=True)
        .distinct()
        .order_by()
    )
    plugins = fetch.channel_plugins([pk for pk in channel_ids if pk is not None])
    cutoffs = []
    for channel_id in channel_ids:
        if channel_id is None:
            # The channel is gone: the default period applies.
            retention_days = SurveySettings().comment_retention_days
        else:
            plugin = plugins.get(channel_id)
            if isinstance(plugin, SettingsError) or plugin is None:
                logger.warning(
                    "Survey comments of channel %s kept: invalid settings (%s).",
                    channel_id,
                    plugin,
                )
                continue
            retention_days = plugin.settings.surveys.comment_retention_days
        cutoffs.append((channel_id, now - timedelta(days=retention_days)))
    return cutoffs


def _old_comments(channel_id, cutoff: datetime):
    return Survey.objects.filter(channel_id=channel_id, answered_at__lt=cutoff).exclude(
        comment=""
    )


def _erase_batch(
    channel_id, cutoff: datetime, *, now: datetime, batch_size: int
) -> int:
    with transaction.atomic():
        surveys = list(
            _old_comments(channel_id, cutoff)
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("order")
            .order_by("pk")[:batch_size]
        )
        if not surveys:
            return 0
        Survey.objects.filter(pk__in=[survey.pk for survey in surveys]).update(
            comment="", comment_erased_at=now, updated_at=now
        )
        for survey in surveys:
            if survey.call_back_alerted_at is not None:
                survey.comment = ""
                _forget_in_call_back(survey)
    return len(surveys)


def _forget_in_call_back(survey: Survey) -> None:
    """The call-back alert and its staff e-mail quoted the customer: they keep the
    answers, not the words."""
    draft = call_back_draft(survey, answers_of(survey))
    StaffAlert.objects.filter(
        cause_key=survey_call_back_key(global_id(survey)),
        kind=AlertKind.SURVEY_CALL_BACK,
    ).update(message=draft.message)
    key = idempotency_key(NoticeType.STAFF_ALERT, AlertKind.SURVEY_CALL_BACK, survey.pk)
    for notice in Notice.objects.filter(idempotency_key=key):
        notice.context = {**notice.context, "message": draft.message}
        notice.save(update_fields=["context"])


def forget_customer_in_call_backs(collector, surveys, using: str) -> None:
    """For the deletion of a customer (``models.anonymize_respondent``): the call-back
    alerts and staff e-mails of their surveys keep the answers, not the customer's
    e-mail or words. Added to Django's deletion ``collector``, so they are rewritten
    in the deletion's own transaction."""
    for survey in surveys:
        if survey.call_back_alerted_at is None:
            continue
        forgotten = Survey(
            pk=survey.pk,
            moment=survey.moment,
            problem_kind=survey.problem_kind,
            order_id=survey.order_id,
            email="",
        )
        if survey.order_id is not None:
            forgotten.order = survey.order
        draft = call_back_draft(forgotten, replace(answers_of(survey), comment=""))
        alerts = list(
            StaffAlert.objects.using(using).filter(
                cause_key=draft.cause_key, kind=AlertKind.SURVEY_CALL_BACK
            )
        )
        if alerts:
            collector.add_field_update(
                StaffAlert._meta.get_field("message"), draft.message, alerts
            )
        key = idempotency_key(
            NoticeType.STAFF_ALERT, AlertKind.SURVEY_CALL_BACK, survey.pk
        )
        for notice in Notice.objects.using(using).filter(idempotency_key=key):
            collector.add_field_update(
                Notice._meta.get_field("context"),
                models.Value(
                    {**notice.context, "message": draft.message},
                    output_field=models.JSONField(),
                ),
                [notice],
            )
