"""A deleted customer's history keeps what happened but loses who it was."""

import graphene
import pytest
from saleor.graphql.tests.utils import get_graphql_content

from saleor_cs_plugin.domain.history import Actor, ContactChannel, EntryType
from saleor_cs_plugin.models import ServiceHistoryEntry

pytestmark = pytest.mark.django_db

CUSTOMER_DELETE = """
mutation Delete($id: ID!) {
  customerDelete(id: $id) { errors { field message } }
}
"""


def _entry(user, email, message, order=None):
    return ServiceHistoryEntry.objects.create(
        type=EntryType.CONTACT,
        user=user,
        customer_email=email,
        order=order,
        contact_channel=ContactChannel.PHONE,
        actor=Actor.STAFF,
        is_customer_visible=True,
        message=message,
        details={"phone": "+1 555 0100"},
        is_resolved_at_first_contact=True,
    )


def _assert_anonymized(entries):
    for entry in entries:
        entry.refresh_from_db()
        assert (entry.user_id, entry.customer_email, entry.message, entry.details) == (
            None,
            "",
            "",
            {},
        )
        assert entry.type == EntryType.CONTACT
        assert entry.is_resolved_at_first_contact is True


def test_customer_deleted_by_staff_is_anonymized_in_history(
    staff_api_client, permission_manage_users, customer_user, customer_user2
):
    # given
    staff_api_client.user.user_permissions.add(permission_manage_users)
    deleted = _entry(customer_user, customer_user.email, "Called about sizes.")
    guest = _entry(None, customer_user.email, "Asked as a guest before signing up.")
    kept = _entry(customer_user2, customer_user2.email, "Another customer's call.")

    # when
    content = get_graphql_content(
        staff_api_client.post_graphql(
            CUSTOMER_DELETE,
            {"id": graphene.Node.to_global_id("User", customer_user.pk)},
        )
    )

    # then
    assert content["data"]["customerDelete"]["errors"] == []
    _assert_anonymized([deleted, guest])
    kept.refresh_from_db()
    assert (kept.user_id, kept.customer_email, kept.message) == (
        customer_user2.pk,
        customer_user2.email,
        "Another customer's call.",
    )


def test_users_deleted_in_bulk_outside_graphql_are_anonymized(
    customer_user, customer_user2, staff_user
):
    # given two customers' entries, one logged by a staff user who stays
    first = _entry(customer_user, customer_user.email, "First customer's call.")
    second = _entry(customer_user2, customer_user2.email, "Second customer's call.")
    ServiceHistoryEntry.objects.filter(pk=first.pk).update(acting_user=staff_user)

    # when both accounts are deleted with one queryset delete (as an admin would)
    User = type(customer_user)
    User.objects.filter(pk__in=[customer_user.pk, customer_user2.pk]).delete()

    # then
    _assert_anonymized([first, second])
    first.refresh_from_db()
    assert first.acting_user_id == staff_user.pk


def test_history_entries_cannot_be_rewritten(customer_user):
    entry = _entry(customer_user, customer_user.email, "Called.")
    entry.message = "Something else."

    with pytest.raises(ValueError) as error:
        entry.save()

    assert str(error.value) == (
        "The service history is append-only: add a new entry instead."
    )
    assert ServiceHistoryEntry.objects.get().message == "Called."
