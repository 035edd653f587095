"""Operators' run of the retention purge: now, or as a dry run."""

from django.core.management.base import BaseCommand
from django.utils import timezone
from saleor.core.db.connection import allow_writer

from ... import retention


class Command(BaseCommand):
    help = (
        "Purges the personal data each channel's retention period no longer keeps: "
        "the code, checkout and client address of old failed coupon attempts, what "
        "old finished notices said and to whom, the comments of old survey "
        "answers, and what was said in conversations resolved long ago. With --dry-run, counts them and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be purged; write nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        with allow_writer():
            report = retention.purge(timezone.now(), dry_run=dry_run)
        verb = "Would purge" if dry_run else "Purged"
        self.stdout.write(
            f"{verb}: {report.coupon_attempts} coupon attempt(s), "
            f"{report.notices} notice(s), {report.survey_comments} survey comment(s), "
            f"{report.conversations} conversation(s)."
        )
