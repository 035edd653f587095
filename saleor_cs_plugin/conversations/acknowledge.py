"""The automatic acknowledgement: a customer who writes while nobody answers gets,
on the same channel and in their language, when the store will answer (the answer
target of the contact channel, in working time), at most once per conversation per
day of the store's calendar.

It is recorded in the transaction that files the message; its idempotency key is
the conversation and the store's day, so two messages racing in one night make one.
"""

import logging
from datetime import datetime

from django.utils.translation import gettext_noop

from .. import language, outbox
from ..config import ChannelSettings
from ..domain.conversations import (
    acknowledgement_due,
    acknowledgement_key,
    reply_transport,
)
from ..domain.history import ContactChannel
from ..domain.notices import NoticeType, Transport
from ..models import Conversation
from .reply import ConversationError, answer_address, check_transport, customer_language

logger = logging.getLogger(__name__)

SUBJECT = gettext_noop("We have your message")
MESSAGE = gettext_noop(
    "Thank you for your message. Nobody is answering at the moment; we will answer "
    "you by %(moment)s."
)


def acknowledge_if_closed(
    conversation: Conversation, *, channel_settings: ChannelSettings, now: datetime
):
    """The acknowledgement's notice id when one is recorded now, else None. In the
    caller's transaction, which holds the conversation's lock."""
    settings = channel_settings.conversations
    if not settings.is_acknowledging_out_of_hours:
        return None
    hours = settings.answer_hours
    if not acknowledgement_due(
        hours=hours, now=now, last_acknowledged_at=conversation.acknowledged_at
    ):
        return None
    contact_channel = ContactChannel(conversation.contact_channel)
    answer_by = hours.answer_due_at(contact_channel, conversation.waiting_since or now)
    if answer_by is None:
        # No target on this channel: no time to promise.
        return None
    transport = reply_transport(contact_channel)
    address = answer_address(conversation, transport)
    if not address:
        return None
    try:
        check_transport(transport, channel_settings)
    except ConversationError as error:
        logger.warning(
            "No acknowledgement for conversation %s: %s", conversation.pk, error
        )
        return None
    words = language.words_for(customer_language(conversation, channel_settings))
    notice, is_new = outbox.enqueue_notice(
        notice_type=NoticeType.CONVERSATION_ACKNOWLEDGEMENT,
        idempotency_key=acknowledgement_key(
            str(conversation.pk), now, hours.calendar.time_zone
        ),
        notice_settings=channel_settings.notices,
        recipient_email=(
            address if transport == Transport.EMAIL else conversation.customer_email
        ),
        context={
            "subject": words.gettext(SUBJECT),
            "message": words.gettext(MESSAGE)
            % {"moment": words.moment(answer_by, hours.calendar.time_zone)},
            "language": words.language,
            "data": {
                "conversationId": str(conversation.pk),
                "contactChannel": conversation.contact_channel,
                "to": address,
                "answerBy": answer_by.isoformat(),
            },
        },
        channel=conversation.channel,
        user=conversation.user,
        order=conversation.order,
        transport=transport,
    )
    conversation.acknowledged_at = now
    conversation.save(update_fields=["acknowledged_at", "updated_at"])
    return notice.pk if is_new else None
