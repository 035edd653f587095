"""Copies the staff alerts that earlier versions wrote into the service history into
the staff inbox, open, so staff find them there. The history entries stay (the
history is append-only); going back deletes the copies."""

from django.db import migrations

CAUSE_PREFIX = "history:"
TITLE_MAX_LENGTH = 255
BATCH_SIZE = 1000


def alert_title(message: str) -> str:
    """The first sentence of an alert's message, on one line, cut to fit."""
    text = " ".join(message.split())
    end = text.find(". ")
    title = text[: end + 1] if end >= 0 else text
    if len(title) > TITLE_MAX_LENGTH:
        title = title[: TITLE_MAX_LENGTH - 1].rstrip() + "…"
    return title or "Staff alert"


def copy_history_alerts(apps, schema_editor):
    ServiceHistoryEntry = apps.get_model("saleor_cs_plugin", "ServiceHistoryEntry")
    StaffAlert = apps.get_model("saleor_cs_plugin", "StaffAlert")
    Channel = apps.get_model("channel", "Channel")
    using = schema_editor.connection.alias
    entries = (
        ServiceHistoryEntry.objects.using(using)
        .filter(type="staff_alert")
        .order_by("created_at", "pk")
    )
    slugs = set(entries.order_by().values_list("details__channel", flat=True))
    channel_ids = dict(
        Channel.objects.using(using)
        .filter(slug__in=[slug for slug in slugs if isinstance(slug, str)])
        .values_list("slug", "pk")
    )
    alerts = []
    for entry in entries.iterator(chunk_size=BATCH_SIZE):
        details = entry.details if isinstance(entry.details, dict) else {}
        alerts.append(
            StaffAlert(
                created_at=entry.created_at,
                updated_at=entry.created_at,
                kind="promoted_code",
                cause_key=f"{CAUSE_PREFIX}{entry.pk}",
                channel_id=channel_ids.get(details.get("channel")),
                order_id=entry.order_id,
                title=alert_title(entry.message),
                message=entry.message,
                details=entry.details,
                occurrences=1,
                last_seen_at=entry.created_at,
            )
        )
        if len(alerts) == BATCH_SIZE:
            _save(StaffAlert, alerts, using)
            alerts = []
    _save(StaffAlert, alerts, using)


def _save(StaffAlert, alerts, using):
    # An entry already copied (its alert still open) is left as it is.
    StaffAlert.objects.using(using).bulk_create(alerts, ignore_conflicts=True)


def delete_copied_alerts(apps, schema_editor):
    StaffAlert = apps.get_model("saleor_cs_plugin", "StaffAlert")
    StaffAlert.objects.using(schema_editor.connection.alias).filter(
        cause_key__startswith=CAUSE_PREFIX
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_cs_plugin", "0007_staff_inbox"),
    ]

    operations = [
        migrations.RunPython(copy_history_alerts, delete_copied_alerts),
    ]
