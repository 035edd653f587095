"""The survey sweep: decides every scheduled survey that is due, and asks about
checkouts left untouched, once each.

Both parts read only what is due (scheduled surveys through the partial index
``cs_survey_due``, checkouts through Saleor's index on ``last_change``), in
batches. Each batch is decided under one PostgreSQL advisory lock, so two sweeps
at once never both ask one customer: the second sees the surveys the first sent
(fatigue) and the checkouts it asked about (``survey_key``). A survey decided to be
sent records its SURVEY notice in the same transaction; the caller schedules the
delivery of the returned notice ids after commit. A dry run decides the same and
writes nothing.
"""

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils.crypto import salted_hmac
from saleor.account.models import User
from saleor.channel.models import Channel
from saleor.checkout.models import Checkout, CheckoutLine
from saleor.order import OrderStatus
from saleor.order.models import Order
from saleor.plugins.models import PluginConfiguration

from .. import db, fetch, language, outbox
from ..config import PLUGIN_ID, ChannelSettings, SettingsError
from ..domain.surveys import (
    Candidate,
    Moment,
    MomentSettings,
    ProblemKind,
    SkipReason,
    SurveyStatus,
    decide,
    sample_bucket,
)
from ..models import Survey, SweepMark
from . import asking, schedule, tokens

logger = logging.getLogger(__name__)

BATCH = 500
# One sweep at a time decides (a second one waits for each batch).
SWEEP_LOCK_KEY = 0x63735F7375727679  # "cs_survy"
ABANDONED_MARK = "abandoned_checkouts"
# Without a mark (the first sweep), and after a long pause, checkouts untouched for
# at most this long before the channel's hours are looked at: older ones are not
# asked about.
ABANDONED_LOOKBACK = timedelta(days=1)
ABANDONED_MAX_LOOKBACK = timedelta(days=7)
# A channel whose saved settings are invalid: its due surveys wait this long.
INVALID_SETTINGS_WAIT = timedelta(hours=1)
CLOSED_ORDER_STATUSES = (OrderStatus.CANCELED, OrderStatus.EXPIRED)
# Problems of an order: a survey about one whose order was deleted is not sent.
ORDER_PROBLEMS = (ProblemKind.DELAY.value, ProblemKind.STOCK_SHORTAGE.value)


def sample_salt() -> bytes:
    """This store's salt of the sampling (from Django's SECRET_KEY)."""
    return salted_hmac("saleor_cs_plugin.survey-sample", "sample").digest()


@dataclass(frozen=True)
class Decision:
    """Whether one customer is asked at one occasion, and why not."""

    survey_key: str
    moment: Moment
    email: str
    channel_slug: str
    order_number: str
    skip_reason: SkipReason | None

    @property
    def is_sent(self) -> bool:
        return self.skip_reason is None

    def line(self) -> str:
        """One line for operators (``cs_surveys``)."""
        who = self.email or "(no e-mail)"
        order = f" order #{self.order_number}" if self.order_number else ""
        outcome = "ask" if self.is_sent else f"skip ({self.skip_reason.value})"
        return f"{outcome}: {self.survey_key} {who}{order} [{self.channel_slug}]"


@dataclass
class SweepReport:
    """What a sweep decided: each decision, and the ids of the notices recorded."""

    decisions: list[Decision] = field(default_factory=list)
    notice_ids: list = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(decision.is_sent for decision in self.decisions)

    @property
    def skipped(self) -> dict[str, int]:
        """{skip reason: count}."""
        return dict(
            Counter(
                decision.skip_reason.value
                for decision in self.decisions
                if not decision.is_sent
            )
        )

    def extend(self, other: "SweepReport") -> None:
        self.decisions += other.decisions
        self.notice_ids += other.notice_ids


def sweep(now: datetime, *, dry_run: bool = False) -> SweepReport:
    """Decide the due surveys, then ask about abandoned checkouts."""
    report = sweep_due(now, dry_run=dry_run)
    report.extend(sweep_abandoned(now, dry_run=dry_run))
    return report


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])


class _Asking:
    """What deciding one batch needs besides the candidates: the channels'
    settings and slugs, when each e-mail was last asked, and the surveys this run
    decided to send (a dry run writes none, and still asks nobody twice)."""

    def __init__(self, channel_ids, emails, now, asked_in_run: dict):
        self.now = now
        self.salt = sample_salt()
        self.plugins = fetch.channel_plugins(
            {channel_id for channel_id in channel_ids if channel_id is not None}
        )
        self.slugs = dict(
            Channel.objects.filter(pk__in=list(self.plugins)).values_list("pk", "slug")
        )
        self.last_asked = dict(
            Survey.objects.filter(
                status=SurveyStatus.SENT, email__in={e for e in emails if e}
            )
            .order_by()
            .values("email")
            .annotate(last=Max("sent_at"))
            .values_list("email", "last")
        )
        self.asked_in_run = asked_in_run
        self._links: dict = {}

    def links(self, channel_id, settings: ChannelSettings) -> asking.SurveyLinks:
        if channel_id not in self._links:
            self._links[channel_id] = asking.SurveyLinks(
                channel_slug=self.slugs.get(channel_id, ""), settings=settings
            )
        return self._links[channel_id]

    def settings(self, channel_id) -> ChannelSettings | SettingsError | None:
        """The channel's settings; None where the plugin is off (or the channel is
        gone), the error where its saved settings are invalid."""
        plugin = self.plugins.get(channel_id)
        if plugin is None or isinstance(plugin, SettingsError):
            return plugin
        return plugin.settings if plugin.is_active else None

    def decide(self, candidate: Candidate, settings: ChannelSettings | None):
        email = candidate.email
        last = max(
            (
                t
                for t in (self.last_asked.get(email), self.asked_in_run.get(email))
                if t
            ),
            default=None,
        )
        surveys = settings.surveys if settings is not None else None
        return decide(
            replace(candidate, last_asked_at=last),
            moment_settings=(
                surveys.moments[candidate.moment] if surveys else MomentSettings()
            ),
            fatigue_days=surveys.fatigue_days if surveys else 0,
            bucket=sample_bucket(self.salt, email) if email else 0,
            now=self.now,
        )

    def send(self, survey: Survey, settings: ChannelSettings, language_code: str):
        """Mark ``survey`` sent now (link, closing time, language)."""
        survey.status = SurveyStatus.SENT
        survey.skip_reason = ""
        survey.due_at = None
        survey.sent_at = self.now
        survey.closes_at = self.now + timedelta(days=settings.surveys.link_valid_days)
        survey.link_nonce = tokens.new_nonce()
        survey.language = language_code
        self.asked_in_run[survey.email] = self.now

    @staticmethod
    def skip(survey: Survey, reason: SkipReason):
        survey.status = SurveyStatus.SKIPPED
        survey.skip_reason = reason.value
        survey.due_at = None


# Scheduled surveys -----------------------------------------------------------------


def sweep_due(now: datetime, *, dry_run: bool = False) -> SweepReport:
    """Send or skip every scheduled survey due by ``now``.

    Cost follows the due surveys: each batch is read through ``cs_survey_due`` and
    decided with a fixed number of queries.
    """
    report = SweepReport()
    asked_in_run: dict = {}
    after = None
    while True:
        with transaction.atomic():
            _lock()
            due = Survey.objects.filter(status=SurveyStatus.SCHEDULED, due_at__lte=now)
            if after is not None:
                due = due.filter(due_at__gte=after[0]).exclude(
                    due_at=after[0], pk__lte=after[1]
                )
            batch = list(
                due.order_by("due_at", "pk").select_for_update(of=("self",))[:BATCH]
            )
            if not batch:
                break
            after = (batch[-1].due_at, batch[-1].pk)
            report.extend(_decide_due(batch, now, asked_in_run, dry_run=dry_run))
            if dry_run:
                transaction.set_rollback(True)
        if len(batch) < BATCH:
            break
    return report


@dataclass(frozen=True)
class _Order:
    number: str
    status: str
    email: str
    customer_name: str
    language_codes: tuple


def _orders(order_ids) -> dict:
    return {
        row["pk"]: _Order(
            number=str(row["number"]),
            status=row["status"],
            email=(row["user_email"] or row["user__email"] or "").lower(),
            customer_name=row["user__first_name"]
            or row["billing_address__first_name"]
            or "",
            language_codes=(row["language_code"], row["user__language_code"]),
        )
        for row in Order.objects.filter(pk__in=list(order_ids)).values(
            "pk",
            "number",
            "status",
            "user_email",
            "user__email",
            "user__first_name",
            "billing_address__first_name",
            "language_code",
            "user__language_code",
        )
    }


def _users(user_ids) -> dict:
    return {
        row["pk"]: row
        for row in User.objects.filter(pk__in=list(user_ids)).values(
            "pk", "first_name", "language_code"
        )
    }


def _decide_due(batch: list[Survey], now, asked_in_run, *, dry_run) -> SweepReport:
    orders = _orders({s.order_id for s in batch if s.order_id is not None})
    users = _users(
        {s.user_id for s in batch if s.order_id is None and s.user_id is not None}
    )
    for survey in batch:
        order = orders.get(survey.order_id)
        if not survey.email and order is not None:
            survey.email = order.email
    asking_ = _Asking(
        {s.channel_id for s in batch}, {s.email for s in batch}, now, asked_in_run
    )
    already_asked = set(
        Survey.objects.filter(
            order_id__in=list(orders), status=SurveyStatus.SENT
        ).values_list("order_id", flat=True)
    )
    report = SweepReport()
    notices, waiting = [], []
    for survey in batch:
        settings = asking_.settings(survey.channel_id)
        if isinstance(settings, SettingsError):
            logger.warning(
                "Survey %s waits: the settings of channel %s are invalid (%s).",
                survey.pk,
                survey.channel_id,
                settings,
            )
            survey.due_at = now + INVALID_SETTINGS_WAIT
            waiting.append(survey)
            continue
        order = orders.get(survey.order_id)
        is_about_order = (
            survey.moment == Moment.COMPLETED or survey.problem_kind in ORDER_PROBLEMS
        )
        reason = asking_.decide(
            Candidate(
                moment=Moment(survey.moment),
                email=survey.email,
                is_order_cancelled=order is not None
                and order.status in CLOSED_ORDER_STATUSES,
                is_order_gone=is_about_order and order is None,
                is_order_already_asked=survey.order_id in already_asked,
            ),
            settings,
        )
        slug = asking_.slugs.get(survey.channel_id, "")
        report.decisions.append(
            Decision(
                survey_key=survey.survey_key,
                moment=Moment(survey.moment),
                email=survey.email,
                channel_slug=slug,
                order_number=order.number if order else "",
                skip_reason=reason,
            )
        )
        if reason is not None:
            asking_.skip(survey, reason)
            continue
        if order is not None:
            codes = order.language_codes
            name = order.customer_name
        else:
            user = users.get(survey.user_id) or {}
            codes = (user.get("language_code"),)
            name = user.get("first_name") or ""
        asking_.send(
            survey,
            settings,
            language.choose(
                *codes, default=settings.language, also=settings.written_languages
            ),
        )
        if survey.order_id is not None:
            already_asked.add(survey.order_id)
        notices.append(
            asking.survey_notice(
                survey,
                asking.Addressee(
                    email=survey.email,
                    customer_name=name,
                    order_number=order.number if order else "",
                ),
                settings=settings,
                links=asking_.links(survey.channel_id, settings),
            )
        )
    if not dry_run:
        db.update_rows(
            Survey,
            batch,
            [
                "status",
                "skip_reason",
                "due_at",
                "sent_at",
                "closes_at",
                "link_nonce",
                "language",
                "email",
                "updated_at",
            ],
        )
        report.notice_ids = outbox.add_notices(notices)
    return report


# Abandoned checkouts ---------------------------------------------------------------


def sweep_abandoned(now: datetime, *, dry_run: bool = False) -> SweepReport:
    """Ask about checkouts with an e-mail and a line, untouched for the channel's
    hours, from which no order was placed and whose e-mail placed no order since.

    Each channel reads the checkouts whose ``last_change`` is in the window the
    previous sweep left off at (``SweepMark``), shifted by its hours; a checkout
    seen again (changed and left again) is asked about at most once.
    """
    mark = SweepMark.objects.filter(name=ABANDONED_MARK).first()
    since = max(
        mark.swept_until if mark else now - ABANDONED_LOOKBACK,
        now - ABANDONED_MAX_LOOKBACK,
    )
    report = SweepReport()
    asked_in_run: dict = {}
    for channel_id, settings in _asking_channels(Moment.ABANDONED).items():
        hours = timedelta(hours=settings.surveys.abandoned_hours)
        report.extend(
            _sweep_channel_checkouts(
                channel_id,
                since - hours,
                now - hours,
                now,
                asked_in_run,
                dry_run=dry_run,
            )
        )
    if not dry_run:
        with transaction.atomic():
            _lock()
            SweepMark.objects.update_or_create(
                name=ABANDONED_MARK, defaults={"swept_until": now}
            )
    return report


def _asking_channels(moment: Moment) -> dict:
    """{channel id: settings} of the channels where the plugin is on and asks at
    ``moment``."""
    channel_ids = PluginConfiguration.objects.filter(
        identifier=PLUGIN_ID, active=True, channel_id__isnull=False
    ).values_list("channel_id", flat=True)
    return {
        channel_id: settings
        for channel_id, settings in fetch.active_channel_settings(
            set(channel_ids), unchecked="Surveys"
        ).items()
        if settings.surveys.moments[moment].is_enabled
    }


def _abandoned_checkouts(channel_id, start, end):
    """The channel's checkouts last changed in [start, end) with an e-mail and a
    line, oldest first, each saying whether its e-mail placed an order since
    (through ``order_user_email_user_id_idx``)."""
    return (
        Checkout.objects.filter(
            channel_id=channel_id, last_change__gte=start, last_change__lt=end
        )
        .exclude(Q(email__isnull=True) | Q(email=""))
        .filter(Exists(CheckoutLine.objects.filter(checkout_id=OuterRef("pk"))))
        .annotate(
            has_ordered_since=Exists(
                Order.objects.filter(
                    user_email=OuterRef("email"),
                    created_at__gte=OuterRef("last_change"),
                )
            )
        )
        .select_related("user", "billing_address")
        .only(
            "pk",
            "email",
            "last_change",
            "language_code",
            "user_id",
            "user__first_name",
            "user__email",
            "user__language_code",
            "billing_address__first_name",
        )
        .order_by("last_change", "pk")
    )


def _sweep_channel_checkouts(
    channel_id, start, end, now, asked_in_run, *, dry_run
) -> SweepReport:
    report = SweepReport()
    after = None
    while True:
        checkouts = _abandoned_checkouts(channel_id, start, end)
        if after is not None:
            # The range starts at the last one read, so each batch reads its own
            # rows of the index only.
            checkouts = checkouts.filter(last_change__gte=after[0]).exclude(
                last_change=after[0], pk__lte=after[1]
            )
        with transaction.atomic():
            _lock()
            batch = list(checkouts[:BATCH])
            if not batch:
                break
            after = (batch[-1].last_change, batch[-1].pk)
            report.extend(
                _decide_checkouts(batch, channel_id, now, asked_in_run, dry_run=dry_run)
            )
            if dry_run:
                transaction.set_rollback(True)
        if len(batch) < BATCH:
            break
    return report


def _ordered_from(checkouts) -> set[str]:
    """The tokens of the checkouts an order was placed from, in one statement
    (through ``checkout_token_btree_idx``)."""
    return set(
        Order.objects.filter(
            checkout_token__in=[str(checkout.pk) for checkout in checkouts]
        ).values_list("checkout_token", flat=True)
    )


def _decide_checkouts(batch, channel_id, now, asked_in_run, *, dry_run) -> SweepReport:
    keys = {schedule.abandoned_key(c.pk): c for c in batch}
    ordered_from = _ordered_from(batch)
    # Under the sweep's lock: no other sweep records these keys meanwhile.
    asked = set(
        Survey.objects.filter(survey_key__in=list(keys)).values_list(
            "survey_key", flat=True
        )
    )
    fresh = [(key, c) for key, c in keys.items() if key not in asked]
    asking_ = _Asking(
        {channel_id}, {c.email.lower() for _, c in fresh}, now, asked_in_run
    )
    settings = asking_.settings(channel_id)
    if not isinstance(settings, ChannelSettings):
        return SweepReport()
    slug = asking_.slugs.get(channel_id, "")
    report = SweepReport()
    surveys, notices = [], []
    for key, checkout in fresh:
        email = checkout.email.strip().lower()
        survey = Survey(
            id=uuid.uuid4(),
            created_at=now,
            survey_key=key,
            moment=Moment.ABANDONED.value,
            channel_id=channel_id,
            checkout_token=checkout.pk,
            user_id=checkout.user_id,
            email=email,
        )
        reason = asking_.decide(
            Candidate(
                moment=Moment.ABANDONED,
                email=email,
                has_ordered_since=checkout.has_ordered_since
                or str(checkout.pk) in ordered_from,
            ),
            settings,
        )
        report.decisions.append(
            Decision(
                survey_key=key,
                moment=Moment.ABANDONED,
                email=email,
                channel_slug=slug,
                order_number="",
                skip_reason=reason,
            )
        )
        surveys.append(survey)
        if reason is not None:
            asking_.skip(survey, reason)
            continue
        asking_.send(
            survey,
            settings,
            language.for_checkout(
                checkout, default=settings.language, also=settings.written_languages
            ),
        )
        notice = asking.survey_notice(
            survey,
            asking.Addressee(email=email, customer_name=_shopper_name(checkout)),
            settings=settings,
            links=asking_.links(channel_id, settings),
        )
        notice.survey_id = survey.pk
        notices.append(notice)
    if not dry_run:
        inserted = set(_insert_surveys(surveys))
        report.notice_ids = outbox.add_notices(
            [notice for notice in notices if notice.survey_id in inserted]
        )
    return report


def _insert_surveys(surveys: list[Survey]) -> list:
    """Insert new surveys in one statement (one array per column, as
    ``db.insert_rows``; their answers are empty). Returns the ids inserted: a key
    recorded meanwhile is left out."""
    if not surveys:
        return []
    quote = connection.ops.quote_name
    fields = [
        field
        for field in Survey._meta.concrete_fields
        if field.name != "what_went_wrong"
    ]
    values = [[field.pre_save(survey, True) for survey in surveys] for field in fields]
    columns = ", ".join(quote(field.column) for field in fields)
    casts = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Survey._meta.db_table)} ({columns}, "
            f"{quote('what_went_wrong')}) "
            f"SELECT *, '{{}}'::varchar(32)[] FROM unnest({casts}) "
            f"ON CONFLICT DO NOTHING RETURNING {quote('id')}",
            values,
        )
        return [row[0] for row in cursor.fetchall()]


def _shopper_name(checkout) -> str:
    """The name the notice greets: only a signed-in customer's, on their own
    account's e-mail (a guest's address may be someone else's)."""
    if not asking.is_own_checkout(checkout.user, checkout.email):
        return ""
    if checkout.user.first_name:
        return checkout.user.first_name
    address = checkout.billing_address
    return address.first_name if address is not None else ""
