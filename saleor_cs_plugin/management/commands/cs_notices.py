"""Operators' view of the notice outbox: what waits, what failed, and a sweep now."""

from django.core.management.base import BaseCommand
from django.db.models import Count
from saleor.core.db.connection import allow_writer

from ... import outbox, tasks
from ...domain.notices import NoticeStatus
from ...models import Notice


class Command(BaseCommand):
    help = (
        "Lists pending and failed customer-service notices; with --sweep, delivers "
        "every due notice now, in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            choices=[status.value for status in NoticeStatus],
            action="append",
            help="List notices in this state (repeatable; default: pending, failed).",
        )
        parser.add_argument(
            "--limit", type=int, default=50, help="List at most this many (50)."
        )
        parser.add_argument(
            "--sweep",
            action="store_true",
            help="Deliver every due notice now and report each outcome.",
        )

    def handle(self, *args, status=None, limit=50, sweep=False, **options):
        if sweep:
            self._sweep()
        statuses = status or [NoticeStatus.PENDING, NoticeStatus.FAILED]
        counts = dict(Notice.objects.values_list("status").annotate(count=Count("id")))
        self.stdout.write(
            "Notices: "
            + ", ".join(f"{s.value} {counts.get(s.value, 0)}" for s in NoticeStatus)
        )
        notices = Notice.objects.filter(status__in=statuses).order_by("-created_at")
        for notice in notices[:limit]:
            self.stdout.write(
                f"{notice.pk}  {notice.status:<8} {notice.notice_type:<22} "
                f"{notice.transport:<13} attempts={notice.attempts} "
                f"next={notice.next_attempt_at:%Y-%m-%d %H:%M} "
                f"{notice.recipient_email or '-'}  {notice.last_error}".rstrip()
            )

    def _sweep(self):
        outcomes: dict[str, int] = {}
        with allow_writer():
            while notice_ids := outbox.due_notice_ids(tasks.SWEEP_BATCH):
                for notice_id in notice_ids:
                    outcome = tasks.deliver_notice(notice_id)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if len(notice_ids) < tasks.SWEEP_BATCH:
                    break
        summary = ", ".join(
            f"{name} {count}" for name, count in sorted(outcomes.items())
        )
        self.stdout.write(f"Sweep: {summary or 'nothing was due'}")
