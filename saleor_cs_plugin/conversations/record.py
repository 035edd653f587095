"""File a customer's message into its conversation, once per bridge message id.

One transaction: the open conversation of the sender is locked (or the last
resolved one reopened, when it was resolved at most ``REOPEN_WITHIN`` before the
message, or a new one opened; the partial unique index keeps one open
per sender when two messages race), the message row is added (a bridge message id
already taken makes it a duplicate: nothing changes), the conversation waits on the
store, and the service-history entry is written. Out of answering hours, the
automatic acknowledgement is recorded too (``acknowledge``), once a day.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import events
from ..config import ChannelSettings
from ..domain.conversations import (
    ConversationStatus,
    Direction,
    InboundMessage,
    ReportedProblem,
    reopens,
)
from ..domain.history import Actor
from ..models import Conversation, ConversationMessage
from .acknowledge import acknowledge_if_closed
from .identity import Customer


@dataclass(frozen=True)
class Filed:
    conversation_id: object
    message_id: object
    is_duplicate: bool
    # Notices recorded with it (the acknowledgement), to deliver after commit.
    notice_ids: tuple = ()


def file_message(
    *,
    channel,
    sender: str,
    message: InboundMessage,
    customer: Customer | None,
    order=None,
    channel_settings: ChannelSettings | None = None,
    problem: ReportedProblem | None = None,
) -> Filed:
    """File ``message`` from the normalized ``sender`` into its conversation in
    ``channel``; ``customer`` and ``order`` as ``identity`` found them. With
    ``channel_settings``, a message out of answering hours is acknowledged.
    ``problem``: the message reports a problem with ``order``."""
    for _ in range(3):
        try:
            with transaction.atomic():
                return _file(
                    channel, sender, message, customer, order, channel_settings, problem
                )
        except IntegrityError:
            # Another message of the same sender opened the conversation, or the
            # same message was filed, at the same moment: read again.
            continue
    raise RuntimeError("A message could not be filed after three tries.")


def _file(
    channel, sender, message, customer, order, channel_settings, problem
) -> Filed:
    known = (
        ConversationMessage.objects.filter(
            channel=channel, bridge_message_id=message.message_id
        )
        .values_list("conversation_id", "pk")
        .first()
        # A message of the plugin's own pages or API has no bridge id.
        if message.message_id
        else None
    )
    if known is not None:
        return Filed(conversation_id=known[0], message_id=known[1], is_duplicate=True)
    now = timezone.now()
    # A bridge's clock ahead of the store's does not date a message in the future.
    sent_at = min(message.sent_at, now)
    conversations = Conversation.objects.select_for_update().filter(
        channel=channel, contact_channel=message.contact_channel, sender=sender
    )
    conversation = conversations.exclude(status=ConversationStatus.RESOLVED).first()
    if conversation is None:
        last_resolved = (
            conversations.filter(status=ConversationStatus.RESOLVED)
            .order_by("-resolved_at", "-id")
            .first()
        )
        if last_resolved is not None and reopens(last_resolved.resolved_at, sent_at):
            conversation = last_resolved
    if conversation is None:
        conversation = Conversation(
            channel=channel,
            contact_channel=message.contact_channel,
            sender=sender,
            status=ConversationStatus.WAITING_ON_STORE,
            opened_at=sent_at,
            waiting_since=sent_at,
        )
    elif conversation.status != ConversationStatus.WAITING_ON_STORE:
        # A new wait: reopened, or the customer wrote after the store's answer.
        if conversation.status == ConversationStatus.RESOLVED:
            conversation.resolved_at = None
            conversation.reopened += 1
        conversation.status = ConversationStatus.WAITING_ON_STORE
        conversation.waiting_since = sent_at
        conversation.waiting_alerted_at = None
    if (
        customer is not None
        and not conversation.user_id
        and not conversation.customer_email
    ):
        conversation.user_id = customer.user_id
        conversation.customer_email = customer.email
    if order is not None and conversation.order_id is None:
        conversation.order = order
    conversation.save()
    filed = ConversationMessage(
        conversation=conversation,
        channel=channel,
        direction=Direction.CUSTOMER,
        text=message.text,
        bridge_message_id=message.message_id,
        sent_at=sent_at,
        problem=problem or "",
        order=order if problem else None,
    )
    filed.entry = events.message_event(conversation, filed, actor=Actor.CUSTOMER)
    filed.save(force_insert=True)
    acknowledgement = (
        acknowledge_if_closed(conversation, channel_settings=channel_settings, now=now)
        if channel_settings is not None
        else None
    )
    return Filed(
        conversation_id=conversation.pk,
        message_id=filed.pk,
        is_duplicate=False,
        notice_ids=(acknowledgement,) if acknowledgement else (),
    )
