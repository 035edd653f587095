"""The plugin's tables: the service history (append-only: rows are added, and only
anonymization rewrites them), the notice outbox, customers' notice preferences,
orders' delivery promises, stock shortages of order lines, coupon help (promoted
codes, failed attempts, honored codes and the codes watched on checkouts), the
staff inbox, follow-up surveys, conversations with customers and the inbound
posts of the store's bridges."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from .domain.alerts import TITLE_MAX_LENGTH, AlertKind
from .domain.conversations import ConversationStatus, Direction, ReportedProblem
from .domain.coupons import Placement, Reason
from .domain.history import Actor, ContactChannel, EntryType
from .domain.notices import NoticeStatus, NoticeType, Transport
from .domain.promises import DelayStage, PromiseStatus
from .domain.shortages import Choice, ShortageStatus
from .domain.surveys import (
    AbandonReason,
    Moment,
    ProblemKind,
    SkipReason,
    SurveyStatus,
    WrongThing,
)


# What anonymization leaves of an entry: what happened and when stays (it feeds the
# store's service metrics); who it was, what was said and the details go.
ANONYMIZED_VALUES = {
    "user": None,
    "customer_email": "",
    "message": "",
    # A plain dict cannot key Django's batched updates; an expression can.
    "details": models.Value({}, output_field=models.JSONField()),
    "checkout_token": None,
}


def anonymize_customer(collector, field, sub_objs, using):
    """``on_delete`` of the customer link: keep the entries, forget the customer.

    It runs inside Django's deletion of a user, whichever way Saleor deletes it
    (staff or self-service mutations, bulk deletes, the admin), so no deleted
    customer is left behind in the history. Entries from the time the customer
    shopped as a guest, under the same e-mail address, are anonymized with them.
    """
    entries = list(sub_objs)
    emails = {entry.customer_email for entry in entries if entry.customer_email}
    if emails:
        entries += list(
            field.model._base_manager.using(using).filter(
                user__isnull=True, customer_email__in=emails
            )
        )
    for name, value in ANONYMIZED_VALUES.items():
        collector.add_field_update(field.model._meta.get_field(name), value, entries)


class ServiceHistoryEntry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    type = models.CharField(
        max_length=32, choices=[(t.value, t.name) for t in EntryType]
    )
    # The customer: a user, or for guests only an e-mail. Both stay when the user is
    # known, so a history can be found from either.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=anonymize_customer,
        related_name="+",
    )
    customer_email = models.EmailField(blank=True, default="")
    order = models.ForeignKey(
        "order.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Checkouts are deleted when completed or abandoned; the token outlives them.
    checkout_token = models.UUIDField(null=True, blank=True)
    contact_channel = models.CharField(
        max_length=16, choices=[(c.value, c.name) for c in ContactChannel]
    )
    actor = models.CharField(max_length=16, choices=[(a.value, a.name) for a in Actor])
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acting_app = models.ForeignKey(
        "app.App",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_customer_visible = models.BooleanField(default=False)
    message = models.TextField(blank=True, default="")
    details = models.JSONField(blank=True, default=dict, encoder=DjangoJSONEncoder)
    # Only for contacts: was the customer's matter settled in that one contact?
    is_resolved_at_first_contact = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(
                fields=["user", "-created_at"], name="cs_history_user_created"
            ),
            models.Index(
                fields=["order", "-created_at"], name="cs_history_order_created"
            ),
            models.Index(
                fields=["customer_email", "-created_at"],
                name="cs_history_email_created",
            ),
        ]

    def __str__(self):
        return f"{self.type} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(
                "The service history is append-only: add a new entry instead."
            )
        super().save(*args, **kwargs)


def forget_recipient(collector, field, sub_objs, using):
    """``on_delete`` of a notice's customer link: the notice forgets who it was for.

    A notice still waiting then has nobody to go to and is skipped at delivery.
    """
    for name, value in [
        ("user", None),
        ("recipient_email", ""),
        ("context", models.Value({}, output_field=models.JSONField())),
    ]:
        collector.add_field_update(field.model._meta.get_field(name), value, sub_objs)


class Notice(models.Model):
    """One message to one person, recorded with the decision that caused it.

    The unique idempotency key makes the same decision, taken twice, one notice.
    Pending notices are delivered by a task after commit; the sweep finds those whose
    task never ran or whose worker died (``claimed_until`` has passed).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    idempotency_key = models.CharField(max_length=128, unique=True)
    notice_type = models.CharField(
        max_length=32, choices=[(t.value, t.name) for t in NoticeType]
    )
    channel = models.ForeignKey(
        "channel.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=forget_recipient,
        related_name="+",
    )
    recipient_email = models.EmailField(blank=True, default="")
    order = models.ForeignKey(
        "order.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    transport = models.CharField(
        max_length=16, choices=[(t.value, t.name) for t in Transport]
    )
    is_essential = models.BooleanField(default=False)
    # The template variables (subject, message, action_url, ...) and ``data``, the
    # structured facts a webhook receives.
    context = models.JSONField(blank=True, default=dict, encoder=DjangoJSONEncoder)
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.name) for s in NoticeStatus],
        default=NoticeStatus.PENDING.value,
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # The sweep reads only notices still to deliver.
            models.Index(
                fields=["next_attempt_at"],
                name="cs_notice_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            # The frequency cap counts what reached one customer recently.
            models.Index(
                fields=["recipient_email", "sent_at"],
                name="cs_notice_recent_sent",
                condition=models.Q(status="sent"),
            ),
            models.Index(
                fields=["status", "notice_type", "-created_at"],
                name="cs_notice_status_type",
            ),
        ]

    def __str__(self):
        return (
            f"{self.notice_type} to {self.recipient_email or 'nobody'}: {self.status}"
        )


class NoticePreference(models.Model):
    """A customer's choice about non-essential notices, by e-mail address."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    is_opted_out_of_non_essential = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("email",)

    def __str__(self):
        return self.email


class DeliveryPromise(models.Model):
    """The dates an order was promised, snapshotted when it was placed, and how the
    promise is kept.

    Later edits to the shipping method or the settings do not move it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.OneToOneField(
        "order.Order", on_delete=models.CASCADE, related_name="cs_delivery_promise"
    )
    channel = models.ForeignKey(
        "channel.Channel", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    ordered_at = models.DateTimeField()
    shipping_method_name = models.CharField(max_length=255, blank=True, default="")
    minimum_delivery_days = models.PositiveIntegerField()
    maximum_delivery_days = models.PositiveIntegerField()
    handling_days = models.PositiveIntegerField()
    ship_by = models.DateField()
    # The end of the ship-by day in the store's time zone: late from this moment.
    ship_by_deadline = models.DateTimeField()
    deliver_from = models.DateField()
    deliver_by = models.DateField()
    status = models.CharField(
        max_length=32,
        choices=[(s.value, s.name) for s in PromiseStatus],
        default=PromiseStatus.ON_TRACK.value,
    )
    notified_stage = models.CharField(
        max_length=16,
        blank=True,
        default="",
        choices=[(s.value, s.name or "none") for s in DelayStage],
    )
    estimated_ship_by = models.DateField(null=True, blank=True)
    estimated_deliver_by = models.DateField(null=True, blank=True)
    # When the sweep must look at this promise next; null once nothing is due.
    review_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    is_delivered_on_time = models.BooleanField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-ordered_at", "-id")
        indexes = [
            # The sweep reads only promises that are due.
            models.Index(
                fields=["review_at"],
                name="cs_promise_review",
                condition=models.Q(review_at__isnull=False),
            ),
            models.Index(
                fields=["channel", "status"], name="cs_promise_channel_status"
            ),
        ]

    def __str__(self):
        return f"Order {self.order_id}: ship by {self.ship_by} ({self.status})"


class DeliveryPromiseLine(models.Model):
    """One order line under a promise: shipped when its whole quantity is fulfilled."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    promise = models.ForeignKey(
        DeliveryPromise, on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        "order.OrderLine",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    product_name = models.CharField(max_length=386)
    variant_name = models.CharField(max_length=255, blank=True, default="")
    quantity = models.PositiveIntegerField()
    shipped_at = models.DateTimeField(null=True, blank=True)
    is_shipped_on_time = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ("promise", "product_name", "id")

    def __str__(self):
        return f"{self.quantity} x {self.product_name}"


class ApologyVoucher(models.Model):
    """A voucher the plugin issued to say sorry for a late order; one per promise."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    promise = models.OneToOneField(
        DeliveryPromise, on_delete=models.CASCADE, related_name="apology_voucher"
    )
    channel = models.ForeignKey(
        "channel.Channel", on_delete=models.CASCADE, related_name="+"
    )
    voucher = models.ForeignKey(
        "discount.Voucher",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    code = models.CharField(max_length=255, unique=True)
    recipient_email = models.EmailField()
    # The store's local date it was issued on: the daily limit counts these.
    issued_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["channel", "issued_on"], name="cs_apology_daily"),
        ]

    def __str__(self):
        return self.code


class StockShortage(models.Model):
    """One shortage of one order line: the line cannot be fulfilled as placed.

    A line has at most one open shortage; when it is over (stock came back, or the
    line no longer waits) a later shortage of the same line is a new row with the
    next ``episode``. The notices it causes are keyed by (line, episode, stage).
    The sweep records a shortage; a task then composes its notice (alternatives,
    restock estimate, link) and sets ``notified_at``. The customer's choice arrives
    through a signed link whose ``link_nonce`` it carries; ``chosen_at`` makes the
    link single-use.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    order = models.ForeignKey("order.Order", on_delete=models.CASCADE, related_name="+")
    order_line = models.ForeignKey(
        "order.OrderLine", on_delete=models.CASCADE, related_name="+"
    )
    episode = models.PositiveIntegerField(default=1)
    variant = models.ForeignKey(
        "product.ProductVariant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.name) for s in ShortageStatus],
        default=ShortageStatus.OPEN.value,
    )
    quantity_short = models.PositiveIntegerField()
    # {warehouse id: units short there}; units never allocated are under "".
    short_by_warehouse = models.JSONField(
        blank=True, default=dict, encoder=DjangoJSONEncoder
    )
    restock_estimate = models.DateField(null=True, blank=True)
    # Global ids of the product variants offered, best first.
    offered_alternatives = models.JSONField(
        blank=True, default=list, encoder=DjangoJSONEncoder
    )
    link_nonce = models.CharField(max_length=64)
    link_expires_at = models.DateTimeField()
    # When its notice was composed (alternatives, estimate, link); null until then.
    notified_at = models.DateTimeField(null=True, blank=True)
    choice = models.CharField(
        max_length=16,
        blank=True,
        default="",
        choices=[(c.value, c.name) for c in Choice],
    )
    chosen_variant = models.ForeignKey(
        "product.ProductVariant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    chosen_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["order_line", "episode"], name="cs_shortage_line_episode"
            ),
            # Two detections racing record one shortage.
            models.UniqueConstraint(
                fields=["order_line"],
                condition=models.Q(status="open"),
                name="cs_shortage_one_open_per_line",
            ),
        ]
        indexes = [
            # The sweep looks at open shortages again: read only those.
            models.Index(
                fields=["created_at"],
                name="cs_shortage_open",
                condition=models.Q(status="open"),
            ),
            models.Index(fields=["order", "-created_at"], name="cs_shortage_order"),
        ]

    def __str__(self):
        return (
            f"{self.quantity_short} short on line {self.order_line_id}: {self.status}"
        )


class PromotedCode(models.Model):
    """A promo code the store shows shoppers somewhere, in one channel, until a date.

    The periodic health check alerts staff about these while they are promoted; failed
    codes of this kind may be honored within the grace window, and these are the codes
    suggested as alternatives.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    code = models.CharField(max_length=255)
    channel = models.ForeignKey(
        "channel.Channel", on_delete=models.CASCADE, related_name="+"
    )
    # Where it is shown: values of domain.coupons.Placement.
    placements = ArrayField(
        models.CharField(max_length=16, choices=[(p.value, p.name) for p in Placement]),
        default=list,
    )
    # Null: promoted until staff remove it.
    promoted_until = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True, default="")
    # The last health the check saw and when it alerted about it (one alert each).
    health = models.CharField(max_length=32, blank=True, default="")
    health_checked_at = models.DateTimeField(null=True, blank=True)
    alerted_health = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ("code", "channel_id")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "channel"], name="cs_promoted_code_channel"
            )
        ]

    def __str__(self):
        return self.code


class CouponFailure(models.Model):
    """One failed attempt at a code: the rate limits and the failure counts read these."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    code = models.CharField(max_length=255)
    reason = models.CharField(
        max_length=32, choices=[(r.value, r.name) for r in Reason]
    )
    channel = models.ForeignKey(
        "channel.Channel", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    checkout_token = models.UUIDField(null=True, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(
                fields=["checkout_token", "created_at"], name="cs_coupon_fail_checkout"
            ),
            models.Index(fields=["client_ip", "created_at"], name="cs_coupon_fail_ip"),
            models.Index(fields=["created_at"], name="cs_coupon_fail_created"),
        ]


class CouponHonor(models.Model):
    """A promoted code honored after it stopped working: once per shopper and code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    promoted_code = models.ForeignKey(
        PromotedCode, on_delete=models.CASCADE, related_name="honors"
    )
    channel = models.ForeignKey(
        "channel.Channel", on_delete=models.CASCADE, related_name="+"
    )
    customer_email = models.EmailField()
    voucher = models.ForeignKey(
        "discount.Voucher",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    replacement_code = models.CharField(max_length=255, unique=True)
    valid_until = models.DateTimeField()
    # The store's local date: the daily cap counts these.
    issued_on = models.DateField()

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["promoted_code", "customer_email"], name="cs_honor_once"
            )
        ]
        indexes = [
            models.Index(fields=["channel", "issued_on"], name="cs_honor_daily"),
        ]


class CheckoutCouponWatch(models.Model):
    """The code a checkout carries, so a code Saleor drops silently is noticed.

    ``code`` is the voucher code last seen on the checkout; when Saleor removes a code
    that no longer applies, ``removed_*`` say which and why until another code is set.
    """

    checkout_token = models.UUIDField(primary_key=True)
    code = models.CharField(max_length=255, blank=True, default="")
    removed_code = models.CharField(max_length=255, blank=True, default="")
    removed_reason = models.CharField(max_length=32, blank=True, default="")
    removed_message = models.TextField(blank=True, default="")
    removed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("checkout_token",)


class StaffAlert(models.Model):
    """Something staff should act on, raised by the plugin: the staff inbox.

    ``cause_key`` names the cause; while an alert of that cause is open, the cause
    seen again adds an occurrence to it instead of a new alert (a partial unique
    index). Once staff mark it done, the next occurrence opens a new alert.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    kind = models.CharField(
        max_length=32, choices=[(k.value, k.name) for k in AlertKind]
    )
    cause_key = models.CharField(max_length=255)
    channel = models.ForeignKey(
        "channel.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.ForeignKey(
        "order.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    message = models.TextField(blank=True, default="")
    details = models.JSONField(blank=True, default=dict, encoder=DjangoJSONEncoder)
    occurrences = models.PositiveIntegerField(default=1)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_by_app = models.ForeignKey(
        "app.App",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["cause_key"],
                condition=models.Q(resolved_at__isnull=True),
                name="cs_staff_alert_open_cause",
            )
        ]
        indexes = [
            models.Index(
                fields=["kind", "channel", "-created_at"], name="cs_alert_kind_channel"
            ),
            models.Index(
                fields=["channel", "-created_at"],
                name="cs_alert_open",
                condition=models.Q(resolved_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.kind}: {self.title}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


# What anonymization leaves of a survey: that it was sent and answered, and the
# answers chosen from a list (they feed the metrics); who it was and their own words go.
ANONYMIZED_SURVEY_VALUES = {"user": None, "email": "", "comment": ""}


def anonymize_respondent(collector, field, sub_objs, using):
    """``on_delete`` of a survey's customer link: keep the survey, forget the
    customer, with the surveys of their guest orders under the same e-mail (as the
    service history does)."""
    surveys = list(sub_objs)
    emails = {survey.email for survey in surveys if survey.email}
    if emails:
        surveys += list(
            field.model._base_manager.using(using).filter(
                user__isnull=True, email__in=emails
            )
        )
    for name, value in ANONYMIZED_SURVEY_VALUES.items():
        collector.add_field_update(field.model._meta.get_field(name), value, surveys)
    # The staff's copies (a call-back alert, its e-mail) forget them too.
    from .surveys.privacy import forget_customer_in_call_backs  # noqa: PLC0415

    forget_customer_in_call_backs(collector, surveys, using)


class Survey(models.Model):
    """One follow-up survey of one customer at one moment, and its answers.

    ``survey_key`` names the occasion (an order completed, a checkout abandoned, one
    problem handled): the same occasion seen twice is one survey. Scheduled surveys
    wait for ``due_at``; the sweep then sends or skips them. The link in the notice
    carries a signed token with ``link_nonce``; answers are taken until
    ``closes_at`` and may be changed until then.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    survey_key = models.CharField(max_length=128, unique=True)
    moment = models.CharField(
        max_length=16, choices=[(m.value, m.name) for m in Moment]
    )
    # After a problem: which problem, and the id of what recorded it (a promise, a
    # shortage, an honored code, a history entry).
    problem_kind = models.CharField(
        max_length=16,
        blank=True,
        default="",
        choices=[(p.value, p.name) for p in ProblemKind],
    )
    problem_ref = models.CharField(max_length=64, blank=True, default="")
    channel = models.ForeignKey(
        "channel.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.ForeignKey(
        "order.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Abandoned checkouts are deleted by Saleor later; the token outlives them.
    checkout_token = models.UUIDField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=anonymize_respondent,
        related_name="+",
    )
    email = models.EmailField(blank=True, default="")
    language = models.CharField(max_length=35, blank=True, default="")
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.name) for s in SurveyStatus],
        default=SurveyStatus.SCHEDULED.value,
    )
    skip_reason = models.CharField(
        max_length=32,
        blank=True,
        default="",
        choices=[(r.value, r.name) for r in SkipReason],
    )
    # When a scheduled survey is to be decided; null once it is.
    due_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    link_nonce = models.CharField(max_length=64, blank=True, default="")
    # The answers; null or empty: not answered (yet).
    satisfied = models.BooleanField(null=True, blank=True)
    handled_as_wanted = models.BooleanField(null=True, blank=True)
    what_went_wrong = ArrayField(
        models.CharField(
            max_length=32, choices=[(w.value, w.name) for w in WrongThing]
        ),
        blank=True,
        default=list,
    )
    why_not_completed = models.CharField(
        max_length=32,
        blank=True,
        default="",
        choices=[(r.value, r.name) for r in AbandonReason],
    )
    comment = models.TextField(blank=True, default="")
    first_answered_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # When staff were alerted to call the customer back (once per survey).
    call_back_alerted_at = models.DateTimeField(null=True, blank=True)
    # When the retention period erased the comment (the answers stay).
    comment_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # The sweep reads only surveys that are due.
            models.Index(
                fields=["due_at"],
                name="cs_survey_due",
                condition=models.Q(status="scheduled"),
            ),
            # Fatigue: when one customer was last asked.
            models.Index(
                fields=["email", "-sent_at"],
                name="cs_survey_email_sent",
                condition=models.Q(status="sent"),
            ),
            models.Index(fields=["channel", "sent_at"], name="cs_survey_channel_sent"),
            models.Index(fields=["user", "-sent_at"], name="cs_survey_user_sent"),
            models.Index(fields=["order"], name="cs_survey_order"),
        ]

    def __str__(self):
        return f"{self.moment} survey to {self.email or 'nobody'}: {self.status}"


class SweepMark(models.Model):
    """How far a sweep over Saleor's rows has read, so the next one starts there
    (the abandoned-checkout sweep reads checkouts by ``last_change``)."""

    name = models.CharField(max_length=64, primary_key=True)
    swept_until = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self):
        return f"{self.name}: {self.swept_until:%Y-%m-%d %H:%M}"


def forget_conversation_customer(collector, field, sub_objs, using):
    """``on_delete`` of a conversation's customer: the conversation keeps its
    contact channel, status and times (the metrics count them); who it was with and
    what was said go, as with the service history (``anonymize_customer``)."""
    conversations = list(sub_objs)
    for name, value in {"user": None, "customer_email": "", "sender": ""}.items():
        collector.add_field_update(
            field.model._meta.get_field(name), value, conversations
        )
    messages = list(
        ConversationMessage._base_manager.using(using).filter(
            conversation__in=conversations
        )
    )
    collector.add_field_update(
        ConversationMessage._meta.get_field("text"), "", messages
    )


class Conversation(models.Model):
    """A customer's exchange with the store on one contact channel of one Saleor
    channel: their messages and the store's replies.

    At most one conversation per sender, contact channel and Saleor channel is
    open (a partial unique index); a new message of a sender whose conversation is
    resolved reopens it. ``user`` and ``customer_email`` are set only when the
    sender is an identity the store holds (``conversations.identity``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    channel = models.ForeignKey(
        "channel.Channel", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_channel = models.CharField(
        max_length=16, choices=[(c.value, c.name) for c in ContactChannel]
    )
    # The sender's address on the contact channel, normalized (an e-mail in lower
    # case, a phone number in E.164, a handle as given).
    # Empty once the customer was deleted (``forget_conversation_customer``).
    sender = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=forget_conversation_customer,
        related_name="+",
    )
    customer_email = models.EmailField(blank=True, default="")
    order = models.ForeignKey(
        "order.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=32, choices=[(s.value, s.name) for s in ConversationStatus]
    )
    # When the customer's first message was sent (the speed of answer counts from
    # it); conversations opened before it was kept count from ``created_at``.
    opened_at = models.DateTimeField(null=True, blank=True)
    # The first of the customer's messages the store has not answered yet.
    waiting_since = models.DateTimeField(null=True, blank=True)
    # When staff were alerted that this wait passed its target (once per wait).
    waiting_alerted_at = models.DateTimeField(null=True, blank=True)
    first_answered_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    store_replies = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    # The last automatic "we answer by ..." out of answering hours (once a day).
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-updated_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "contact_channel", "sender"],
                condition=~models.Q(status="resolved") & ~models.Q(sender=""),
                name="cs_conversation_one_open",
            )
        ]
        indexes = [
            models.Index(
                fields=["waiting_since"],
                condition=models.Q(status="waiting_on_store"),
                name="cs_conversation_waiting",
            ),
            # The waiting sweep: the waits not alerted yet, oldest first.
            models.Index(
                fields=["channel", "contact_channel", "waiting_since"],
                condition=models.Q(
                    status="waiting_on_store", waiting_alerted_at__isnull=True
                ),
                name="cs_conversation_unalerted",
            ),
            models.Index(
                fields=["channel", "contact_channel", "sender", "-updated_at"],
                name="cs_conversation_sender",
            ),
            models.Index(fields=["user", "-updated_at"], name="cs_conversation_user"),
            # The speed of answer: a channel's conversations opened in a period.
            models.Index(
                F("channel"),
                Coalesce("opened_at", "created_at"),
                name="cs_conversation_opened",
            ),
        ]

    def __str__(self):
        return f"{self.contact_channel} conversation with {self.sender}: {self.status}"


class ConversationMessage(models.Model):
    """One message of a conversation: the customer's, as a bridge posted it, or the
    store's reply. A bridge's message id is taken once per channel."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.ForeignKey(
        "channel.Channel", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    direction = models.CharField(
        max_length=16, choices=[(d.value, d.name) for d in Direction]
    )
    text = models.TextField()
    bridge_message_id = models.CharField(max_length=255, blank=True, default="")
    # When the customer sent it, as the bridge says; for a reply, when it was made.
    sent_at = models.DateTimeField()
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acting_app = models.ForeignKey(
        "app.App", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entry = models.ForeignKey(
        ServiceHistoryEntry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A reply's notice, which delivers it (a customer's message has none).
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The key staff's client gave a reply: the same key twice is one reply.
    reply_key = models.CharField(max_length=100, blank=True, default="")
    # A problem report: what it is about, and its order.
    problem = models.CharField(
        max_length=32,
        blank=True,
        default="",
        choices=[(p.value, p.name) for p in ReportedProblem],
    )
    order = models.ForeignKey(
        "order.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ("conversation", "sent_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "bridge_message_id"],
                condition=~models.Q(bridge_message_id=""),
                name="cs_conversation_message_once",
            ),
            models.UniqueConstraint(
                fields=["conversation", "reply_key"],
                condition=~models.Q(reply_key=""),
                name="cs_conversation_reply_once",
            ),
        ]

    def __str__(self):
        return f"{self.direction} message of {self.conversation_id}"


class InboundPost(models.Model):
    """A bridge's post as the inbound address took it, signature and fields checked,
    before a worker files it into its conversation (``conversations.posts``).

    The post is the receipt of its bridge message id: one per channel (a unique
    constraint, so a repeated id is a duplicate whether or not it is filed yet).
    Filing sets ``filed_at`` and blanks the sender and the text, which live on in
    the conversation only; the row stays, keeping the id taken.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    channel = models.ForeignKey(
        "channel.Channel", on_delete=models.CASCADE, related_name="+"
    )
    bridge_message_id = models.CharField(max_length=255)
    contact_channel = models.CharField(
        max_length=16, choices=[(c.value, c.name) for c in ContactChannel]
    )
    # As the bridge posted them; blanked once filed.
    sender = models.CharField(max_length=255, blank=True, default="")
    text = models.TextField(blank=True, default="")
    order_reference = models.CharField(max_length=64, blank=True, default="")
    sent_at = models.DateTimeField()
    filed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "bridge_message_id"], name="cs_inbound_post_once"
            )
        ]
        indexes = [
            # The sweep: the posts no worker filed, oldest first.
            models.Index(
                fields=["created_at"],
                condition=models.Q(filed_at__isnull=True),
                name="cs_inbound_post_unfiled",
            )
        ]

    def __str__(self):
        return f"inbound post {self.bridge_message_id} of channel {self.channel_id}"
