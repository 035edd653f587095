"""Rules of promoted codes: what staff may register, when the health check alerts them,
and what an alert says.

Pure functions: the caller passes what it read (which codes and channels exist, the
code's health) and the time.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .coupons import PROBLEM_HEALTH, WARNING_HEALTH, CodeHealth, HealthCheck, Placement
from .history import Problem

NOTE_MAX_LENGTH = 500


def check_registration(
    *,
    code: str,
    code_exists: bool,
    channel_slugs: list[str],
    missing_channel_slugs: list[str],
    placements: list[str],
    note: str,
    promoted_until: datetime | None,
    now: datetime,
) -> list[Problem]:
    """Everything wrong with a promotion staff register, each naming its field."""
    problems = []
    if not code.strip():
        problems.append(Problem("code", "REQUIRED", "Give the code that is promoted."))
    elif not code_exists:
        problems.append(
            Problem(
                "code",
                "NOT_FOUND",
                f"No voucher has the code '{code}'; create the voucher first.",
            )
        )
    if not channel_slugs:
        problems.append(
            Problem(
                "channels", "REQUIRED", "Give at least one channel it is promoted in."
            )
        )
    elif missing_channel_slugs:
        problems.append(missing_channels_problem(missing_channel_slugs))
    if not placements:
        problems.append(
            Problem(
                "placements",
                "REQUIRED",
                "Give at least one placement: "
                + ", ".join(p.name for p in Placement)
                + ".",
            )
        )
    if len(note) > NOTE_MAX_LENGTH:
        problems.append(
            Problem(
                "note",
                "INVALID",
                f"The note has {len(note)} characters; at most {NOTE_MAX_LENGTH} are "
                "allowed.",
            )
        )
    if promoted_until is not None and promoted_until <= now:
        problems.append(
            Problem(
                "promoted_until",
                "INVALID",
                "The date has passed; give a later one, or none while the promotion "
                "has no end.",
            )
        )
    return problems


def missing_channels_problem(slugs: list[str]) -> Problem:
    names = ", ".join(f"'{slug}'" for slug in slugs)
    if len(slugs) == 1:
        return Problem(
            "channels", "NOT_FOUND", f"There is no channel with the slug {names}."
        )
    return Problem(
        "channels", "NOT_FOUND", f"There are no channels with the slugs {names}."
    )


def is_promoted(promoted_until: datetime | None, now: datetime) -> bool:
    """A promotion ends at its ``promoted_until``."""
    return promoted_until is None or promoted_until > now


@dataclass(frozen=True)
class AlertDecision:
    should_alert: bool
    # What ``alerted_health`` becomes: the health alerted about, or "" once there is
    # nothing to alert about.
    alerted_health: str


def alert_decision(
    health: CodeHealth, *, alerted_health: str, warning_hours: int
) -> AlertDecision:
    """One alert per change of a promoted code's health to a problem or a warning.

    Warnings count only while the channel warns ahead (``warning_hours`` above 0).
    Once the code needs no alert, the next problem alerts again, even the same one.
    """
    needs_alert = health in PROBLEM_HEALTH or (
        health in WARNING_HEALTH and warning_hours > 0
    )
    if not needs_alert:
        return AlertDecision(should_alert=False, alerted_health="")
    return AlertDecision(
        should_alert=health.value != alerted_health, alerted_health=health.value
    )


@dataclass(frozen=True)
class AlertText:
    subject: str
    message: str


HEALTH_TITLES = {
    CodeHealth.EXPIRED: "expired",
    CodeHealth.USED_UP: "used up",
    CodeHealth.INACTIVE: "deactivated",
    CodeHealth.NOT_STARTED: "not started yet",
    CodeHealth.MISSING_IN_CHANNEL: "not available",
    CodeHealth.EXPIRING_SOON: "expires soon",
    CodeHealth.RUNNING_OUT: "runs out soon",
    CodeHealth.HEALTHY: "healthy",
}


def alert_text(
    code: str, channel_slug: str, check: HealthCheck, *, time_zone: str
) -> AlertText:
    """What staff read about a promoted code that stopped, or is about to stop,
    working where it is promoted."""
    ends_at = _local(check.ends_at, time_zone)
    health = check.health
    where = f"in the channel '{channel_slug}'"
    if health == CodeHealth.EXPIRED:
        what = f"expired on {ends_at}"
    elif health == CodeHealth.USED_UP:
        what = "has been used as many times as it could be"
    elif health == CodeHealth.INACTIVE:
        what = "was deactivated"
    elif health == CodeHealth.NOT_STARTED:
        what = "does not work yet: its start date is still ahead"
    elif health == CodeHealth.MISSING_IN_CHANNEL:
        what = f"does not exist or is not available {where}"
    elif health == CodeHealth.EXPIRING_SOON:
        what = f"expires on {ends_at}"
    elif health == CodeHealth.RUNNING_OUT:
        what = (
            f"has {check.remaining_uses} uses left; at the pace of the last 24 hours "
            f"it runs out around {ends_at}"
        )
    else:
        what = "works"
    still = (
        f"Shoppers {where} still see it where it is promoted."
        if health in PROBLEM_HEALTH
        else f"It is promoted {where}."
    )
    return AlertText(
        subject=f"Promoted code {code}: {HEALTH_TITLES[health]}",
        message=f"The promoted code {code} {what}. {still} Extend or fix the voucher, "
        "or stop promoting the code.",
    )


def _local(moment: datetime | None, time_zone: str) -> str:
    if moment is None:
        return "an unknown time"
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{local:%Y-%m-%d %H:%M} ({time_zone})"
