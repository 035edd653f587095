"""The store's side of a conversation: staff answer it, mark it resolved, or link
an unknown sender to a customer by hand.

A reply is one transaction: the conversation is locked, the reply becomes its
message and service-history entry, the wait ends (its staff alert is marked done)
and a notice is recorded that delivers the reply once, on the conversation's own
channel (``domain.conversations.reply_transport``). The caller schedules that
notice's delivery after commit. A reply key given twice is one reply.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop
from saleor.order.models import Order

from .. import events, language, outbox, staff_alerts
from ..config import ChannelSettings
from ..domain.conversations import (
    REPLY_KEY_MAX_LENGTH,
    REPLY_MAX_LENGTH,
    ConversationStatus,
    Direction,
    after_reply,
    check_written_text,
    reply_transport,
)
from ..domain.history import Actor, ContactChannel
from ..domain.notices import NoticeType, Transport
from ..models import Conversation, ConversationMessage, ServiceHistoryEntry
from .identity import Customer, orders_of

REPLY_SUBJECT = gettext_noop("Re: your message")


class ConversationError(Exception):
    """A request the conversation cannot take: which argument, why, and the code
    GraphQL answers with."""

    def __init__(self, field: str, message: str, code: str):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Replied:
    message_id: object
    # The notice that delivers it; the caller schedules it when ``is_new``.
    notice_id: object
    is_new: bool


def waiting_alert_key(conversation: Conversation) -> str:
    """The cause of the staff alert of the conversation's current wait."""
    return (
        f"conversation_waiting:{conversation.pk}:"
        f"{conversation.waiting_since.isoformat()}"
    )


def _end_wait(conversation: Conversation, now: datetime, user, app) -> None:
    if conversation.waiting_since is not None:
        staff_alerts.resolve_cause(
            waiting_alert_key(conversation), now=now, user=user, app=app
        )
    conversation.waiting_since = None
    conversation.waiting_alerted_at = None


def answer_address(conversation: Conversation, transport: Transport) -> str:
    if transport == Transport.EMAIL:
        if conversation.contact_channel == ContactChannel.EMAIL:
            return conversation.sender
        return conversation.customer_email
    return conversation.sender


def check_transport(transport: Transport, channel_settings: ChannelSettings) -> None:
    notices = channel_settings.notices
    if transport == Transport.EMAIL and not (
        notices.smtp.host and notices.smtp.sender_address
    ):
        raise ConversationError(
            "id",
            "Replies to this conversation go by e-mail, and the channel's e-mail "
            "settings (SMTP host, sender address) are empty; fill them in first.",
            "not_deliverable",
        )
    if transport == Transport.WEBHOOK and not notices.webhook_url:
        raise ConversationError(
            "id",
            "Replies to this conversation go back through your bridge, and the "
            "channel's webhook URL is empty; set it (and its secret) first.",
            "not_deliverable",
        )


def reply(
    conversation: Conversation,
    *,
    text: str,
    is_resolving: bool,
    reply_key: str,
    channel_settings: ChannelSettings,
    now: datetime,
    user=None,
    app=None,
) -> Replied:
    """Answer ``conversation`` (one the requestor may reach) with ``text``."""
    problem = check_written_text(text, max_length=REPLY_MAX_LENGTH)
    if problem:
        raise ConversationError("text", problem, "invalid")
    reply_key = reply_key.strip()
    if len(reply_key) > REPLY_KEY_MAX_LENGTH:
        raise ConversationError(
            "replyKey",
            f"has {len(reply_key)} characters; at most {REPLY_KEY_MAX_LENGTH}.",
            "invalid",
        )
    try:
        with transaction.atomic():
            return _reply(
                conversation.pk,
                text=text.strip(),
                is_resolving=is_resolving,
                reply_key=reply_key,
                channel_settings=channel_settings,
                now=now,
                user=user,
                app=app,
            )
    except IntegrityError:
        # The same reply key, at the same moment: the other one is the reply.
        known = ConversationMessage.objects.filter(
            conversation_id=conversation.pk, reply_key=reply_key
        ).first()
        if not reply_key or known is None:
            raise
        return Replied(message_id=known.pk, notice_id=known.notice_id, is_new=False)


def _reply(
    conversation_id,
    *,
    text,
    is_resolving,
    reply_key,
    channel_settings,
    now,
    user,
    app,
) -> Replied:
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if reply_key:
        known = ConversationMessage.objects.filter(
            conversation=conversation, reply_key=reply_key
        ).first()
        if known is not None:
            return Replied(message_id=known.pk, notice_id=known.notice_id, is_new=False)
    transport = reply_transport(ContactChannel(conversation.contact_channel))
    address = answer_address(conversation, transport)
    if not address:
        raise ConversationError(
            "id",
            "The conversation has no address to answer: its customer was deleted.",
            "not_deliverable",
        )
    check_transport(transport, channel_settings)
    outcome = after_reply(
        first_answered_at=conversation.first_answered_at,
        resolved_at=conversation.resolved_at,
        store_replies=conversation.store_replies,
        now=now,
        is_resolving=is_resolving,
    )
    _end_wait(conversation, now, user, app)
    conversation.status = outcome.status
    conversation.first_answered_at = outcome.first_answered_at
    conversation.resolved_at = outcome.resolved_at
    conversation.store_replies = outcome.store_replies
    conversation.save()
    message = ConversationMessage(
        conversation=conversation,
        channel_id=conversation.channel_id,
        direction=Direction.STORE,
        text=text,
        sent_at=now,
        acting_user=user,
        acting_app=app,
        reply_key=reply_key,
    )
    message.entry = events.message_event(
        conversation, message, actor=Actor.APP if app is not None else Actor.STAFF
    )
    last_customer_message = (
        ConversationMessage.objects.filter(
            conversation=conversation, direction=Direction.CUSTOMER
        )
        .exclude(bridge_message_id="")
        .order_by("-sent_at", "-id")
        .values_list("bridge_message_id", flat=True)
        .first()
    )
    words = language.words_for(customer_language(conversation, channel_settings))
    notice, _ = outbox.enqueue_notice(
        notice_type=NoticeType.CONVERSATION_REPLY,
        idempotency_key=f"conversation_reply:{message.pk}",
        notice_settings=channel_settings.notices,
        recipient_email=(
            address if transport == Transport.EMAIL else conversation.customer_email
        ),
        context={
            "subject": words.gettext(REPLY_SUBJECT),
            "message": text,
            "language": words.language,
            "data": {
                "conversationId": str(conversation.pk),
                "messageId": str(message.pk),
                "contactChannel": conversation.contact_channel,
                "to": address,
                "inReplyTo": last_customer_message or "",
            },
        },
        channel=conversation.channel,
        user=conversation.user,
        order=conversation.order,
        transport=transport,
    )
    message.notice = notice
    message.save(force_insert=True)
    return Replied(message_id=message.pk, notice_id=notice.pk, is_new=True)


def customer_language(
    conversation: Conversation, channel_settings: ChannelSettings
) -> str:
    """The language the store's messages to this conversation's customer are in:
    their account's, then their order's, then the channel's."""
    return language.choose(
        conversation.user.language_code if conversation.user_id else None,
        conversation.order.language_code if conversation.order_id else None,
        default=channel_settings.language,
        also=channel_settings.written_languages,
    )


def resolve(conversation: Conversation, *, now: datetime, user=None, app=None) -> None:
    """Mark ``conversation`` resolved without a reply (the matter was settled
    elsewhere, or needs none)."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.status == ConversationStatus.RESOLVED:
            raise ConversationError(
                "id",
                "The conversation was already resolved at "
                f"{conversation.resolved_at.isoformat()}.",
                "already_resolved",
            )
        _end_wait(conversation, now, user, app)
        conversation.status = ConversationStatus.RESOLVED
        conversation.resolved_at = now
        conversation.save()


def link(
    conversation: Conversation, *, customer: Customer, order: Order | None
) -> Conversation:
    """Link an unknown sender's conversation to ``customer`` (and ``order``, one
    of that customer's in the conversation's channel): the customer then sees its
    messages in their service history."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        is_linked = conversation.user_id is not None or conversation.customer_email
        if is_linked and (
            conversation.user_id != customer.user_id
            or conversation.customer_email.lower() != customer.email.lower()
        ):
            raise ConversationError(
                "id",
                "The conversation is linked to another customer already.",
                "already_linked",
            )
        if order is not None and not _is_customers_order(
            order, customer, conversation.channel_id
        ):
            raise ConversationError(
                "order",
                "The order is not this customer's order in the conversation's channel.",
                "invalid",
            )
        conversation.user_id = customer.user_id
        conversation.customer_email = customer.email
        if order is not None:
            conversation.order = order
        conversation.save()
        entry_ids = ConversationMessage.objects.filter(
            conversation=conversation, entry__isnull=False
        ).values_list("entry_id", flat=True)
        entries = ServiceHistoryEntry.objects.filter(pk__in=list(entry_ids))
        entries.update(
            user_id=customer.user_id,
            customer_email=customer.email,
            is_customer_visible=True,
        )
        if order is not None:
            entries.filter(order_id__isnull=True).update(order_id=order.pk)
    return conversation


def _is_customers_order(order: Order, customer: Customer, channel_id) -> bool:
    return (
        Order.objects.filter(pk=order.pk, channel_id=channel_id)
        .filter(orders_of(customer))
        .exists()
    )
