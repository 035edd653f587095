"""The words of a channel's status lines: the read-only lines at the top of the
plugin's page in the Dashboard, composed from plain counts.

Each line is one short sentence fragment that says "none" when all is well. Nothing
here reads a database or a clock: the caller counts, this only words the counts.
"""

from dataclasses import dataclass, field

from .alerts import AlertKind
from .coupons import PROBLEM_HEALTH, CodeHealth
from .promotion import HEALTH_TITLES

# The configuration fields that show the lines, in the order the page shows them.
STAFF_ALERTS = "status_staff_alerts"
FAILED_NOTICES = "status_failed_notices"
ORDERS_AT_RISK = "status_orders_at_risk"
PROMOTED_CODES = "status_promoted_codes"
ON_TIME_SHIPPING = "status_on_time_shipping"
SURVEY_SATISFIED = "status_survey_satisfied"
SURVEY_RESPONSE_RATE = "status_survey_response_rate"
FIELD_NAMES = (
    STAFF_ALERTS,
    FAILED_NOTICES,
    ORDERS_AT_RISK,
    PROMOTED_CODES,
    ON_TIME_SHIPPING,
    SURVEY_SATISFIED,
    SURVEY_RESPONSE_RATE,
)

NONE = "none"
UNAVAILABLE = "unavailable right now"

# How many failure reasons a line names; the rest are counted together.
REASONS_SHOWN = 2
# A reason longer than this is cut at a word and ends with an ellipsis.
REASON_MAX_LENGTH = 60

ALERT_KIND_NAMES = {
    AlertKind.PROMOTED_CODE: ("promoted code", "promoted codes"),
    AlertKind.SHORTAGE_CHOICE: ("shortage choice", "shortage choices"),
    AlertKind.NOTICE_DELIVERY: ("delivery problem", "delivery problems"),
}
_KIND_ORDER = list(AlertKind)
_HEALTH_ORDER = list(HEALTH_TITLES)


@dataclass(frozen=True)
class ChannelCounts:
    """What one channel counts now; every count is for that channel only."""

    # {alert kind: open alerts of that kind}
    open_alerts: dict[str, int] = field(default_factory=dict)
    failed_notices: int = 0
    # (the notice's last error, how many failed with it), any order; may be only the
    # most frequent errors, so their counts may add up to less than failed_notices.
    failure_reasons: tuple[tuple[str, int], ...] = ()
    late_orders: int = 0
    at_risk_orders: int = 0
    # {code health: promoted codes with that health}, only those needing attention.
    codes_by_health: dict[str, int] = field(default_factory=dict)
    shipped_orders: int = 0
    shipped_on_time: int = 0
    # Surveys sent in the window: how many, how many the customer answered, how
    # many answered "were you satisfied?" and how many of those said yes.
    surveys_sent: int = 0
    surveys_answered: int = 0
    satisfied_answers: int = 0
    satisfied_yes: int = 0


def status_lines(counts: ChannelCounts) -> dict[str, str]:
    """{field name: line} for every status line."""
    return {
        STAFF_ALERTS: staff_alerts_line(counts.open_alerts),
        FAILED_NOTICES: failed_notices_line(
            counts.failed_notices, counts.failure_reasons
        ),
        ORDERS_AT_RISK: orders_at_risk_line(
            late=counts.late_orders, at_risk=counts.at_risk_orders
        ),
        PROMOTED_CODES: promoted_codes_line(counts.codes_by_health),
        ON_TIME_SHIPPING: on_time_shipping_line(
            shipped=counts.shipped_orders, on_time=counts.shipped_on_time
        ),
        SURVEY_SATISFIED: survey_satisfied_line(
            answers=counts.satisfied_answers, satisfied=counts.satisfied_yes
        ),
        SURVEY_RESPONSE_RATE: survey_response_rate_line(
            sent=counts.surveys_sent, answered=counts.surveys_answered
        ),
    }


def unavailable_lines() -> dict[str, str]:
    """Every line when the counts could not be read."""
    return dict.fromkeys(FIELD_NAMES, UNAVAILABLE)


def staff_alerts_line(open_alerts: dict[str, int]) -> str:
    """E.g. '2 open: 1 promoted code, 1 delivery problem'."""
    kinds = sorted(
        ((kind, total) for kind, total in open_alerts.items() if total > 0),
        key=lambda item: (-item[1], _rank(_KIND_ORDER, item[0]), item[0]),
    )
    if not kinds:
        return NONE
    parts = ", ".join(f"{total} {_kind_name(kind, total)}" for kind, total in kinds)
    return f"{sum(total for _, total in kinds)} open: {parts}"


def failed_notices_line(failed: int, reasons: tuple[tuple[str, int], ...]) -> str:
    """E.g. '3 failed: 2 × SMTP: authentication failed (535); 1 × Webhook: HTTP 401'."""
    if failed <= 0:
        return NONE
    merged: dict[str, int] = {}
    for reason, total in reasons:
        short = shorten_reason(reason)
        merged[short] = merged.get(short, 0) + total
    top = sorted(merged.items(), key=lambda item: (-item[1], item[0]))[:REASONS_SHOWN]
    parts = [f"{total} × {reason}" for reason, total in top]
    others = failed - sum(total for _, total in top)
    if others > 0:
        parts.append(
            f"{others} × {'another reason' if others == 1 else 'other reasons'}"
        )
    return f"{failed} failed: " + "; ".join(parts)


def shorten_reason(reason: str) -> str:
    """The gist of a delivery error: its first clause, on one line, at most
    ``REASON_MAX_LENGTH`` characters (cut at a word)."""
    gist = " ".join(reason.split(";", 1)[0].split()).rstrip(".")
    if not gist:
        return "no reason recorded"
    if len(gist) <= REASON_MAX_LENGTH:
        return gist
    cut = gist[: REASON_MAX_LENGTH - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,:(") + "…"


def orders_at_risk_line(*, late: int, at_risk: int) -> str:
    """E.g. '2 late, 3 at risk'; the late ones first, they are the more urgent."""
    parts = []
    if late > 0:
        parts.append(f"{late} late")
    if at_risk > 0:
        parts.append(f"{at_risk} at risk")
    return ", ".join(parts) or NONE


def promoted_codes_line(codes_by_health: dict[str, int]) -> str:
    """E.g. '2 codes: 1 expired, 1 expires soon'; codes that stopped working first."""
    healths = sorted(
        (
            (health, total)
            for health, total in codes_by_health.items()
            if total > 0 and health not in ("", CodeHealth.HEALTHY)
        ),
        key=lambda item: (
            item[0] not in PROBLEM_HEALTH,
            -item[1],
            _rank(_HEALTH_ORDER, item[0]),
            item[0],
        ),
    )
    if not healths:
        return NONE
    total = sum(count for _, count in healths)
    parts = ", ".join(f"{count} {_health_title(health)}" for health, count in healths)
    return f"{total} {'code' if total == 1 else 'codes'}: {parts}"


def on_time_shipping_line(*, shipped: int, on_time: int) -> str:
    """E.g. '94% of 51 orders'. The share is rounded down, so 100% means every one."""
    if shipped <= 0:
        return "no shipped orders yet"
    share = 100 * min(on_time, shipped) // shipped
    return f"{share}% of {shipped} {'order' if shipped == 1 else 'orders'}"


def survey_satisfied_line(*, answers: int, satisfied: int) -> str:
    """E.g. '88% of 25 answers': the customers who said they were satisfied, of
    those who answered the question. Rounded down, so 100% means every one."""
    if answers <= 0:
        return "no answers yet"
    share = 100 * min(satisfied, answers) // answers
    return f"{share}% of {answers} {'answer' if answers == 1 else 'answers'}"


def survey_response_rate_line(*, sent: int, answered: int) -> str:
    """E.g. '31% of 80 surveys': the surveys sent that the customer answered.
    Rounded down, so 100% means every one."""
    if sent <= 0:
        return "no surveys sent yet"
    share = 100 * min(answered, sent) // sent
    return f"{share}% of {sent} {'survey' if sent == 1 else 'surveys'}"


def _rank(order: list, value: str) -> int:
    return order.index(value) if value in order else len(order)


def _kind_name(kind: str, total: int) -> str:
    singular, plural = ALERT_KIND_NAMES.get(kind, (kind.replace("_", " "),) * 2)
    return singular if total == 1 else plural


def _health_title(health: str) -> str:
    try:
        return HEALTH_TITLES[CodeHealth(health)]
    except ValueError:
        return health.replace("_", " ")
