"""Coupon rules: why a promo code does or does not apply to a cart, and what to offer.

Pure functions over snapshots that ``coupons.py`` fetches from Saleor once per question.
The rules follow Saleor's own voucher checks (``get_voucher_code_instance``,
``validate_voucher`` and the per-type checks of ``get_voucher_discount_for_checkout``)
so that a code is valid here exactly when Saleor's ``checkoutAddPromoCode`` accepts it;
where Saleor answers every failure with one generic error, these rules name the reason.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from string import Template
from typing import Protocol

from .words import Words, gettext_noop


class Reason(StrEnum):
    """Why a code does not apply. Added to, never renamed."""

    UNKNOWN_CODE = "unknown_code"
    INACTIVE = "inactive"
    SINGLE_USE_USED = "single_use_used"
    NOT_IN_CHANNEL = "not_in_channel"
    NOT_STARTED = "not_started"
    EXPIRED = "expired"
    USAGE_LIMIT_REACHED = "usage_limit_reached"
    MINIMUM_SPEND_NOT_MET = "minimum_spend_not_met"
    MINIMUM_QUANTITY_NOT_MET = "minimum_quantity_not_met"
    ALREADY_USED_BY_CUSTOMER = "already_used_by_customer"
    STAFF_ONLY = "staff_only"
    NO_ELIGIBLE_ITEMS = "no_eligible_items"
    SHIPPING_NOT_APPLICABLE = "shipping_not_applicable"
    # The plugin's own: a replacement or apology code issued to one shopper.
    ISSUED_TO_ANOTHER_SHOPPER = "issued_to_another_shopper"


# Reasons that tell a shopper a code exists; for codes the store does not promote they
# are shown to shoppers as UNKNOWN_CODE, as Saleor does. Staff always see the truth.
REVEALING_REASONS = frozenset({Reason.NOT_STARTED, Reason.NOT_IN_CHANNEL})

# Reasons a promoted code may be honored for within the grace window.
GRACE_REASONS = frozenset({Reason.EXPIRED, Reason.USAGE_LIMIT_REACHED})

# The built-in message of each reason, in English; shoppers read it in their language
# (see ``built_in_template``). Placeholders are those of a merchant's message.
DEFAULT_MESSAGES: dict[Reason, str] = {
    Reason.UNKNOWN_CODE: gettext_noop(
        "We don't recognise the code $code. Check it for typos."
    ),
    Reason.INACTIVE: gettext_noop("The code $code is no longer active."),
    Reason.SINGLE_USE_USED: gettext_noop(
        "The code $code could be used once, and it has been used."
    ),
    Reason.NOT_IN_CHANNEL: gettext_noop("The code $code can't be used in this store."),
    Reason.NOT_STARTED: gettext_noop("The code $code can be used from $starts_at."),
    Reason.EXPIRED: gettext_noop("The code $code expired on $ended_at."),
    Reason.USAGE_LIMIT_REACHED: gettext_noop(
        "The code $code has been used as many times as it could be."
    ),
    Reason.MINIMUM_SPEND_NOT_MET: gettext_noop(
        "The code $code needs an order of at least $minimum_spend; add $shortfall "
        "more to use it."
    ),
    # Its plural forms: built_in_template.
    Reason.MINIMUM_QUANTITY_NOT_MET: "The code $code needs at least $minimum_quantity "
    "items; add $missing_quantity more to use it.",
    Reason.ALREADY_USED_BY_CUSTOMER: gettext_noop(
        "The code $code can be used once per customer, and you have used it."
    ),
    Reason.STAFF_ONLY: gettext_noop("The code $code is for staff only."),
    Reason.NO_ELIGIBLE_ITEMS: gettext_noop(
        "The code $code applies only to: $eligible."
    ),
    # A cause the plugin does not know; each known one has its sentence
    # (SHIPPING_MESSAGES).
    Reason.SHIPPING_NOT_APPLICABLE: gettext_noop(
        "The code $code takes money off shipping, but not off this cart's shipping."
    ),
    Reason.ISSUED_TO_ANOTHER_SHOPPER: gettext_noop(
        "The code $code was issued to another shopper."
    ),
}

# NO_ELIGIBLE_ITEMS when the voucher names nothing that qualifies.
NO_NAMED_ITEMS_MESSAGE = gettext_noop("The code $code applies only to selected items.")

# SHIPPING_NOT_APPLICABLE, by cause: one whole sentence each.
SHIPPING_MESSAGES = {
    "no_shipping": gettext_noop(
        "The code $code takes money off shipping: nothing in your cart needs shipping."
    ),
    "no_delivery_method": gettext_noop(
        "The code $code takes money off shipping: choose a delivery method first."
    ),
    "country": gettext_noop(
        "The code $code takes money off shipping: it is not valid for delivery to "
        "your country."
    ),
}

# What a message template may use; each diagnosis fills all of them (some empty).
MESSAGE_VARIABLES = (
    "code",
    "starts_at",
    "ended_at",
    "minimum_spend",
    "shortfall",
    "minimum_quantity",
    "missing_quantity",
    "eligible",
    "cause",
)

# How much of a code too long to be any store's code a message repeats.
CODE_PREFIX_SHOWN = 20


def code_problem(code: str, max_length: int, *, words: Words) -> str:
    """Why ``code`` (as entered, stripped) is refused before any check: it is empty,
    or longer than any code the store can hold (``max_length``, Saleor's limit).
    Empty when it is neither.

    The message repeats only the code's beginning: what was pasted may be anything.
    """
    if not code:
        return words.gettext("Enter a promo code; it is empty.")
    if len(code) <= max_length:
        return ""
    return words.ngettext(
        "A promo code has at most %(limit)s character; the one entered has "
        '%(length)s (it begins "%(beginning)s…"). Enter the code alone.',
        "A promo code has at most %(limit)s characters; the one entered has "
        '%(length)s (it begins "%(beginning)s…"). Enter the code alone.',
        max_length,
    ) % {
        "limit": max_length,
        "length": len(code),
        "beginning": code[:CODE_PREFIX_SHOWN],
    }


# What $cause says in a merchant's message, by cause (also named in the GraphQL
# schema's description).
SHIPPING_CAUSES = {
    # Translators: fills $cause of a merchant's message, such as "The code $code
    # takes money off shipping: $cause."
    "no_shipping": gettext_noop("nothing in your cart needs shipping"),
    # Translators: fills $cause of a merchant's message, such as "The code $code
    # takes money off shipping: $cause."
    "no_delivery_method": gettext_noop("choose a delivery method first"),
    # Translators: fills $cause of a merchant's message, such as "The code $code
    # takes money off shipping: $cause."
    "country": gettext_noop("it is not valid for delivery to your country"),
}


class VoucherType(StrEnum):
    ENTIRE_ORDER = "entire_order"
    SHIPPING = "shipping"
    SPECIFIC_PRODUCT = "specific_product"


@dataclass(frozen=True)
class ChannelListing:
    discount_value: Decimal
    currency: str
    min_spent: Decimal | None = None
    # The currency's minor unit digits (2 for USD, 0 for JPY), as Saleor rounds.
    decimal_places: int = 2


@dataclass(frozen=True)
class VoucherFacts:
    """One code and its voucher, as Saleor holds them, seen from one channel."""

    code: str
    code_is_active: bool = True
    voucher_type: VoucherType = VoucherType.ENTIRE_ORDER
    is_percentage: bool = True
    start_date: datetime | None = None
    end_date: datetime | None = None
    usage_limit: int | None = None
    # Uses of all the voucher's codes (Saleor's usage limit counts them together).
    used: int = 0
    single_use: bool = False
    apply_once_per_order: bool = False
    apply_once_per_customer: bool = False
    only_for_staff: bool = False
    min_checkout_items_quantity: int | None = None
    countries: frozenset[str] = frozenset()
    product_ids: frozenset[int] = frozenset()
    variant_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    collection_ids: frozenset[int] = frozenset()
    # Names of what qualifies, for the message (products, categories, collections).
    eligible_names: tuple[str, ...] = ()
    # The listing in the checkout's channel; None: not listed there.
    listing: ChannelListing | None = None
    used_by_customer: bool = False
    # When an order last used one of the voucher's codes.
    last_used_at: datetime | None = None
    # Set for the plugin's replacement and apology codes.
    bound_email: str = ""


@dataclass(frozen=True)
class LineFacts:
    variant_id: int
    product_id: int
    category_id: int | None
    collection_ids: frozenset[int]
    # The unit price after catalogue promotions, before vouchers (Saleor's
    # ``variant_discounted_price``).
    unit_price: Decimal
    quantity: int
    is_gift: bool = False


@dataclass(frozen=True)
class CheckoutFacts:
    channel_is_active: bool
    currency: str
    # Saleor's ``base_checkout_subtotal`` and ``calculate_checkout_quantity``.
    subtotal: Decimal
    quantity: int
    lines: tuple[LineFacts, ...] = ()
    is_shipping_required: bool = True
    has_delivery_method: bool = False
    country: str = ""
    shipping_price: Decimal = Decimal(0)
    # The address Saleor counts voucher uses by: the user's, else the checkout's.
    customer_email: str = ""
    customer_is_staff: bool = False


@dataclass(frozen=True)
class Diagnosis:
    code: str
    reason: Reason | None
    details: dict = field(default_factory=dict)
    # What the code takes off this cart when it applies, in the checkout's currency.
    discount: Decimal = Decimal(0)

    @property
    def is_valid(self) -> bool:
        return self.reason is None


def diagnose(
    voucher: VoucherFacts | None, checkout: CheckoutFacts, code: str, now: datetime
) -> Diagnosis:
    """The reason ``code`` does not apply to the checkout, or its discount if it does.

    ``voucher`` is None when no voucher has that code.
    """
    if voucher is None:
        return Diagnosis(code, Reason.UNKNOWN_CODE)
    failure = _code_failure(voucher, checkout, now) or _rule_failure(voucher, checkout)
    if failure is not None:
        reason, details = failure
        return Diagnosis(voucher.code, reason, details)
    return Diagnosis(voucher.code, None, discount=discount_amount(voucher, checkout))


def _code_failure(voucher: VoucherFacts, checkout: CheckoutFacts, now: datetime):
    """Saleor's ``get_voucher_code_instance``: is the code usable in this channel now."""
    if not voucher.code_is_active:
        return (Reason.SINGLE_USE_USED if voucher.single_use else Reason.INACTIVE), {}
    if voucher.end_date is not None and voucher.end_date < now:
        return Reason.EXPIRED, {"ended_at": voucher.end_date}
    if voucher.usage_limit is not None and voucher.used >= voucher.usage_limit:
        return Reason.USAGE_LIMIT_REACHED, {"usage_limit": voucher.usage_limit}
    if voucher.start_date is not None and voucher.start_date > now:
        return Reason.NOT_STARTED, {"starts_at": voucher.start_date}
    if voucher.listing is None or not checkout.channel_is_active:
        return Reason.NOT_IN_CHANNEL, {}
    return None


def _rule_failure(voucher: VoucherFacts, checkout: CheckoutFacts):
    """Saleor's ``validate_voucher`` and the checks of each voucher type, in its order."""
    min_spent = voucher.listing.min_spent
    if min_spent and checkout.subtotal < min_spent:
        return Reason.MINIMUM_SPEND_NOT_MET, {
            "minimum_spend": min_spent,
            "shortfall": min_spent - checkout.subtotal,
            "currency": voucher.listing.currency,
        }
    minimum_quantity = voucher.min_checkout_items_quantity
    if minimum_quantity and minimum_quantity > checkout.quantity:
        return Reason.MINIMUM_QUANTITY_NOT_MET, {
            "minimum_quantity": minimum_quantity,
            "missing_quantity": minimum_quantity - checkout.quantity,
        }
    if voucher.apply_once_per_customer and voucher.used_by_customer:
        return Reason.ALREADY_USED_BY_CUSTOMER, {}
    if voucher.only_for_staff and not checkout.customer_is_staff:
        return Reason.STAFF_ONLY, {}
    if voucher.bound_email and voucher.bound_email != checkout.customer_email.lower():
        return Reason.ISSUED_TO_ANOTHER_SHOPPER, {}
    if voucher.voucher_type == VoucherType.SHIPPING:
        cause = _shipping_failure(voucher, checkout)
        if cause:
            return Reason.SHIPPING_NOT_APPLICABLE, {"cause": cause}
    elif not discounted_unit_prices(voucher, checkout) and (
        voucher.voucher_type == VoucherType.SPECIFIC_PRODUCT
        or voucher.apply_once_per_order
    ):
        return Reason.NO_ELIGIBLE_ITEMS, {"eligible": list(voucher.eligible_names)}
    return None


def _shipping_failure(voucher: VoucherFacts, checkout: CheckoutFacts) -> str:
    if not checkout.is_shipping_required:
        return "no_shipping"
    if not checkout.has_delivery_method:
        return "no_delivery_method"
    if (
        voucher.countries
        and checkout.country
        and checkout.country not in voucher.countries
    ):
        return "country"
    return ""


def _has_targets(voucher: VoucherFacts) -> bool:
    return bool(
        voucher.product_ids
        or voucher.variant_ids
        or voucher.category_ids
        or voucher.collection_ids
    )


def _is_eligible(line: LineFacts, voucher: VoucherFacts) -> bool:
    if line.is_gift:
        return False
    return (
        line.variant_id in voucher.variant_ids
        or line.product_id in voucher.product_ids
        or line.category_id in voucher.category_ids
        or bool(line.collection_ids & voucher.collection_ids)
    )


def discounted_unit_prices(
    voucher: VoucherFacts, checkout: CheckoutFacts
) -> list[Decimal]:
    """One price per unit the voucher may discount (Saleor's ``get_discounted_lines``)."""
    lines = checkout.lines
    if voucher.voucher_type == VoucherType.SPECIFIC_PRODUCT and _has_targets(voucher):
        lines = tuple(line for line in lines if _is_eligible(line, voucher))
    return [line.unit_price for line in lines for _ in range(line.quantity)]


def _off(voucher: VoucherFacts, price: Decimal) -> Decimal:
    """Saleor's ``Voucher.get_discount_amount_for``: never more than the price."""
    value = voucher.listing.discount_value
    if voucher.is_percentage:
        unit = Decimal(1).scaleb(-voucher.listing.decimal_places)
        amount = (price * value / 100).quantize(unit, rounding=ROUND_HALF_UP)
    else:
        amount = value
    return min(max(amount, Decimal(0)), price)


def discount_amount(voucher: VoucherFacts, checkout: CheckoutFacts) -> Decimal:
    """What an applicable voucher takes off this cart."""
    if voucher.voucher_type == VoucherType.SHIPPING:
        return _off(voucher, checkout.shipping_price)
    prices = discounted_unit_prices(voucher, checkout)
    if voucher.apply_once_per_order:
        return _off(voucher, min(prices)) if prices else Decimal(0)
    if voucher.voucher_type == VoucherType.SPECIFIC_PRODUCT:
        return sum((_off(voucher, price) for price in prices), Decimal(0))
    # Saleor caps an order discount at the subtotal.
    return min(_off(voucher, checkout.subtotal), checkout.subtotal)


def shown_to_shopper(diagnosis: Diagnosis, *, is_promoted: bool) -> Diagnosis:
    """What a shopper may learn: codes not promoted don't reveal that they exist."""
    if diagnosis.reason in REVEALING_REASONS and not is_promoted:
        return Diagnosis(diagnosis.code, Reason.UNKNOWN_CODE)
    return diagnosis


def built_in_template(diagnosis: Diagnosis, *, words: Words) -> str:
    """The plugin's own message of a failed code, in ``words``' language, with the
    placeholders of a merchant's message."""
    reason = diagnosis.reason
    details = diagnosis.details
    if reason == Reason.MINIMUM_QUANTITY_NOT_MET:
        return words.ngettext(
            "The code $code needs at least $minimum_quantity item; add "
            "$missing_quantity more to use it.",
            "The code $code needs at least $minimum_quantity items; add "
            "$missing_quantity more to use it.",
            int(details.get("minimum_quantity", 0)),
        )
    if reason == Reason.NO_ELIGIBLE_ITEMS and not details.get("eligible"):
        return words.gettext(NO_NAMED_ITEMS_MESSAGE)
    if reason == Reason.SHIPPING_NOT_APPLICABLE:
        cause = details.get("cause", "")
        return words.gettext(SHIPPING_MESSAGES.get(cause, DEFAULT_MESSAGES[reason]))
    return words.gettext(DEFAULT_MESSAGES[reason])


class MerchantText(Protocol):
    """A merchant's message with its texts in other languages
    (``config.LocalizedText``)."""

    def for_language(self, language: str) -> str: ...


def message(
    diagnosis: Diagnosis,
    templates: Mapping[str, MerchantText],
    *,
    words: Words,
    time_zone: str,
) -> str:
    """What the shopper reads about a failed code, in ``words``' language: the
    merchant's message of the reason (``templates``, {reason: text}) in that
    language, else their default one, else the built-in message; times in
    ``time_zone``."""
    if diagnosis.reason is None:
        return ""
    details = diagnosis.details
    currency = details.get("currency", "")
    values = {name: "" for name in MESSAGE_VARIABLES}
    values["code"] = diagnosis.code
    for name in ("minimum_spend", "shortfall"):
        if name in details:
            values[name] = words.money(details[name], currency)
    for name in ("starts_at", "ended_at"):
        if name in details:
            values[name] = words.moment(details[name], time_zone)
    for name in ("minimum_quantity", "missing_quantity"):
        if name in details:
            values[name] = str(details[name])
    eligible = list(details.get("eligible", ()))
    # Translators: fills $eligible of a merchant's message, such as "The code $code
    # applies only to: $eligible.", when the code names nothing that qualifies.
    values["eligible"] = (
        words.every(eligible) if eligible else words.gettext("selected items")
    )
    cause = SHIPPING_CAUSES.get(details.get("cause", ""))
    values["cause"] = words.gettext(cause) if cause else ""
    merchants = templates.get(diagnosis.reason.value)
    template = (
        merchants.for_language(words.language) if merchants is not None else ""
    ) or built_in_template(diagnosis, words=words)
    return Template(template).safe_substitute(values)


def removed_message(explanation: str, *, words: Words) -> str:
    """A code Saleor took off the cart: that it did, then why (``explanation``)."""
    return words.gettext("Your code was removed from the cart. %(explanation)s") % {
        "explanation": explanation
    }


def honored_message(
    code: str, replacement: str, valid_until: datetime, *, words: Words, time_zone: str
) -> str:
    """A promoted code that just ended, honored with a replacement."""
    return words.gettext(
        "The code %(code)s ended just before you used it, so we honor it: "
        "%(replacement)s gives you the same discount, for you only, until %(until)s."
    ) % {
        "code": code,
        "replacement": replacement,
        "until": words.moment(valid_until, time_zone),
    }


def rate_limit_message(retry_at: datetime, *, words: Words, time_zone: str) -> str:
    """Too many failed codes: when the shopper may try again."""
    return words.gettext("Too many codes were tried; try again after %(time)s.") % {
        "time": words.moment(retry_at, time_zone)
    }


def without_grace_limits(voucher: VoucherFacts) -> VoucherFacts:
    """The voucher as it was before it expired or ran out (for the grace decision)."""
    return replace(voucher, end_date=None, usage_limit=None)


def ended_at(voucher: VoucherFacts, reason: Reason) -> datetime | None:
    """When a promoted code stopped working: its end, or the order that used it up."""
    if reason == Reason.EXPIRED:
        return voucher.end_date
    if reason == Reason.USAGE_LIMIT_REACHED:
        return voucher.last_used_at
    return None


def is_within_grace(
    voucher: VoucherFacts,
    checkout: CheckoutFacts,
    diagnosis: Diagnosis,
    now: datetime,
    grace: timedelta,
) -> bool:
    """Is a failed promoted code to be honored: it only just stopped working, and
    nothing else stands in the way for this cart."""
    if diagnosis.reason not in GRACE_REASONS or grace <= timedelta(0):
        return False
    stopped = ended_at(voucher, diagnosis.reason)
    if stopped is None or now - stopped > grace:
        return False
    return diagnose(without_grace_limits(voucher), checkout, voucher.code, now).is_valid


def rank_alternatives(
    candidates: list[tuple[VoucherFacts, bool]],
    checkout: CheckoutFacts,
    now: datetime,
    limit: int,
) -> list[Diagnosis]:
    """The candidate codes that apply to this cart, the biggest discount first.

    ``candidates`` pairs each code's facts with whether it is promoted in this channel
    now; only those are suggested.
    """
    valid = []
    for voucher, is_promoted in candidates:
        if not is_promoted:
            continue
        diagnosis = diagnose(voucher, checkout, voucher.code, now)
        if diagnosis.is_valid and diagnosis.discount > 0:
            valid.append(diagnosis)
    valid.sort(key=lambda d: (-d.discount, d.code))
    return valid[:limit]


class CodeHealth(StrEnum):
    """A promoted code's state in one channel, seen from a shopper's side."""

    HEALTHY = "healthy"
    EXPIRING_SOON = "expiring_soon"
    RUNNING_OUT = "running_out"
    EXPIRED = "expired"
    USED_UP = "used_up"
    INACTIVE = "inactive"
    NOT_STARTED = "not_started"
    MISSING_IN_CHANNEL = "missing_in_channel"


PROBLEM_HEALTH = frozenset(
    {
        CodeHealth.EXPIRED,
        CodeHealth.USED_UP,
        CodeHealth.INACTIVE,
        CodeHealth.NOT_STARTED,
        CodeHealth.MISSING_IN_CHANNEL,
    }
)
WARNING_HEALTH = frozenset({CodeHealth.EXPIRING_SOON, CodeHealth.RUNNING_OUT})


@dataclass(frozen=True)
class HealthCheck:
    health: CodeHealth
    # When it will stop working, if known (end date, or run-out at the current pace).
    ends_at: datetime | None = None
    remaining_uses: int | None = None


def code_health(
    voucher: VoucherFacts | None,
    *,
    channel_is_listed: bool,
    uses_last_day: int,
    now: datetime,
    warn: timedelta,
) -> HealthCheck:
    """How a promoted code stands in one channel.

    ``uses_last_day`` is how many orders used it in the last 24 hours; at that pace a
    code with a usage limit runs out in ``remaining / pace`` hours.
    """
    if voucher is None:
        return HealthCheck(CodeHealth.MISSING_IN_CHANNEL)
    remaining = None
    if voucher.usage_limit is not None:
        remaining = max(voucher.usage_limit - voucher.used, 0)
    if not voucher.code_is_active:
        return HealthCheck(CodeHealth.INACTIVE, remaining_uses=remaining)
    if voucher.end_date is not None and voucher.end_date < now:
        return HealthCheck(CodeHealth.EXPIRED, voucher.end_date, remaining)
    if remaining == 0:
        return HealthCheck(CodeHealth.USED_UP, voucher.last_used_at, 0)
    if not channel_is_listed:
        return HealthCheck(CodeHealth.MISSING_IN_CHANNEL, voucher.end_date, remaining)
    if voucher.start_date is not None and voucher.start_date > now:
        return HealthCheck(CodeHealth.NOT_STARTED, voucher.end_date, remaining)
    if voucher.end_date is not None and voucher.end_date - now <= warn:
        return HealthCheck(CodeHealth.EXPIRING_SOON, voucher.end_date, remaining)
    if remaining is not None and uses_last_day > 0:
        runs_out_at = now + timedelta(hours=24 * remaining / uses_last_day)
        if runs_out_at - now <= warn:
            return HealthCheck(CodeHealth.RUNNING_OUT, runs_out_at, remaining)
    return HealthCheck(CodeHealth.HEALTHY, voucher.end_date, remaining)


class Placement(StrEnum):
    """Where the store shows a promoted code."""

    POPUP = "popup"
    EMAIL = "email"
    AFFILIATE = "affiliate"
    SOCIAL = "social"
    BANNER = "banner"
    OTHER = "other"
