"""The plugin's tables. The service history is append-only: rows are added, and only
anonymization rewrites them."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from .domain.history import Actor, ContactChannel, EntryType


# What anonymization leaves of an entry: what happened and when stays (it feeds the
# store's service metrics); who it was, what was said and the details go.
ANONYMIZED_VALUES = {
    "user": None,
    "customer_email": "",
    "message": "",
    # A plain dict cannot key Django's batched updates; an expression can.
    "details": models.Value({}, output_field=models.JSONField()),
    "checkout_token": None,
}


def anonymize_customer(collector, field, sub_objs, using):
    """``on_delete`` of the customer link: keep the entries, forget the customer.

    It runs inside Django's deletion of a user, whichever way Saleor deletes it
    (staff or self-service mutations, bulk deletes, the admin), so no deleted
    customer is left behind in the history. Entries from the time the customer
    shopped as a guest, under the same e-mail address, are anonymized with them.
    """
    entries = list(sub_objs)
    emails = {entry.customer_email for entry in entries if entry.customer_email}
    if emails:
        entries += list(
            field.model._base_manager.using(using).filter(
                user__isnull=True, customer_email__in=emails
            )
        )
    for name, value in ANONYMIZED_VALUES.items():
        collector.add_field_update(field.model._meta.get_field(name), value, entries)


class ServiceHistoryEntry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    type = models.CharField(
        max_length=32, choices=[(t.value, t.name) for t in EntryType]
    )
    # The customer: a user, or for guests only an e-mail. Both stay when the user is
    # known, so a history can be found from either.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=anonymize_customer,
        related_name="+",
    )
    customer_email = models.EmailField(blank=True, default="")
    order = models.ForeignKey(
        "order.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Checkouts are deleted when completed or abandoned; the token outlives them.
    checkout_token = models.UUIDField(null=True, blank=True)
    contact_channel = models.CharField(
        max_length=16, choices=[(c.value, c.name) for c in ContactChannel]
    )
    actor = models.CharField(max_length=16, choices=[(a.value, a.name) for a in Actor])
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acting_app = models.ForeignKey(
        "app.App",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_customer_visible = models.BooleanField(default=False)
    message = models.TextField(blank=True, default="")
    details = models.JSONField(blank=True, default=dict, encoder=DjangoJSONEncoder)
    # Only for contacts: was the customer's matter settled in that one contact?
    is_resolved_at_first_contact = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(
                fields=["user", "-created_at"], name="cs_history_user_created"
            ),
            models.Index(
                fields=["order", "-created_at"], name="cs_history_order_created"
            ),
            models.Index(
                fields=["customer_email", "-created_at"],
                name="cs_history_email_created",
            ),
        ]

    def __str__(self):
        return f"{self.type} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(
                "The service history is append-only: add a new entry instead."
            )
        super().save(*args, **kwargs)
