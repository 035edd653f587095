"""Operators' run of the survey sweep: now, or as a dry run."""

from django.core.management.base import BaseCommand
from django.utils import timezone
from saleor.core.db.connection import allow_writer

from ... import tasks
from ...surveys import sweep


class Command(BaseCommand):
    help = (
        "Decides every survey that is due and asks about abandoned checkouts once: "
        "queues a survey notice to each customer asked (the notice worker sends "
        "it). With --dry-run, lists who would be asked and why the others would "
        "not, one line each, and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List who would be asked and why not; write nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        with allow_writer():
            report = sweep.sweep(timezone.now(), dry_run=dry_run)
            if not dry_run:
                tasks.schedule_delivery(report.notice_ids)
        skipped = sum(report.skipped.values())
        self.stdout.write(
            f"{'Would ask' if dry_run else 'Asked'} {report.sent} customer(s); "
            f"{'would skip' if dry_run else 'skipped'} {skipped}."
        )
        for decision in report.decisions:
            self.stdout.write(f"  {decision.line()}")
