"""Celery entry points: deliver one notice, sweep for notices nobody delivered.

Tasks receive notice ids only; settings and secrets are read from the database by
the worker and never travel through the broker.
"""

import logging
import random
from datetime import timedelta

import graphene
from django.db import DatabaseError, connections, transaction
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError
from saleor.celeryconf import app
from saleor.core.db.connection import allow_writer
from saleor.plugins.manager import get_plugins_manager

from . import (
    coupons,
    events,
    fetch,
    language,
    outbox,
    promises,
    promoted_codes,
    shortages,
    staff_alerts,
    transport,
)
from .config import DEFAULT_BODY, FIELDS, ChannelSettings, LocalizedText, SettingsError
from .conversations import posts, waiting
from .domain.alerts import AlertKind, notice_delivery_alert
from .domain.history import ContactChannel
from .domain.notices import (
    CONVERSATION_NOTICE_TYPES,
    Action,
    DeliveryCause,
    Dispatch,
    TemplateError,
    Transport,
    decide_dispatch,
    greeting_name,
    render,
    render_html,
    retry_delay,
)
from .domain.words import Words
from .models import Notice
from .surveys import schedule as survey_schedule
from .surveys import sweep as survey_sweep

logger = logging.getLogger(__name__)

SWEEP_BATCH = 1000
SWEEP_TASK_SIZE = 50
MAX_RETRY_DELAY = timedelta(hours=6)
# Staff alerts name settings as the Dashboard shows them.
SETTING_LABELS = {field.name: field.label for field in FIELDS}


@app.task(name="saleor_cs_plugin.deliver_notice")
def deliver_notice_task(notice_id):
    with allow_writer():
        return deliver_notice(notice_id)


@app.task(name="saleor_cs_plugin.deliver_notices")
def deliver_notices_task(notice_ids):
    """Deliver several notices in turn: the pending ones claimed together in one
    statement, each channel's settings read once, webhooks posted over one
    keep-alive HTTP session and marked sent together (``SentWebhooks``)."""
    outcomes: dict[str, int] = {}
    settings_by_channel: dict = {}
    sent_webhooks = SentWebhooks()

    def attempt(notice_id, deliver, *args, **kwargs):
        try:
            outcome = deliver(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - one notice must not stop the batch
            # The notice stays claimed; the sweep takes it again when the claim
            # runs out, and gives up on it after the configured attempts.
            logger.exception("Delivering notice %s stopped unexpectedly.", notice_id)
            outcome = "error"
            if isinstance(error, DatabaseError):
                replace_dropped_connections()
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    with allow_writer(), transport.webhook_session() as http_session:
        claimed, others = outbox.claim_pending(notice_ids)
        held = {notice.pk for notice in claimed}
        # One claim statement: one reading of the database's clock for all of them.
        clock = outbox.DatabaseClock.of_claim(claimed[0]) if claimed else None
        for notice in claimed:
            attempt(
                notice.pk,
                _deliver_claimed,
                notice,
                settings_by_channel,
                http_session=http_session,
                held=held,
                clock=clock,
                sent_webhooks=sent_webhooks,
            )
        unrecorded = sent_webhooks.write()
        if unrecorded:
            outcomes["sent"] -= unrecorded
            outcomes["sent, not recorded"] = unrecorded
        # Not due, taken by another delivery, or left by a worker that died holding
        # it: taken back one at a time, after the others, so that a notice that
        # kills its worker holds no other notice of the batch.
        for notice_id in others:
            attempt(
                notice_id,
                deliver_notice,
                notice_id,
                settings_by_channel,
                http_session=http_session,
            )
    return outcomes


class SentWebhooks:
    """The webhook notices a batch has posted and not yet marked sent, marked
    together in one statement (with their history entries and order notes) at the
    end of the batch, or sooner when their claims run low.

    A worker that dies before that leaves them claimed, as it leaves a notice it
    dies posting: each is posted again, with the same Idempotency-Key, once its
    claim runs out, and a receiver keeps one of the two. E-mail and Saleor's
    notifications, which have no such key, are marked one by one as they go.
    """

    def __init__(self):
        self.marks: list[tuple[Notice, object, object]] = []

    def add(self, notice: Notice, sent_at, entry) -> None:
        self.marks.append((notice, sent_at, entry))

    def sent_times(self, recipient_email: str) -> list:
        """When the posted, unmarked notices to this address went."""
        return [
            sent_at
            for notice, sent_at, _ in self.marks
            if notice.recipient_email == recipient_email
        ]

    def write_if_claims_run_low(self, now) -> None:
        """Mark them now if one has less than half a claim left at ``now`` (the
        database's time)."""
        if self.marks and (
            min(notice.claimed_until for notice, _, _ in self.marks) - now
            < outbox.claim_duration() / 2
        ):
            self.write()

    def write(self) -> int:
        """Mark them sent; returns how many could not be recorded (the database
        failed): those are posted again once their claims run out."""
        marks, self.marks = self.marks, []
        if not marks:
            return 0
        try:
            self._mark(marks)
        except DatabaseError as error:
            replace_dropped_connections()
            # Once more if the connection failed (Django closes one whose rollback
            # failed): a mark that did commit is not repeated, each is made only
            # while its notice is still claimed as it was.
            if not isinstance(error, _CONNECTION_ERRORS):
                return self._unrecorded(marks)
            try:
                self._mark(marks)
            except DatabaseError:
                return self._unrecorded(marks)
        return 0

    @staticmethod
    def _mark(marks) -> None:
        # Their receiver keeps one of two posts with the same key, so the record
        # need not wait for the disk (see ``outbox.mark_sent``).
        outbox.mark_sent_together(marks, synchronous_commit=False)

    @staticmethod
    def _unrecorded(marks) -> int:
        logger.exception(
            "Notices %s were sent but not recorded; they are sent again, with the "
            "same Idempotency-Key, once their claims run out.",
            ", ".join(str(notice.pk) for notice, _, _ in marks),
        )
        return len(marks)


_CONNECTION_ERRORS = (DatabaseInterfaceError, DatabaseOperationalError)


def replace_dropped_connections() -> None:
    """After a database error: close each connection the database dropped, so that
    the batch's next statement opens a new one instead of failing too.

    Only outside a transaction: one still open (a test's) is never closed under
    its owner, and a healthy connection is kept (its session settings with it).
    """
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or connection.in_atomic_block:
            continue
        if not connection.is_usable():
            logger.warning("A dropped database connection is replaced.")
            connection.close()


@app.task(name="saleor_cs_plugin.sweep_notices")
def sweep_notices_task():
    """Deliver notices whose task never ran, failed to schedule, or whose worker died.

    Two sweeps at once are harmless: a notice is claimed by one delivery only.
    """
    with allow_writer():
        notice_ids = [str(pk) for pk in outbox.due_notice_ids(SWEEP_BATCH)]
    _apply_in_chunks(deliver_notices_task, notice_ids)
    return len(notice_ids)


def schedule_delivery(notice_ids) -> None:
    """Queue delivery once the current transaction has committed.

    A broker that is down must not break the request that decided the notice: the
    notice is already recorded, and the sweep delivers it once the broker is back.
    The notices one transaction decided travel together, in tasks of
    ``SWEEP_TASK_SIZE``.
    """
    notice_ids = [str(notice_id) for notice_id in notice_ids]
    if notice_ids:
        transaction.on_commit(lambda: _queue(notice_ids))


def _queue(notice_ids: list[str]) -> None:
    try:
        _apply_in_chunks(deliver_notices_task, notice_ids)
    except OperationalError as error:
        logger.warning(
            "Notices %s not queued (%s); the sweep will deliver them.",
            ", ".join(notice_ids),
            error,
        )


def _apply_in_chunks(task, ids: list[str]) -> None:
    """Queue ``task`` over ``ids`` in tasks of ``SWEEP_TASK_SIZE``, on one connection."""
    with app.producer_or_acquire() as producer:
        for start in range(0, len(ids), SWEEP_TASK_SIZE):
            task.apply_async((ids[start : start + SWEEP_TASK_SIZE],), producer=producer)


def deliver_notice(
    notice_id, settings_by_channel: dict | None = None, *, http_session=None
) -> str:
    """One delivery attempt. Returns what happened (for logs and operators).

    ``settings_by_channel`` and ``http_session`` (``transport.webhook_session``) let
    a caller delivering several notices read each channel's settings once and reuse
    connections.
    """
    notice = outbox.claim(notice_id)
    if notice is None:
        return "not due"
    return _deliver_claimed(
        notice,
        {} if settings_by_channel is None else settings_by_channel,
        http_session=http_session,
    )


def _deliver_claimed(
    notice: Notice,
    settings_by_channel: dict,
    *,
    http_session=None,
    held: set | None = None,
    clock: outbox.DatabaseClock | None = None,
    sent_webhooks: SentWebhooks | None = None,
) -> str:
    """One delivery attempt of a notice this delivery has claimed.

    ``held``: every notice this delivery has claimed (a batch); none of them is being
    sent by another worker. ``clock``: the database's, as the claim read it; the
    worker's own clock decides nothing the database compares. ``sent_webhooks``:
    where a batch keeps the webhook notices it posted until it marks them.
    """
    clock = clock or outbox.DatabaseClock.of_claim(notice)
    now = clock.now()
    if notice.channel_id not in settings_by_channel:
        try:
            settings_by_channel[notice.channel_id] = fetch.channel_plugin(
                notice.channel_id
            )
        except SettingsError as error:
            settings_by_channel[notice.channel_id] = error
    loaded = settings_by_channel[notice.channel_id]
    if isinstance(loaded, SettingsError):
        return _fail(
            notice,
            f"The channel's saved settings are invalid: {loaded}",
            None,
            cause=DeliveryCause.SETTINGS_INVALID,
        )
    channel_settings, channel_slug = loaded.settings, loaded.slug
    settings = channel_settings.notices
    if notice.attempts > settings.max_attempts:
        return _fail(
            notice,
            f"Abandoned after {notice.attempts - 1} attempts that stopped unexpectedly.",
            channel_settings,
            cause=DeliveryCause.ABANDONED,
        )
    skip_reason = _skip_reason(notice, loaded)
    if skip_reason:
        outbox.mark_skipped(notice, skip_reason)
        return "skipped"
    is_answer = notice.notice_type in CONVERSATION_NOTICE_TYPES
    # The transport is the one configured now: a type switched to another transport
    # (or off) since the notice was decided goes the new way. An answer in a
    # conversation goes back the way the customer wrote.
    if not is_answer:
        notice.transport = settings.transports[notice.notice_type]
    if notice.transport == Transport.OFF:
        outbox.mark_skipped(notice, "The transport of this notice type is 'off'.")
        return "skipped"
    # Essential notices go whatever the customer's preferences and recent notices:
    # those are read only when they can change the decision. An answer goes at
    # once: the customer is waiting for it.
    is_essential = notice.notice_type in settings.policy.essential_types
    dispatch = (
        Dispatch(Action.SEND)
        if is_answer
        else decide_dispatch(
            notice.notice_type,
            now=now,
            policy=settings.policy,
            is_opted_out=not is_essential
            and fetch.is_opted_out(notice.recipient_email),
            recent_sent_times=(
                []
                if is_essential
                else outbox.recent_sent_times(
                    notice.recipient_email, now, excluding=held or {notice.pk}
                )
                + (
                    sent_webhooks.sent_times(notice.recipient_email)
                    if sent_webhooks
                    else []
                )
            ),
        )
    )
    if dispatch.action == Action.SKIP:
        outbox.mark_skipped(notice, dispatch.reason)
        return "skipped"
    if dispatch.action == Action.DEFER:
        outbox.defer(notice, dispatch.until, dispatch.reason)
        return "deferred"
    # A notice of a batch has waited for those before it. It is sent only while this
    # delivery holds it for at least half a claim more, as a notice claimed on its
    # own would be; a claim that ran out and was taken by another delivery is lost.
    if sent_webhooks is not None:
        sent_webhooks.write_if_claims_run_low(clock.now())
    if notice.claimed_until - clock.now() < outbox.claim_duration() / 2:
        if not outbox.renew_claim(notice):
            return "not due"
    try:
        _send(notice, channel_settings, channel_slug, http_session)
    except transport.RetryableDeliveryError as error:
        if notice.attempts >= settings.max_attempts:
            return _fail(notice, str(error), channel_settings, cause=error.cause)
        delay = retry_delay(
            notice.attempts,
            base_seconds=settings.retry_base_seconds,
            max_seconds=MAX_RETRY_DELAY.total_seconds(),
            jitter=random.random(),
        )
        if outbox.mark_retry(notice, str(error), delay):
            deliver_notice_task.apply_async(
                (str(notice.pk),), countdown=delay.total_seconds()
            )
        return "retry"
    except transport.TerminalDeliveryError as error:
        return _fail(notice, str(error), channel_settings, cause=error.cause)
    except TemplateError as error:
        return _fail(
            notice, str(error), channel_settings, cause=DeliveryCause.TEMPLATE_INVALID
        )
    entry = events.notice_entry(
        notice, contact_channel=_contact_channel(notice, channel_settings)
    )
    if notice.transport == Transport.WEBHOOK and sent_webhooks is not None:
        sent_webhooks.add(notice, clock.now(), entry)
        return "sent"
    # Recorded right after sending: a worker that dies now leaves one notice claimed
    # and sent, which goes again (with the same idempotency key and Message-ID) once
    # its claim runs out. A webhook receiver keeps one of two posts with the same
    # Idempotency-Key, so for webhooks the record need not wait for the disk (see
    # ``outbox.mark_sent``).
    outbox.mark_sent(
        notice,
        clock.now(),
        entry,
        synchronous_commit=notice.transport != Transport.WEBHOOK,
    )
    return "sent"


def _skip_reason(notice: Notice, channel_plugin: fetch.ChannelPlugin) -> str:
    if notice.channel_id is None:
        return "The notice's channel was deleted."
    if not channel_plugin.is_active:
        return f"The plugin is not active in the channel '{channel_plugin.slug}'."
    if notice.notice_type in CONVERSATION_NOTICE_TYPES:
        # On a bridge the customer is the sender's address, e-mail or not.
        recipient = (
            notice.context.get("data", {}).get("to")
            if notice.transport == Transport.WEBHOOK
            else notice.recipient_email
        )
        if not recipient:
            return "The conversation has no address to answer (anonymized)."
        return ""
    if not notice.recipient_email:
        return "The notice has no recipient (anonymized)."
    return ""


def _fail(
    notice: Notice,
    error: str,
    channel_settings: ChannelSettings | None,
    *,
    cause: DeliveryCause = DeliveryCause.UNKNOWN,
) -> str:
    logger.warning("Notice %s failed: %s", notice.pk, error)
    is_marked = outbox.mark_failed(
        notice,
        error,
        events.notice_entry(
            notice,
            contact_channel=_contact_channel(notice, channel_settings),
            error=error,
        ),
    )
    if is_marked:
        _alert_merchant(notice, error, cause)
    return "failed"


def _alert_merchant(notice: Notice, error: str, cause: DeliveryCause) -> None:
    """Raise (or count one more occurrence of) the staff alert of a failure only the
    merchant can fix, once the notice is marked failed.

    The alert is in the inbox only: e-mail to staff may be what fails.
    It never undoes the failure mark: it is written after it, in its own
    transaction (or savepoint), and a fault is logged, not raised.
    """
    draft = notice_delivery_alert(
        cause=cause,
        transport=notice.transport,
        channel_id=notice.channel_id,
        last_error=error,
        notice_type=notice.notice_type,
        labels=SETTING_LABELS,
    )
    if draft is None or notice.channel_id is None:
        return
    try:
        with transaction.atomic():
            staff_alerts.raise_alert(
                kind=AlertKind.NOTICE_DELIVERY,
                cause_key=draft.cause_key,
                title=draft.title,
                message=draft.message,
                details=draft.details,
                channel_id=notice.channel_id,
                now=timezone.now(),
            )
    except DatabaseError:
        logger.exception("Raising the staff alert of notice %s failed.", notice.pk)


def _contact_channel(notice: Notice, channel_settings) -> ContactChannel:
    if notice.notice_type in CONVERSATION_NOTICE_TYPES:
        return ContactChannel(notice.context["data"]["contactChannel"])
    if notice.transport == Transport.WEBHOOK and channel_settings is not None:
        return ContactChannel(channel_settings.notices.webhook_contact_channel)
    if notice.transport == Transport.EMAIL:
        return ContactChannel.EMAIL
    # Saleor's notifications (or a webhook of unknown use): which medium the app
    # chose is not known here.
    return ContactChannel.SYSTEM


def _notice_language(notice: Notice, channel_settings: ChannelSettings) -> str:
    """The language a notice is in: the one it was worded in (its context's
    ``language``), else the channel's."""
    return (
        language.normalized((notice.context or {}).get("language"))
        or channel_settings.language
    )


def _in_language(text: str, language_code: str) -> str:
    """A merchant's text (``LocalizedText``) in ``language_code``; a plain text is
    the same in every language."""
    if isinstance(text, LocalizedText):
        return text.for_language(language_code)
    return str(text)


def _template_context(
    notice: Notice, channel_settings: ChannelSettings, words: Words
) -> dict:
    context = {
        "customer_name": "",
        "customer_email": notice.recipient_email,
        "order_number": "",
        "subject": "",
        "message": "",
        "action_url": "",
        "support_contact": _in_language(
            channel_settings.support_contact, words.language
        ),
        "storefront_url": channel_settings.storefront_url,
    }
    context.update(
        {key: value for key, value in notice.context.items() if key in context}
    )
    context["customer_name"] = greeting_name(context["customer_name"], words=words)
    return context


def _templates(
    notice: Notice, channel_settings: ChannelSettings, words: Words
) -> tuple[str, str]:
    """The merchant's subject and body of the notice's type in its language; the
    built-in body, if the merchant kept it, translated."""
    subject, body = (
        _in_language(text, words.language)
        for text in channel_settings.notices.templates[notice.notice_type]
    )
    if body == DEFAULT_BODY:
        body = words.gettext(DEFAULT_BODY)
    return subject, body


def _send(
    notice: Notice, channel_settings: ChannelSettings, channel_slug, http_session=None
) -> None:
    settings = channel_settings.notices
    words = language.words_for(_notice_language(notice, channel_settings))
    context = _template_context(notice, channel_settings, words)
    subject_template, body_template = _templates(notice, channel_settings, words)
    subject = " ".join(render(subject_template, context).split())
    text = render(body_template, context)
    if notice.transport == Transport.EMAIL:
        transport.send_email(
            settings.smtp,
            transport.RenderedEmail(
                to=notice.recipient_email,
                subject=subject,
                text=text,
                html=render_html(body_template, context),
                language=words.language,
            ),
            idempotency_key=notice.idempotency_key,
            timeout=settings.timeout_seconds,
        )
    elif notice.transport == Transport.WEBHOOK:
        transport.post_webhook(
            settings.webhook_url,
            settings.webhook_secret,
            _webhook_payload(notice, subject, text, channel_slug, words.language),
            idempotency_key=notice.idempotency_key,
            timeout=settings.timeout_seconds,
            session=http_session,
        )
    elif notice.transport == Transport.SALEOR_NOTIFY:
        transport.notify_saleor(
            get_plugins_manager(allow_replica=False),
            notice_type=notice.notice_type,
            payload={
                **_webhook_payload(notice, subject, text, channel_slug, words.language),
                "html": render_html(body_template, context),
            },
            channel_slug=channel_slug,
        )
    else:
        raise transport.TerminalDeliveryError(
            f"The transport '{notice.transport}' cannot deliver."
        )


def _webhook_payload(
    notice: Notice, subject: str, text: str, channel_slug, language_code: str
) -> dict:
    """The documented JSON of a notice, for webhooks and Saleor notifications."""
    return {
        "id": str(notice.pk),
        "idempotencyKey": notice.idempotency_key,
        "type": notice.notice_type,
        "isEssential": notice.is_essential,
        "recipient": {
            "email": notice.recipient_email,
            "userId": (
                graphene.Node.to_global_id("User", notice.user_id)
                if notice.user_id
                else None
            ),
        },
        "orderId": str(notice.order_id) if notice.order_id else None,
        "channel": channel_slug,
        # The language of ``subject`` and ``text``, as Saleor writes it ("pl").
        "language": language_code,
        "subject": subject,
        "text": text,
        "data": notice.context.get("data", {}),
        "createdAt": notice.created_at.isoformat(),
    }


# Delivery promises -----------------------------------------------------------------


@app.task(name="saleor_cs_plugin.sweep_promises")
def sweep_promises_task():
    """Tell customers of orders at risk or late, once per stage.

    Two sweeps at once split the due promises between them (rows locked with SKIP
    LOCKED); each stage's notice has its own idempotency key besides.
    """
    with allow_writer():
        now = timezone.now()
        promises.backfill_promises(now)
        notice_ids, planned = promises.sweep(now)
        schedule_delivery(notice_ids)
    return len(planned)


def on_order_created(order, configuration: list[dict]) -> None:
    """From Saleor's ``order_created`` hook: record the order's delivery promise (with
    the channel's configuration the plugin manager already holds) and queue the
    check of its lines for stock shortages."""
    schedule_order_check(order.pk)
    with allow_writer():
        try:
            settings = fetch.settings_of(configuration)
            with transaction.atomic():
                promises.record_promise(order, settings.promises)
        except SettingsError:
            logger.warning(
                "No promise for order %s: invalid channel settings.", order.pk
            )
        except Exception:  # noqa: BLE001 - a plugin fault must not fail the order
            # The order is saved already; the promise sweep records the promise of a
            # recent order that has none.
            logger.exception("Recording the promise of order %s failed.", order.pk)


def on_fulfillment_shipped(fulfillment_id) -> None:
    """Close shipped promise lines, and schedule the survey of an order whose last
    fulfilment left, from Saleor's fulfilment hooks."""
    with allow_writer():
        try:
            with transaction.atomic():
                notice_ids = promises.close_shipped_lines(
                    fulfillment_id, timezone.now()
                )
                schedule_delivery(notice_ids)
        except Exception:  # noqa: BLE001 - a plugin fault must not fail the fulfilment
            # The promise's next review sees the shipped lines.
            logger.exception("Closing promise lines of %s failed.", fulfillment_id)
        try:
            with transaction.atomic():
                survey_schedule.schedule_shipped(fulfillment_id)
        except Exception:  # noqa: BLE001 - a plugin fault must not fail the fulfilment
            logger.exception("Scheduling the survey of %s failed.", fulfillment_id)


def on_order_cancelled(order_id) -> None:
    """Close a cancelled order's promise silently, from Saleor's hook."""
    with allow_writer():
        try:
            promises.close_cancelled(order_id, timezone.now())
        except Exception:  # noqa: BLE001 - a plugin fault must not fail the order
            # The promise's next review sees the cancelled order.
            logger.exception("Closing the promise of order %s failed.", order_id)


def on_checkout_updated(checkout) -> None:
    """Follow the checkout's promo code, from Saleor's hook (see coupons.watch_checkout)."""
    with allow_writer():
        try:
            with transaction.atomic():
                coupons.watch_checkout(
                    checkout,
                    lambda: get_plugins_manager(allow_replica=False),
                    timezone.now(),
                )
        except Exception:  # noqa: BLE001 - a plugin fault must not fail the checkout
            logger.exception(
                "Following the code of checkout %s failed.", checkout.token
            )


def bound_code_problem(checkout_info) -> str:
    """Why the checkout's code may not be used by this shopper, else "" (from the hook
    before Saleor creates the order)."""
    try:
        return coupons.bound_email_problem(checkout_info)
    except Exception:  # noqa: BLE001 - a plugin fault must not fail the checkout
        logger.exception(
            "Checking the code of checkout %s failed.", checkout_info.checkout.token
        )
        return ""


# Stock shortages ------------------------------------------------------------


@app.task(name="saleor_cs_plugin.sweep_stock_shortages")
def sweep_stock_shortages_task():
    """Find order lines whose stock fell below what orders allocated, and open
    shortages whose stock came back. Returns how many shortages it handed out for
    composing their notices."""
    with allow_writer():
        review = shortages.sweep(timezone.now())
    schedule_delivery(review.notice_ids)
    schedule_composition(review.shortage_ids)
    return len(review.shortage_ids)


@app.task(name="saleor_cs_plugin.compose_shortage_notices")
def compose_shortage_notices_task(shortage_ids):
    with allow_writer():
        notice_ids = shortages.compose_notices(shortage_ids, timezone.now())
    schedule_delivery(notice_ids)
    return len(notice_ids)


def schedule_composition(shortage_ids) -> None:
    """Compose the notices of new shortages in workers, after commit, in tasks of
    ``SWEEP_TASK_SIZE``. A broker that is down loses nothing: the next sweep hands
    out every open shortage whose notice was not composed."""
    shortage_ids = [str(shortage_id) for shortage_id in shortage_ids]
    if shortage_ids:
        transaction.on_commit(lambda: _queue_composition(shortage_ids))


def _queue_composition(shortage_ids: list[str]) -> None:
    try:
        _apply_in_chunks(compose_shortage_notices_task, shortage_ids)
    except OperationalError as error:
        logger.warning(
            "Shortage notices not queued (%s); the next sweep hands them out again.",
            error,
        )


# The check is idempotent (open shortages are keyed by line and episode), so a
# dropped database connection is retried rather than the check lost.
@app.task(
    name="saleor_cs_plugin.detect_order_shortages",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def detect_order_shortages_task(order_id):
    with allow_writer():
        notice_ids = shortages.detect_for_order(order_id, timezone.now())
    schedule_delivery(notice_ids)
    return len(notice_ids)


@app.task(
    name="saleor_cs_plugin.detect_stock_shortages",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def detect_stock_shortages_task(stock_id):
    with allow_writer():
        notice_ids = shortages.detect_for_stocks([stock_id], timezone.now())
    schedule_delivery(notice_ids)
    return len(notice_ids)


def schedule_order_check(order_id) -> None:
    """From a hook: check a new order's lines once its transaction has committed."""
    transaction.on_commit(lambda: _queue_check(detect_order_shortages_task, order_id))


def schedule_stock_check(stock_id) -> None:
    """From a hook: check the lines allocated on a stock that ran out."""
    transaction.on_commit(lambda: _queue_check(detect_stock_shortages_task, stock_id))


def _queue_check(task, object_id) -> None:
    try:
        try:
            task.delay(object_id)
        except OperationalError as error:
            # The broker is down: check here rather than lose a line Saleor never
            # allocated (the sweep finds over-allocated stocks, not those).
            logger.warning("%s not queued (%s); checking now.", task.name, error)
            task.run(object_id)
    except Exception:  # noqa: BLE001 - a hook must never raise into Saleor's flow
        logger.exception(
            "Checking %s %s for stock shortages failed.", task.name, object_id
        )


# Promoted codes ---------------------------------------------------------------


@app.task(name="saleor_cs_plugin.sweep_promoted_codes")
def sweep_promoted_codes_task():
    """Check the health of every promoted code and alert staff once per change.

    Two sweeps at once split the codes between them (rows locked with SKIP LOCKED);
    each alert's notice has its own idempotency key besides.
    """
    with allow_writer():
        sweep = promoted_codes.check_promoted_codes(timezone.now())
        schedule_delivery(sweep.notice_ids)
    return len(sweep.alerts)


@app.task(name="saleor_cs_plugin.forget_coupon_client_addresses")
def forget_coupon_client_addresses_task():
    """Erase the client addresses of failed coupon attempts past the limit's window."""
    with allow_writer():
        return coupons.forget_client_addresses(timezone.now())


# Surveys ------------------------------------------------------------------------


@app.task(name="saleor_cs_plugin.sweep_surveys")
def sweep_surveys_task():
    """Send or skip the surveys that are due, and ask about abandoned checkouts.

    Two sweeps at once decide one batch at a time (an advisory lock), so each
    customer is asked once; each survey's notice has its own idempotency key too.
    Returns how many customers were asked.
    """
    with allow_writer():
        report = survey_sweep.sweep(timezone.now())
    schedule_delivery(report.notice_ids)
    return report.sent


@app.task(name="saleor_cs_plugin.sweep_waiting_conversations")
def sweep_waiting_conversations_task():
    """Alert staff, once per wait, to each customer waiting past the answer target
    of their contact channel. Two sweeps at once alert each wait once. Returns how
    many were alerted."""
    with allow_writer():
        return waiting.sweep_waiting(timezone.now()).alerted


# A post is filed once however often this runs (``posts.file_post``), so a dropped
# database connection is retried; a post whose retries ran out, or whose task was
# lost, is filed by the sweep.
@app.task(
    name="saleor_cs_plugin.file_inbound_post",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def file_inbound_post_task(post_id):
    """File one inbound post into its conversation; whether this run filed it."""
    with allow_writer():
        filed = posts.file_post(post_id)
        if filed is not None:
            schedule_delivery(filed.notice_ids)
        return filed is not None


# A post taken this long ago and still not filed lost its task.
UNFILED_POST_GRACE = timedelta(seconds=30)


@app.task(name="saleor_cs_plugin.sweep_inbound_posts")
def sweep_inbound_posts_task():
    """File the inbound posts taken more than ``UNFILED_POST_GRACE`` ago that no
    worker filed, oldest first, up to ``SWEEP_BATCH``; returns how many it filed."""
    with allow_writer():
        post_ids = posts.unfiled_posts(timezone.now() - UNFILED_POST_GRACE, SWEEP_BATCH)
        filed = 0
        for post_id in post_ids:
            try:
                post = posts.file_post(post_id)
            except (DatabaseError, RuntimeError):
                # One post must not stop the sweep; it is tried again next time.
                logger.exception(
                    "Inbound post %s not filed; next sweep again.", post_id
                )
                continue
            if post is not None:
                filed += 1
                schedule_delivery(post.notice_ids)
        return filed


def schedule_filing(post_id) -> None:
    """From the inbound address: file a taken post once its insert has committed.
    A broker that is down loses nothing: the post waits for the sweep."""
    transaction.on_commit(lambda: _queue_filing(post_id))


def _queue_filing(post_id) -> None:
    try:
        file_inbound_post_task.delay(str(post_id))
    except OperationalError as error:
        logger.warning(
            "Inbound post %s not queued (%s); the sweep files it.", post_id, error
        )


@app.task(name="saleor_cs_plugin.erase_survey_comments")
def erase_survey_comments_task():
    """Erase the free text of survey answers past the channel's retention period
    (the daily purge_personal_data does this too)."""
    from .surveys import privacy

    with allow_writer():
        return privacy.erase_old_comments(timezone.now())


# Retention ----------------------------------------------------------------------


@app.task(name="saleor_cs_plugin.purge_personal_data")
def purge_personal_data_task():
    """Purge the personal data each channel's retention period no longer keeps:
    old failed coupon attempts' code, checkout and client address; what old
    finished notices said and to whom; old survey answers' comments; what was said
    in old resolved conversations."""
    from . import retention

    with allow_writer():
        report = retention.purge(timezone.now())
    return {
        "coupon_attempts": report.coupon_attempts,
        "notices": report.notices,
        "survey_comments": report.survey_comments,
        "conversations": report.conversations,
    }
