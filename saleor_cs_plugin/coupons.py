"""Coupon help: explain a code against a checkout, honor a promoted code that just
ended, record rejections, and notice codes Saleor drops silently.

Each use case fetches the checkout and the codes once (``fetch.py``), decides with
``domain.coupons`` and writes what it decided. Applying a code always goes through
Saleor's own ``add_promo_code_to_checkout`` (see the ``serviceCouponApply`` mutation).
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from saleor.checkout.fetch import fetch_checkout_info, fetch_checkout_lines
from saleor.core.utils.promo_code import promo_code_is_gift_card
from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode

from . import fetch, language
from .config import ChannelSettings, CouponSettings
from .domain import coupons as rules
from .domain.coupons import Diagnosis, Reason
from .domain.history import Actor, ContactChannel, EntryType
from .domain.surveys import ProblemKind
from .domain.words import Words
from .models import (
    CheckoutCouponWatch,
    CouponFailure,
    CouponHonor,
    PromotedCode,
    ServiceHistoryEntry,
)
from .promoted_codes import promoted
from .surveys import schedule

logger = logging.getLogger(__name__)

RATE_WINDOW = timedelta(hours=1)
HONORED_CODE_KEY = "saleor_cs_honored_code"
# The longest code Saleor holds (a voucher's; gift card codes are shorter): a longer
# one can be no store's code, and is refused before it is checked or recorded.
CODE_MAX_LENGTH = VoucherCode._meta.get_field("code").max_length


@dataclass(frozen=True)
class RateLimit:
    """Too many failed codes: which limit, and when trying again is allowed."""

    scope: str  # "checkout" or "client_ip"
    limit: int
    retry_at: datetime


@dataclass(frozen=True)
class Honor:
    original_code: str
    replacement_code: str
    valid_until: datetime
    message: str


@dataclass
class Answer:
    """What the storefront is told about one code and one checkout."""

    diagnosis: Diagnosis
    message: str = ""
    currency: str = ""
    suggestions: list[Diagnosis] = field(default_factory=list)
    rate_limit: RateLimit | None = None
    honor: Honor | None = None
    # The code is a gift card: Saleor's own flow, not a coupon the plugin explains.
    is_gift_card: bool = False

    @property
    def is_valid(self) -> bool:
        return (
            self.rate_limit is None
            and not self.is_gift_card
            and self.diagnosis.is_valid
        )


@dataclass(frozen=True)
class CheckoutContext:
    checkout: object
    checkout_info: object
    lines: list
    facts: rules.CheckoutFacts
    settings: ChannelSettings
    is_plugin_active: bool
    # The shopper's language: what every message about the checkout is written in.
    words: Words


def shoppers_words(
    checkout, settings: ChannelSettings, requested: str | None = None
) -> Words:
    """The language of messages about ``checkout``: ``requested`` (a GraphQL
    ``languageCode``) if the plugin speaks it, else the checkout's, its shopper's,
    then the channel's."""
    chosen = language.for_checkout(
        checkout, default=settings.language, also=settings.written_languages
    )
    if requested:
        chosen = language.choose(
            requested, default=chosen, also=settings.written_languages
        )
    return language.words_for(chosen)


def load_checkout(
    checkout, manager, *, requested_language: str | None = None
) -> CheckoutContext:
    """Saleor's view of the checkout (lines, info), the channel's settings and the
    shopper's language."""
    lines, _ = fetch_checkout_lines(checkout)
    checkout_info = fetch_checkout_info(checkout, lines, manager)
    plugin = fetch.channel_plugin(checkout.channel_id)
    return CheckoutContext(
        checkout=checkout,
        checkout_info=checkout_info,
        lines=lines,
        facts=fetch.checkout_facts(checkout_info, lines),
        settings=plugin.settings,
        is_plugin_active=plugin.is_active,
        words=shoppers_words(checkout, plugin.settings, requested_language),
    )


def code_problem(code: str, *, words: Words) -> str:
    """Why ``code`` (as entered, stripped) is refused before any check, else ""."""
    return rules.code_problem(code, CODE_MAX_LENGTH, words=words)


def rate_limit(
    checkout_token, client_ip, settings: CouponSettings, now
) -> RateLimit | None:
    """Has this checkout, or this client address, failed too often in the last hour."""
    since = now - RATE_WINDOW
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT"
            " count(*) FILTER (WHERE checkout_token = %s),"
            " min(created_at) FILTER (WHERE checkout_token = %s),"
            " count(*) FILTER (WHERE client_ip = %s),"
            " min(created_at) FILTER (WHERE client_ip = %s)"
            f" FROM {CouponFailure._meta.db_table}"
            " WHERE created_at > %s AND (checkout_token = %s OR client_ip = %s)",
            [
                checkout_token,
                checkout_token,
                client_ip,
                client_ip,
                since,
                checkout_token,
                client_ip,
            ],
        )
        by_checkout, first_checkout, by_ip, first_ip = cursor.fetchone()
    if by_checkout >= settings.failures_per_checkout:
        return RateLimit(
            "checkout", settings.failures_per_checkout, first_checkout + RATE_WINDOW
        )
    if client_ip and by_ip >= settings.failures_per_ip:
        return RateLimit("client_ip", settings.failures_per_ip, first_ip + RATE_WINDOW)
    return None


def forget_client_addresses(now) -> int:
    """Erase the client address of the failed attempts the per-address limit no
    longer counts; the code, reason, channel and checkout stay for the counts.

    An address is personal data, and past ``RATE_WINDOW`` it serves nothing.
    Returns how many attempts were made anonymous.
    """
    return CouponFailure.objects.filter(
        created_at__lte=now - RATE_WINDOW, client_ip__isnull=False
    ).update(client_ip=None)


def promoted_codes(channel_id, now) -> dict[str, PromotedCode]:
    """The codes the store promotes in a channel now, by code."""
    rows = PromotedCode.objects.filter(channel_id=channel_id).filter(promoted(now))
    return {row.code: row for row in rows}


def check(
    context: CheckoutContext, code: str, *, client_ip, now, is_staff=False, record=True
) -> Answer:
    """Explain ``code`` against the checkout without applying it.

    A rejection is recorded (failure counts, rate limits, the shopper's history).
    """
    settings = context.settings.coupons
    checkout = context.checkout
    code = code.strip()
    limit = rate_limit(checkout.token, client_ip, settings, now)
    if limit is not None:
        return Answer(
            Diagnosis(code, None),
            message=rules.rate_limit_message(
                limit.retry_at,
                words=context.words,
                time_zone=context.settings.time_zone,
            ),
            currency=checkout.currency,
            rate_limit=limit,
        )
    promoted = promoted_codes(checkout.channel_id, now)
    facts = fetch.voucher_facts(
        [code, *promoted], context.checkout_info.channel, context.facts.customer_email
    )
    voucher = facts.get(code)
    if voucher is None and promo_code_is_gift_card(code):
        # Not a failed coupon: nothing to explain, record or count.
        return Answer(
            Diagnosis(code, None), currency=checkout.currency, is_gift_card=True
        )
    diagnosis = rules.diagnose(voucher, context.facts, code, now)
    if not is_staff:
        diagnosis = rules.shown_to_shopper(diagnosis, is_promoted=code in promoted)
    answer = Answer(diagnosis, currency=checkout.currency)
    if diagnosis.is_valid:
        return answer
    answer.message = render_message(diagnosis, context.settings, context.words)
    answer.suggestions = rules.rank_alternatives(
        [(facts[c], True) for c in promoted if c in facts and c != diagnosis.code],
        context.facts,
        now,
        settings.max_alternatives,
    )
    if record:
        record_rejection(
            context, diagnosis, answer.message, client_ip=client_ip, now=now
        )
    return answer


def grace_candidate(context: CheckoutContext, code: str, now):
    """The promoted code's row and facts when ``code`` is to be honored, else None."""
    settings = context.settings.coupons
    if not settings.is_grace_enabled or not context.facts.customer_email:
        return None
    row = promoted_codes(context.checkout.channel_id, now).get(code.strip())
    if row is None:
        return None
    voucher = fetch.voucher_facts(
        [row.code], context.checkout_info.channel, context.facts.customer_email
    ).get(row.code)
    if voucher is None:
        return None
    diagnosis = rules.diagnose(voucher, context.facts, row.code, now)
    if not rules.is_within_grace(
        voucher, context.facts, diagnosis, now, timedelta(hours=settings.grace_hours)
    ):
        return None
    return row, diagnosis


def honor(
    context: CheckoutContext, row: PromotedCode, diagnosis: Diagnosis, now
) -> Honor | None:
    """Issue a single-use replacement of ``row``'s code, bound to the shopper's e-mail.

    Once per shopper and code, within the channel's daily cap; None when neither
    allows it. The caller applies the replacement through Saleor.
    """
    settings = context.settings
    email = context.facts.customer_email.lower()
    local_today = now.astimezone(ZoneInfo(settings.time_zone)).date()
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Serialises the daily count per channel between concurrent requests.
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"saleor-cs-honor:{row.channel_id}"],
            )
        if CouponHonor.objects.filter(promoted_code=row, customer_email=email).exists():
            return None
        issued = CouponHonor.objects.filter(
            channel_id=row.channel_id, issued_on=local_today
        ).count()
        if issued >= settings.coupons.grace_per_day:
            return None
        original = VoucherCode.objects.select_related("voucher").get(code=row.code)
        valid_until = now + timedelta(hours=settings.coupons.grace_code_valid_hours)
        voucher = _replacement_voucher(original.voucher, row, email, now, valid_until)
        replacement = f"{row.code[:40]}-{secrets.token_hex(4).upper()}"
        VoucherCode.objects.create(voucher=voucher, code=replacement)
        honored = CouponHonor.objects.create(
            promoted_code=row,
            channel_id=row.channel_id,
            customer_email=email,
            voucher=voucher,
            replacement_code=replacement,
            valid_until=valid_until,
            issued_on=local_today,
        )
        message = rules.honored_message(
            row.code,
            replacement,
            valid_until,
            words=context.words,
            time_zone=settings.time_zone,
        )
        _history(
            context,
            EntryType.COUPON_HONORED,
            message,
            {
                "code": row.code,
                "reason": diagnosis.reason.value,
                "replacement_code": replacement,
                "valid_until": valid_until,
            },
            now,
        )
        # Asked later whether the ended code was handled the way they wanted.
        schedule.schedule_after_problem(
            kind=ProblemKind.COUPON,
            ref=str(honored.pk),
            user_id=context.checkout.user_id,
            email=email,
            channel_id=row.channel_id,
            handled_at=now,
        )
    return Honor(row.code, replacement, valid_until, message)


def _replacement_voucher(original: Voucher, row, email, now, valid_until) -> Voucher:
    voucher = Voucher.objects.create(
        type=original.type,
        name=original.name,
        discount_value_type=original.discount_value_type,
        apply_once_per_order=original.apply_once_per_order,
        min_checkout_items_quantity=original.min_checkout_items_quantity,
        countries=original.countries,
        usage_limit=1,
        single_use=True,
        start_date=now,
        end_date=valid_until,
        metadata={fetch.BOUND_EMAIL_KEY: email, HONORED_CODE_KEY: row.code},
    )
    listing = VoucherChannelListing.objects.get(
        voucher=original, channel_id=row.channel_id
    )
    VoucherChannelListing.objects.create(
        voucher=voucher,
        channel_id=row.channel_id,
        discount_value=listing.discount_value,
        currency=listing.currency,
        min_spent_amount=listing.min_spent_amount,
    )
    for relation in ("products", "variants", "categories", "collections"):
        getattr(voucher, relation).set(getattr(original, relation).all())
    return voucher


def record_rejection(
    context: CheckoutContext,
    diagnosis: Diagnosis,
    message: str,
    *,
    client_ip,
    now,
    details=None,
) -> None:
    """A failed code: one row for the counts and limits, one history entry."""
    checkout = context.checkout
    # Never more of a code than Saleor could hold (the entry points refuse longer
    # ones before this).
    code = diagnosis.code[:CODE_MAX_LENGTH]
    CouponFailure.objects.create(
        created_at=now,
        code=code,
        reason=diagnosis.reason.value,
        channel_id=checkout.channel_id,
        checkout_token=checkout.token,
        client_ip=client_ip or None,
    )
    _history(
        context,
        EntryType.COUPON_REJECTED,
        message,
        {
            "code": code,
            "reason": diagnosis.reason.value,
            **diagnosis.details,
            **(details or {}),
        },
        now,
    )


def _history(context: CheckoutContext, entry_type, message, details, now) -> None:
    checkout = context.checkout
    ServiceHistoryEntry.objects.create(
        created_at=now,
        type=entry_type.value,
        user_id=checkout.user_id,
        customer_email=(context.facts.customer_email or checkout.email or "")[:254],
        checkout_token=checkout.token,
        contact_channel=ContactChannel.WEB.value,
        actor=Actor.PLUGIN.value,
        is_customer_visible=True,
        message=message,
        details=details,
    )


def render_message(
    diagnosis: Diagnosis, settings: ChannelSettings, words: Words
) -> str:
    return rules.message(
        diagnosis,
        settings.coupons.messages,
        words=words,
        time_zone=settings.time_zone,
    )


# Codes Saleor drops silently ----------------------------------------------------------


def watch_checkout(checkout, manager_factory, now) -> None:
    """Follow the checkout's voucher code; explain one that Saleor removed.

    Called on every checkout update. While a code is set it is remembered (one
    statement). When it is gone, the code is checked against the checkout as it is
    now: if it no longer applies, Saleor dropped it, and the checkout carries the
    reason until another code is set; if it still applies, the shopper removed it.
    """
    if checkout.voucher_code:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {CheckoutCouponWatch._meta.db_table}"
                " (checkout_token, code, removed_code, removed_reason,"
                " removed_message, removed_at, updated_at)"
                " VALUES (%s, %s, '', '', '', NULL, %s)"
                " ON CONFLICT (checkout_token) DO UPDATE SET code = EXCLUDED.code,"
                " removed_code = '', removed_reason = '', removed_message = '',"
                " removed_at = NULL, updated_at = EXCLUDED.updated_at"
                f" WHERE {CheckoutCouponWatch._meta.db_table}.code"
                " IS DISTINCT FROM EXCLUDED.code",
                [checkout.token, checkout.voucher_code, now],
            )
        return
    watch = (
        CheckoutCouponWatch.objects.filter(checkout_token=checkout.token)
        .exclude(code="")
        .first()
    )
    if watch is None:
        return
    context = load_checkout(checkout, manager_factory())
    facts = fetch.voucher_facts(
        [watch.code], context.checkout_info.channel, context.facts.customer_email
    )
    diagnosis = rules.diagnose(facts.get(watch.code), context.facts, watch.code, now)
    if diagnosis.is_valid:
        CheckoutCouponWatch.objects.filter(pk=watch.pk, code=watch.code).update(
            code="", updated_at=now
        )
        return
    diagnosis = rules.shown_to_shopper(
        diagnosis, is_promoted=watch.code in promoted_codes(checkout.channel_id, now)
    )
    message = rules.removed_message(
        render_message(diagnosis, context.settings, context.words),
        words=context.words,
    )
    updated = CheckoutCouponWatch.objects.filter(pk=watch.pk, code=watch.code).update(
        code="",
        removed_code=watch.code,
        removed_reason=diagnosis.reason.value,
        removed_message=message,
        removed_at=now,
        updated_at=now,
    )
    if updated:
        _history(
            context,
            EntryType.COUPON_REJECTED,
            message,
            {
                "code": watch.code,
                "reason": diagnosis.reason.value,
                "removed": True,
                **diagnosis.details,
            },
            now,
        )


def explain_current_code(checkout, manager, now) -> tuple[Diagnosis, str] | None:
    """Why the checkout's own voucher code does not apply (for checkoutComplete)."""
    if not checkout.voucher_code:
        return None
    context = load_checkout(checkout, manager)
    if not context.is_plugin_active:
        return None
    facts = fetch.voucher_facts(
        [checkout.voucher_code],
        context.checkout_info.channel,
        context.facts.customer_email,
    )
    diagnosis = rules.diagnose(
        facts.get(checkout.voucher_code), context.facts, checkout.voucher_code, now
    )
    if diagnosis.is_valid:
        return None
    diagnosis = rules.shown_to_shopper(
        diagnosis,
        is_promoted=checkout.voucher_code in promoted_codes(checkout.channel_id, now),
    )
    return diagnosis, render_message(diagnosis, context.settings, context.words)


def bound_email_problem(checkout_info) -> str:
    """A code the plugin issued to one shopper, used by another: the message, else ""."""
    voucher = checkout_info.voucher
    if voucher is None:
        return ""
    bound = str((voucher.metadata or {}).get(fetch.BOUND_EMAIL_KEY, "")).lower()
    if not bound:
        return ""
    email = (fetch.get_customer_email_for_voucher_usage(checkout_info) or "").lower()
    if email == bound:
        return ""
    code = checkout_info.checkout.voucher_code or ""
    settings = fetch.channel_settings(checkout_info.channel.pk)
    return render_message(
        Diagnosis(code, Reason.ISSUED_TO_ANOTHER_SHOPPER),
        settings,
        shoppers_words(checkout_info.checkout, settings),
    )
