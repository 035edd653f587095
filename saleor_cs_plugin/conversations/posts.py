"""Inbound posts: a bridge's message taken with one durable insert, then filed into
its conversation by a worker.

- ``take`` stores a checked message in one statement, which commits before the
  bridge is answered; the unique bridge message id of the channel makes a
  repeated id a duplicate (nothing stored), even while the first is not filed yet.
- ``file_post`` files one post (who sent it, its conversation, its history entry,
  the out-of-hours acknowledgement; ``identity`` and ``record``) in one
  transaction with marking it filed, so a post
  is filed once however often its task runs; two workers on one post: the second
  skips it.
- ``unfiled_posts`` are the posts no worker filed (a task lost with its worker or
  its broker), for the sweep.
"""

import uuid

from django.db import connection, transaction
from django.utils import timezone

from .. import fetch
from ..config import ChannelSettings, SettingsError
from ..domain.conversations import InboundMessage
from ..domain.history import ContactChannel
from ..models import InboundPost
from . import identity, record

_TAKE = f"""
INSERT INTO {InboundPost._meta.db_table}
    (id, created_at, channel_id, bridge_message_id, contact_channel, sender, text,
     order_reference, sent_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (channel_id, bridge_message_id) DO NOTHING
RETURNING id
"""


def take(channel_id, message) -> uuid.UUID | None:
    """Store ``message`` (a checked ``InboundMessage``) of the channel; its post's
    id, or None when the channel has taken its bridge message id before."""
    with connection.cursor() as cursor:
        cursor.execute(
            _TAKE,
            [
                uuid.uuid4(),
                timezone.now(),
                channel_id,
                message.message_id,
                message.contact_channel.value,
                message.sender,
                message.text,
                message.order_reference,
                message.sent_at,
            ],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def file_post(post_id) -> record.Filed | None:
    """File the post into its conversation and mark it filed; None when it is filed
    already, is being filed by another worker, or is gone."""
    with transaction.atomic():
        post = (
            # Only the post is locked (the channel row is shared by all posts).
            InboundPost.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("channel")
            .filter(pk=post_id, filed_at__isnull=True)
            .first()
        )
        if post is None:
            return None
        channel = post.channel
        message = post_message(post)
        sender = identity.normalized_sender(
            message.contact_channel, message.sender, channel.default_country.code
        )
        customer = identity.find_customer(sender)
        order = (
            identity.customers_order(customer, channel.pk, message.order_reference)
            if message.order_reference
            else None
        )
        filed = record.file_message(
            channel=channel,
            sender=sender,
            message=message,
            customer=customer,
            order=order,
            channel_settings=_acknowledging_settings(channel.pk),
        )
        InboundPost.objects.filter(pk=post.pk).update(
            filed_at=timezone.now(), sender="", text="", order_reference=""
        )
    return filed


def _acknowledging_settings(channel_id) -> ChannelSettings | None:
    """The channel's settings, for the out-of-hours acknowledgement; None (no
    acknowledgement, the message is filed all the same) when they are invalid."""
    try:
        return fetch.channel_settings(channel_id)
    except SettingsError:
        return None


def post_message(post: InboundPost) -> InboundMessage:
    """The message a stored post holds."""
    return InboundMessage(
        contact_channel=ContactChannel(post.contact_channel),
        sender=post.sender,
        text=post.text,
        message_id=post.bridge_message_id,
        sent_at=post.sent_at,
        order_reference=post.order_reference,
    )


def unfiled_posts(taken_before, limit: int) -> list:
    """Ids of the posts taken before ``taken_before`` and not filed, oldest first."""
    return list(
        InboundPost.objects.filter(filed_at__isnull=True, created_at__lt=taken_before)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
