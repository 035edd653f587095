"""How long personal data is kept: each channel's retention period
(``config.RetentionSettings``, ``survey_comment_retention_days``), then the purge.

- A failed coupon attempt older than ``coupon_attempt_days`` loses the code that was
  typed, the checkout and the client address; its reason, channel and time stay, so
  the metrics count it as before.
- A notice finished (sent, failed or skipped) more than ``notice_content_days`` ago,
  by its finished time (``updated_at``), loses what it said (``context``: the
  customer's name and address, the order's lines, the links) and the recipient's
  address; its type, status, transport and times stay. A notice still to deliver is
  never touched, and a failed one whose content is gone can no longer be retried.
- A conversation resolved more than ``conversation_days`` ago loses what was said
  (its messages' text and their service-history entries' words) and the sender's
  address; its contact channel, status, times and counts stay. An open
  conversation is never touched.
- The free text of survey answers is ``surveys.privacy``'s (it also rewrites the
  staff's copies of the words).

Rows without a channel (the channel was deleted) get the default periods. Each
batch is one transaction over at most ``BATCH_SIZE`` rows taken in primary-key order
with ``SKIP LOCKED``: a big table is never locked for long, two purges at once share
the rows between them, and a row already purged is not written again.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from saleor.channel.models import Channel

from . import fetch
from .config import RetentionSettings, SettingsError
from .domain.conversations import ConversationStatus
from .domain.notices import NoticeStatus
from .models import (
    Conversation,
    ConversationMessage,
    CouponFailure,
    Notice,
    ServiceHistoryEntry,
)
from .surveys import privacy

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000

FINISHED_STATUSES = (NoticeStatus.SENT, NoticeStatus.FAILED, NoticeStatus.SKIPPED)


@dataclass(frozen=True)
class PurgeReport:
    """How many rows lost their personal data (or would, in a dry run)."""

    coupon_attempts: int = 0
    notices: int = 0
    survey_comments: int = 0
    conversations: int = 0


def purge(
    now: datetime, *, batch_size: int = BATCH_SIZE, dry_run: bool = False
) -> PurgeReport:
    """Purge what each channel's retention period no longer allows to keep.
    ``dry_run``: count it, change nothing. Safe to run twice or concurrently."""
    coupon_attempts = notices = conversations = 0
    for channel_id, retention in _retention_by_channel().items():
        resolved = _old_conversations(
            channel_id, now - timedelta(days=retention.conversation_days)
        )
        attempts = _coupon_attempts(
            channel_id, now - timedelta(days=retention.coupon_attempt_days)
        )
        finished = _finished_notices(
            channel_id, now - timedelta(days=retention.notice_content_days)
        )
        if dry_run:
            coupon_attempts += attempts.count()
            notices += finished.count()
            conversations += resolved.count()
            continue
        conversations += _forget_conversations(resolved, batch_size)
        coupon_attempts += _in_batches(
            attempts,
            batch_size,
            code="",
            checkout_token=None,
            client_ip=None,
        )
        # QuerySet.update leaves ``updated_at`` (the finished time) as it was.
        notices += _in_batches(finished, batch_size, context={}, recipient_email="")
    if dry_run:
        survey_comments = privacy.count_old_comments(now)
    else:
        survey_comments = privacy.erase_old_comments(now)
    return PurgeReport(
        coupon_attempts=coupon_attempts,
        notices=notices,
        survey_comments=survey_comments,
        conversations=conversations,
    )


def _retention_by_channel() -> dict:
    """{channel id or None: RetentionSettings} of every channel whose settings are
    valid (whether the plugin is active there or not); None: rows whose channel is
    gone, which get the defaults. A channel with invalid settings is left out with a
    warning: its data is kept until they are fixed."""
    channel_ids = list(Channel.objects.order_by("pk").values_list("pk", flat=True))
    retention: dict = {}
    for channel_id, plugin in fetch.channel_plugins(channel_ids).items():
        if isinstance(plugin, SettingsError):
            logger.warning(
                "Personal data of channel %s kept: invalid settings (%s).",
                channel_id,
                plugin,
            )
            continue
        retention[channel_id] = plugin.settings.retention
    retention[None] = RetentionSettings()
    return retention


def _of_channel(queryset, channel_id):
    if channel_id is None:
        return queryset.filter(channel_id__isnull=True)
    return queryset.filter(channel_id=channel_id)


def _coupon_attempts(channel_id, cutoff: datetime):
    """The channel's failed attempts made before ``cutoff`` that still hold a code,
    a checkout or a client address."""
    return _of_channel(CouponFailure.objects, channel_id).filter(
        Q(created_at__lt=cutoff)
        & (~Q(code="") | Q(checkout_token__isnull=False) | Q(client_ip__isnull=False))
    )


def _finished_notices(channel_id, cutoff: datetime):
    """The channel's notices finished before ``cutoff`` that still hold what they
    said or whom they went to."""
    return _of_channel(Notice.objects, channel_id).filter(
        Q(status__in=FINISHED_STATUSES, updated_at__lt=cutoff)
        & (~Q(context={}) | ~Q(recipient_email=""))
    )


def _old_conversations(channel_id, cutoff: datetime):
    """The channel's conversations resolved before ``cutoff`` that still hold a
    sender's address or a message's words."""
    return _of_channel(Conversation.objects, channel_id).filter(
        Q(status=ConversationStatus.RESOLVED, resolved_at__lt=cutoff)
        & (
            ~Q(sender="")
            | Q(
                pk__in=ConversationMessage.objects.exclude(text="").values(
                    "conversation_id"
                )
            )
        )
    )


def _forget_conversations(queryset, batch_size: int) -> int:
    """Empty the sender and the words of ``queryset``'s conversations, their
    messages and their history entries, a batch at a time, as ``_in_batches``."""
    forgotten = 0
    after = None
    while True:
        with transaction.atomic():
            batch = queryset.select_for_update(skip_locked=True).order_by("pk")
            if after is not None:
                batch = batch.filter(pk__gt=after)
            ids = list(batch.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            # A message in between reopened it: it is kept, under its lock.
            ids = list(queryset.filter(pk__in=ids).values_list("pk", flat=True))
            messages = ConversationMessage.objects.filter(conversation_id__in=ids)
            ServiceHistoryEntry.objects.filter(
                pk__in=messages.exclude(entry__isnull=True).values("entry_id")
            ).update(message="")
            messages.update(text="")
            forgotten += Conversation.objects.filter(pk__in=ids).update(sender="")
        if len(ids) < batch_size:
            break
        after = ids[-1]
    return forgotten


def _in_batches(queryset, batch_size: int, **values) -> int:
    """Update the rows of ``queryset`` to ``values``, at most ``batch_size`` in a
    transaction, in primary-key order, skipping rows another transaction holds (a
    purge running beside this one, a delivery, a retry). Returns how many."""
    updated = 0
    after = None
    while True:
        with transaction.atomic():
            batch = queryset.select_for_update(skip_locked=True).order_by("pk")
            if after is not None:
                batch = batch.filter(pk__gt=after)
            ids = list(batch.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            # The filter again: what the row is now, under its lock.
            updated += queryset.filter(pk__in=ids).update(**values)
        if len(ids) < batch_size:
            break
        after = ids[-1]
    return updated
