"""Operators' service report: one channel's metrics by week, in one HTML file."""

import os
import tempfile
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from saleor.channel.models import Channel

from ...channel_status import read_connection_name
from ...config import SettingsError
from ...domain.metrics import (
    PERIOD_MAX_DAYS,
    REPEAT_WITHIN_DAYS_DEFAULT,
    REPEAT_WITHIN_DAYS_MAX,
    REPEAT_WITHIN_DAYS_MIN,
)
from ...fetch import channel_settings
from ...metrics.measure import measure, weekly
from ...metrics.report import render_report


class Command(BaseCommand):
    help = (
        "Writes one channel's customer-service report for a period to one HTML file "
        "that opens with no network: satisfied %, handled-as-wanted %, response rate "
        "and on-time shipping and delivery % by week, what went wrong and why "
        "checkouts were not completed, and the period's totals."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--channel", required=True, metavar="SLUG", help="The channel's slug."
        )
        parser.add_argument(
            "--since",
            required=True,
            metavar="YYYY-MM-DD",
            help="The period's first day, YYYY-MM-DD (in the channel's time zone).",
        )
        parser.add_argument(
            "--until",
            required=True,
            metavar="YYYY-MM-DD",
            help="The day after the period's last day, YYYY-MM-DD (not included).",
        )
        parser.add_argument(
            "--output",
            required=True,
            metavar="FILE",
            help="The HTML file to write (replaced if it exists).",
        )
        parser.add_argument(
            "--repeat-within-days",
            type=int,
            metavar="DAYS",
            default=REPEAT_WITHIN_DAYS_DEFAULT,
            help=(
                "A first-time customer's next order counts as a repeat purchase "
                f"within this many days ({REPEAT_WITHIN_DAYS_MIN} to "
                f"{REPEAT_WITHIN_DAYS_MAX}; {REPEAT_WITHIN_DAYS_DEFAULT})."
            ),
        )

    def handle(
        self, *args, channel, since, until, output, repeat_within_days, **options
    ):
        # Everything is checked before anything is read or written.
        since_day = _day("--since", since)
        until_day = _day("--until", until)
        if since_day >= until_day:
            raise CommandError(
                f"--until: {until_day.isoformat()} is not after --since "
                f"{since_day.isoformat()}; the period is [since, until), so --until "
                "must be a later day (the day after the last day reported)."
            )
        if (until_day - since_day).days > PERIOD_MAX_DAYS:
            raise CommandError(
                f"--until: the period is {(until_day - since_day).days} days; at most "
                f"{PERIOD_MAX_DAYS} are reported at once."
            )
        if not REPEAT_WITHIN_DAYS_MIN <= repeat_within_days <= REPEAT_WITHIN_DAYS_MAX:
            raise CommandError(
                f"--repeat-within-days: {repeat_within_days}; allowed are "
                f"{REPEAT_WITHIN_DAYS_MIN} to {REPEAT_WITHIN_DAYS_MAX}."
            )
        using = read_connection_name()
        found = Channel.objects.using(using).filter(slug=channel).first()
        if found is None:
            slugs = list(
                Channel.objects.using(using)
                .order_by("slug")
                .values_list("slug", flat=True)
            )
            raise CommandError(
                f"--channel: no channel has the slug {channel!r}; the channels are: "
                f"{', '.join(slugs) or 'none'}."
            )
        path = Path(output)
        folder = path.parent if str(path.parent) else Path(".")
        if path.is_dir():
            raise CommandError(f"--output: {output} is a folder; name a file in it.")
        if not folder.is_dir():
            raise CommandError(
                f"--output: the folder {folder} does not exist; name a file in an "
                "existing folder."
            )
        if not os.access(folder, os.W_OK | os.X_OK) or (
            path.exists() and not os.access(path, os.W_OK)
        ):
            raise CommandError(
                f"--output: {output} cannot be written (Permission denied)."
            )
        # Days are the store's; settings no longer valid fall back to UTC, as the
        # serviceMetrics query does, and the operator is told.
        try:
            time_zone = channel_settings(found.pk).time_zone
        except SettingsError as error:
            time_zone = "UTC"
            self.stderr.write(
                f"The plugin's settings of {channel!r} are not valid ({error}); the "
                "report's days are UTC days."
            )

        totals = measure(
            found.pk,
            since_day,
            until_day,
            repeat_within_days=repeat_within_days,
            using=using,
            time_zone=time_zone,
        )
        weeks = weekly(found.pk, since_day, until_day, using=using, time_zone=time_zone)
        html = render_report(
            channel_name=found.name,
            channel_slug=found.slug,
            since=since_day,
            until=until_day,
            totals=totals,
            weeks=weeks,
            generated_at=timezone.now(),
        )
        _write_whole(path, html)
        self.stdout.write(
            f"Wrote the report of {found.slug} from {since_day.isoformat()} until "
            f"{until_day.isoformat()} ({len(weeks)} week(s)) to {output}."
        )


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"{option}: {text!r} is not a day; write it as YYYY-MM-DD, e.g. 2026-11-01."
        ) from None


def _write_whole(path: Path, text: str) -> None:
    """Write the file whole or not at all: a reader never sees half a report, and a
    failed write leaves an earlier report as it was."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(
            dir=folder, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise CommandError(
            f"--output: {path} cannot be written ({error.strerror})."
        ) from error
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise CommandError(
            f"--output: {path} cannot be written ({error.strerror})."
        ) from error
