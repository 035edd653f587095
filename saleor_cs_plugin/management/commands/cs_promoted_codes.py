"""Operators' run of the promoted-code health check: now, or as a dry run."""

from django.core.management.base import BaseCommand
from django.utils import timezone
from saleor.core.db.connection import allow_writer

from ... import promoted_codes, tasks


class Command(BaseCommand):
    help = (
        "Checks every promoted code once and alerts staff about codes that stopped "
        "working, or soon will, while they are promoted. With --dry-run, lists the "
        "alerts it would send and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the alerts the check would send; write nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        with allow_writer():
            sweep = promoted_codes.check_promoted_codes(timezone.now(), dry_run=dry_run)
            if not dry_run:
                tasks.schedule_delivery(sweep.notice_ids)
        self.stdout.write(
            f"{'Would alert' if dry_run else 'Alerted'} about {len(sweep.alerts)} "
            "promoted code(s):"
        )
        for alert in sweep.alerts:
            self.stdout.write(
                f"  {alert.promoted_code.code}  {alert.channel_slug}  "
                f"{alert.check.health.value}  {alert.recipient_email or '-'}  "
                f"{alert.text.subject}"
            )
