"""Operators' run of the delivery-promise sweep: now, or as a dry run."""

from django.core.management.base import BaseCommand
from django.utils import timezone
from saleor.core.db.connection import allow_writer

from ... import promises, tasks


class Command(BaseCommand):
    help = (
        "Reviews every due delivery promise once: queues a notice to each customer "
        "whose order became at risk or late (the notice worker sends it). With "
        "--dry-run, lists the notices it would queue and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the notices the sweep would queue; write nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        with allow_writer():
            if dry_run:
                notice_ids, planned = promises.sweep(now, dry_run=True)
            else:
                promises.backfill_promises(now)
                notice_ids, planned = promises.sweep(now)
                tasks.schedule_delivery(notice_ids)
        self.stdout.write(
            f"{'Would queue' if dry_run else 'Queued'} {len(planned)} notice(s):"
        )
        for notice in planned:
            self.stdout.write(
                f"  order #{notice.order_number}  {notice.stage.value}  "
                f"{notice.recipient_email or '-'}  {notice.message.subject}"
            )
