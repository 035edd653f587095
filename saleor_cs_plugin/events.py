"""Writers of service-history entries, Saleor's sense of "events": every touchpoint
with a customer is recorded through here; and the order notes of notices' outcomes,
on Saleor's order timeline."""

from django.db import connection
from saleor.order import OrderEvents
from saleor.order.models import OrderEvent

from .domain.history import Actor, ContactChannel, EntryType
from .domain.notices import NoticeType
from .models import ServiceHistoryEntry


def contact_logged_event(
    *,
    contact_channel: ContactChannel,
    summary: str,
    is_resolved_at_first_contact: bool,
    is_customer_visible: bool,
    user=None,
    customer_email: str = "",
    order=None,
    acting_user=None,
    acting_app=None,
    social_network: str = "",
    survey_id: str = "",
) -> ServiceHistoryEntry:
    """Record a contact that happened outside the store (a call, a chat, ...).

    The caller has checked that the customer and the order belong together (and
    the survey, ``survey_id`` its GraphQL ID, when the contact is its call back).
    """
    if user is None and order is not None and not customer_email:
        user = order.user
    if not customer_email:
        customer_email = _customer_email(user, order)
    details = {"socialNetwork": social_network} if social_network else {}
    if survey_id:
        details["surveyId"] = survey_id
    return ServiceHistoryEntry.objects.create(
        type=EntryType.CONTACT,
        user=user,
        customer_email=customer_email,
        order=order,
        contact_channel=contact_channel,
        actor=Actor.APP if acting_app is not None else Actor.STAFF,
        acting_user=acting_user,
        acting_app=acting_app,
        is_customer_visible=is_customer_visible,
        message=summary.strip(),
        details=details,
        is_resolved_at_first_contact=is_resolved_at_first_contact,
    )


def message_event(conversation, message, *, actor: Actor) -> ServiceHistoryEntry:
    """Record a message of a conversation. The customer sees it in their history
    only once the conversation is linked to them (``conversations.identity``)."""
    is_linked = conversation.user_id is not None or bool(conversation.customer_email)
    return ServiceHistoryEntry.objects.create(
        type=EntryType.MESSAGE,
        created_at=message.sent_at,
        user_id=conversation.user_id,
        customer_email=conversation.customer_email,
        # A problem report is about its own order.
        order_id=message.order_id or conversation.order_id,
        contact_channel=conversation.contact_channel,
        actor=actor,
        acting_user_id=message.acting_user_id,
        acting_app_id=message.acting_app_id,
        is_customer_visible=is_linked,
        message=message.text,
        details={
            "conversationId": str(conversation.pk),
            "direction": message.direction,
            **({"problem": message.problem} if message.problem else {}),
        },
    )


def notice_event(notice, *, contact_channel: ContactChannel, error: str = ""):
    """Record a notice that reached its recipient, or (with ``error``) never will.

    Delivery records it through ``outbox.mark_sent`` / ``mark_failed`` instead, in
    the statement that marks the notice.
    """
    entry = notice_entry(notice, contact_channel=contact_channel, error=error)
    entry.save()
    return entry


def notice_entry(notice, *, contact_channel: ContactChannel, error: str = ""):
    """The entry (not yet saved) of a notice that reached its recipient, or (with
    ``error``) never will."""
    is_sent = not error
    is_staff_alert = notice.notice_type == NoticeType.STAFF_ALERT
    subject = notice.context.get("subject", "")
    return ServiceHistoryEntry(
        type=EntryType.NOTICE_SENT if is_sent else EntryType.NOTICE_FAILED,
        user_id=None if is_staff_alert else notice.user_id,
        customer_email="" if is_staff_alert else notice.recipient_email,
        order_id=notice.order_id,
        contact_channel=contact_channel,
        actor=Actor.PLUGIN,
        # A reply is in the history as its conversation's message already.
        is_customer_visible=is_sent
        and not is_staff_alert
        and notice.notice_type != NoticeType.CONVERSATION_REPLY,
        message=subject,
        details={
            "noticeId": str(notice.pk),
            "noticeType": notice.notice_type,
            "transport": notice.transport,
            "attempts": notice.attempts,
            **({} if is_sent else {"error": error}),
        },
    )


def insert_entry_sql(entry: ServiceHistoryEntry, *, source: str) -> tuple[str, list]:
    """SQL that adds ``entry`` once for each row of ``source`` (a table or a CTE of
    the same statement, with one row or none), and its parameters.

    Lets another change and the history entry it causes be one statement. Every
    column of the model is written, with the values ``save()`` would write.
    """
    fields = ServiceHistoryEntry._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    params = [
        field.get_db_prep_save(field.pre_save(entry, add=True), connection)
        for field in fields
    ]
    return (
        f"INSERT INTO {ServiceHistoryEntry._meta.db_table} ({columns}) "
        f"SELECT {placeholders} FROM {source}",
        params,
    )


def order_note_sql(message: str, *, date, source: str) -> tuple[str, list]:
    """SQL that adds ``message`` as a note to the timeline of the order of each row of
    ``source`` (a CTE of the same statement with an ``order_id`` column, one row or
    none) that still has an order, and its parameters.

    The note is the one Saleor's ``order_note_added_event`` writes when neither staff
    nor an app wrote it. ``order_id`` comes from the row the statement changed, so an
    order deleted meanwhile gets no note (its notices lost their order first).
    """
    meta = OrderEvent._meta
    columns = ", ".join(
        connection.ops.quote_name(meta.get_field(name).column)
        for name in ("date", "type", "parameters", "order")
    )
    parameters = meta.get_field("parameters").get_db_prep_save(
        {"message": message}, connection
    )
    return (
        f"INSERT INTO {meta.db_table} ({columns}) "
        f"SELECT %s, %s, %s, {source}.order_id FROM {source} "
        f"WHERE {source}.order_id IS NOT NULL",
        [date, OrderEvents.NOTE_ADDED, parameters],
    )


def _customer_email(user, order) -> str:
    if order is not None and order.user_email:
        return order.user_email.lower()
    if user is not None:
        return user.email.lower()
    return ""


def customer_choice_event(*, order, message: str, details: dict) -> ServiceHistoryEntry:
    """Record what a customer chose through a link the plugin sent them."""
    return ServiceHistoryEntry.objects.create(
        type=EntryType.CUSTOMER_CHOICE,
        user=order.user,
        customer_email=_customer_email(order.user, order),
        order=order,
        contact_channel=ContactChannel.WEB,
        actor=Actor.CUSTOMER,
        is_customer_visible=True,
        message=message,
        details=details,
    )


def survey_answered_event(
    *, survey, message: str, details: dict
) -> ServiceHistoryEntry:
    """Record answers a customer gave (or changed) in a follow-up survey."""
    return ServiceHistoryEntry.objects.create(
        type=EntryType.SURVEY_ANSWERED,
        user_id=survey.user_id,
        customer_email=survey.email.lower(),
        order_id=survey.order_id,
        checkout_token=survey.checkout_token,
        contact_channel=ContactChannel.WEB,
        actor=Actor.CUSTOMER,
        is_customer_visible=True,
        message=message,
        details=details,
    )
