"""Who sent a message: the customer behind a sender's address, if the store holds
that address as one the customer controls.

- An e-mail address links to the account with that e-mail, else to the guest who
  placed orders under it.
- A phone number links to the one account with it on one of its addresses, else to
  the one customer (account or guest e-mail) whose orders' addresses carry it.
- Anything else (a social handle), an address shared by several customers, or an
  order number alone links nothing: the conversation stays unlinked until staff
  link it.

An order reference attaches its order only when that order is the linked
customer's; otherwise it is ignored, and nothing about the order is said.
"""

from dataclasses import dataclass

import phonenumbers
from django.db.models import Q
from saleor.account.models import User
from saleor.order.models import Order

from ..config import is_email_address
from ..domain.history import ContactChannel


@dataclass(frozen=True)
class Customer:
    """A linked customer: an account (with its e-mail), or a guest's e-mail."""

    user_id: int | None
    email: str


def normalized_sender(
    contact_channel: ContactChannel, sender: str, default_country: str
) -> str:
    """The sender's address as conversations are keyed: an e-mail in lower case, a
    phone number in E.164 (read in the channel's country when it has no country
    code), anything else as given."""
    sender = sender.strip()
    if is_email_address(sender):
        return sender.lower()
    if contact_channel in (
        ContactChannel.SMS,
        ContactChannel.PHONE,
    ) or sender.startswith("+"):
        phone = _phone(sender, default_country)
        if phone:
            return phone
    return sender


def _phone(text: str, default_country: str) -> str:
    try:
        number = phonenumbers.parse(text, default_country or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find_customer(sender: str) -> Customer | None:
    """The customer behind a normalized sender, or None (unknown or ambiguous)."""
    if "@" in sender:
        return _by_email(sender)
    if sender.startswith("+") and sender[1:].isdigit():
        return _by_phone(sender)
    return None


def _by_email(email: str) -> Customer | None:
    users = list(
        User.objects.filter(email__iexact=email).values_list("pk", "email")[:2]
    )
    if len(users) == 1:
        return Customer(user_id=users[0][0], email=users[0][1])
    if users:
        return None
    if Order.objects.filter(user_email__iexact=email).exists():
        return Customer(user_id=None, email=email)
    return None


def _by_phone(phone: str) -> Customer | None:
    users = list(
        User.objects.filter(addresses__phone=phone)
        .values_list("pk", "email")
        .distinct()[:2]
    )
    if len(users) == 1:
        return Customer(user_id=users[0][0], email=users[0][1])
    if users:
        return None
    placed = set(
        Order.objects.filter(
            Q(billing_address__phone=phone) | Q(shipping_address__phone=phone)
        )
        .values_list("user_id", "user_email")
        .distinct()[:20]
    )
    accounts = {user_id for user_id, _ in placed if user_id is not None}
    emails = {email.lower() for user_id, email in placed if user_id is None and email}
    if len(accounts) == 1 and not emails:
        user = User.objects.filter(pk=next(iter(accounts))).values_list(
            "email", flat=True
        )
        return Customer(user_id=next(iter(accounts)), email=user.first() or "")
    if len(emails) == 1 and not accounts:
        return Customer(user_id=None, email=next(iter(emails)))
    return None


def customers_order(customer: Customer | None, channel_id, reference: str):
    """The order ``reference`` (its number) names, when it is this customer's in
    this channel; otherwise None, whatever the reference is."""
    number = reference.strip().lstrip("#")
    if customer is None or not number.isdigit():
        return None
    return (
        Order.objects.filter(channel_id=channel_id, number=int(number))
        .filter(orders_of(customer))
        .first()
    )


def orders_of(customer: Customer) -> Q:
    """The orders the customer placed: on their account, or under their e-mail."""
    mine = Q(user_email__iexact=customer.email) if customer.email else Q(pk__in=[])
    if customer.user_id is not None:
        mine |= Q(user_id=customer.user_id)
    return mine
