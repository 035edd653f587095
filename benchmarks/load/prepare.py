"""The store the load test runs against, written once per run before ``bin/serve``
starts: a channel of its own with the plugin set up (left inactive; the load
switches it), two vouchers whose codes always apply, one customer per storefront
client with a service history to page through, a few checkouts each (a line, an
address and a delivery method), and the tokens the clients and the switch send.

Runs inside Saleor, with the settings and signing key ``bin/serve`` will use, and
writes what the load needs as JSON to the path given as its argument.
"""

import json
import os
import sys
import uuid
from datetime import timedelta
from decimal import Decimal

import bench_support  # noqa: F401 (sets Django up)
import graphene
from django.conf import settings
from django.test import Client
from django.utils import timezone
from saleor.account.models import User
from saleor.checkout.models import Checkout
from saleor.core.jwt import create_access_token
from saleor.discount import DiscountValueType, VoucherType
from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode

from checkout_complete import make_store, new_checkout
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.domain.history import Actor, ContactChannel, EntryType
from saleor_cs_plugin.models import ServiceHistoryEntry

CUSTOMERS = int(os.environ.get("LOAD_USERS", "20"))
CHECKOUTS_PER_CUSTOMER = int(os.environ.get("LOAD_CHECKOUTS_PER_CUSTOMER", "4"))
HISTORY_ENTRIES = 30  # more than the page of 20 the clients ask for
HISTORY_PAGE = 20
# Two codes, so that every apply changes the checkout's code (the clients alternate).
PERCENTS_OFF = (Decimal(10), Decimal(5))


def add_vouchers(channel) -> list[str]:
    """Entire-order vouchers listed in the channel, one code each, no usage limit:
    every apply succeeds, so the plugin's rate limit on failed codes never starts."""
    codes = []
    for number, percent in enumerate(PERCENTS_OFF, start=1):
        code = f"LOAD-{channel.slug.upper()}-{number}"
        voucher = Voucher.objects.create(
            type=VoucherType.ENTIRE_ORDER,
            name=code,
            discount_value_type=DiscountValueType.PERCENTAGE,
        )
        VoucherCode.objects.create(voucher=voucher, code=code)
        VoucherChannelListing.objects.create(
            voucher=voucher, channel=channel, discount_value=percent, currency="USD"
        )
        codes.append(code)
    return codes


def add_customer(channel, number: int):
    email = f"load-{channel.slug}-{number}@example.com"
    user = User.objects.create(email=email, is_active=True)
    now = timezone.now()
    ServiceHistoryEntry.objects.bulk_create(
        ServiceHistoryEntry(
            created_at=now - timedelta(hours=entry),
            type=EntryType.CONTACT,
            user=user,
            customer_email=email,
            contact_channel=ContactChannel.PHONE,
            actor=Actor.STAFF,
            is_customer_visible=True,
            message=f"Asked about delivery times ({entry}).",
            is_resolved_at_first_contact=True,
        )
        for entry in range(HISTORY_ENTRIES)
    )
    return user


def main(output_path: str):
    channel, method, variant, configuration = make_store()
    configuration.active = True
    configuration.save(update_fields=["active"])
    codes = add_vouchers(channel)
    client = Client(SERVER_NAME="127.0.0.1")
    customers = []
    for number in range(CUSTOMERS):
        user = add_customer(channel, number)
        checkout_ids = [
            new_checkout(client, channel, method, [variant])
            for _ in range(CHECKOUTS_PER_CUSTOMER)
        ]
        Checkout.objects.filter(
            token__in=[
                uuid.UUID(graphene.Node.from_global_id(checkout_id)[1])
                for checkout_id in checkout_ids
            ]
        ).update(user=user, email=user.email)
        customers.append(
            {"token": create_access_token(user), "checkoutIds": checkout_ids}
        )
    staff = User.objects.create(
        email=f"load-staff-{channel.slug}@example.com",
        is_staff=True,
        is_superuser=True,
        is_active=True,
    )
    store = {
        "channelId": graphene.Node.to_global_id("Channel", channel.pk),
        "channelSlug": channel.slug,
        "pluginId": PLUGIN_ID,
        "codes": codes,
        "historyPage": HISTORY_PAGE,
        "staffToken": create_access_token(staff),
        "tokenLifetimeSeconds": int(settings.JWT_TTL_ACCESS.total_seconds()),
        "customers": customers,
    }
    with open(output_path, "w", encoding="utf-8") as file:
        json.dump(store, file, indent=1)
    print(
        f"Store {channel.slug}: {len(customers)} customers with "
        f"{HISTORY_ENTRIES} history entries and {CHECKOUTS_PER_CUSTOMER} checkouts "
        f"each, codes {', '.join(codes)}"
    )


if __name__ == "__main__":
    main(sys.argv[1])
