"""Every GraphQL example of README.md and docs/*.md, run against Saleor's /graphql/.

How a document shows an example:

- a ```graphql block holds exactly one named operation (what a reader pastes into a
  GraphQL client, which refuses a second operation next to an anonymous one);
- a ```json block right after it (nothing but blank lines between) holds its
  variables;
- a ```json block holding only ``{"data": ...}``, before the next example, is the
  answer it documents.

Each operation name is registered below, in ``EXAMPLES``, with its setup: the Saleor
fixtures and plugin rows that make the example true, the documented caller (anonymous,
customer, staff or app with the permissions the docs name), the variables only a
running store knows (IDs, dates relative to now) and the parts of the answer that vary
from run to run. An example nobody registered fails, so a new example comes with its
setup; a registered name no document shows fails too. The answer must have no errors
and, where the document shows one, be the documented one: the same fields, the same
lists and the same values, except where a substituted variable or a varying path says
otherwise.
"""

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import graphene
import pytest
from django.utils import timezone
from graphql.language import ast
from graphql.language.parser import parse
from saleor.account.models import Address, User
from saleor.discount import DiscountValueType, VoucherType
from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order.models import Order
from saleor.plugins.models import PluginConfiguration
from saleor.warehouse.models import Stock
from shortage_support import (
    item_name,
    make_variant,
    run_sweep,
    set_stock,
    short_line,
    shortage_notices,
    shortage_settings,
)
from storefront import place_order, start_checkout
from survey_support import opened_by, sent_survey, survey_id, token_of

from conftest import WEBHOOK_SECRET
from order_rows import open_orders
from saleor_cs_plugin import (
    config,
    events,
    fetch,
    outbox,
    promises,
    promoted_codes,
    tasks,
)
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.conversations import identity as conversation_identity
from saleor_cs_plugin.conversations import record as conversation_record
from saleor_cs_plugin.conversations import reply as conversation_reply
from saleor_cs_plugin.domain.conversations import InboundMessage
from saleor_cs_plugin.domain.history import ContactChannel
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType, idempotency_key
from saleor_cs_plugin.domain.surveys import AnswerChange, Moment, SurveyStatus
from saleor_cs_plugin.graphql.schema import MOUNTED_FIELDS
from saleor_cs_plugin.surveys import answers as survey_answers
from saleor_cs_plugin.models import (
    Conversation,
    DeliveryPromise,
    NoticePreference,
    PromotedCode,
    ServiceHistoryEntry,
    StaffAlert,
    StockShortage,
    Survey,
)

pytestmark = pytest.mark.django_db

REPOSITORY = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPOSITORY / "README.md", *sorted((REPOSITORY / "docs").glob("*.md"))]

FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[^`]*)$")


# Reading the documents --------------------------------------------------------------


@dataclass(frozen=True)
class CodeBlock:
    language: str
    text: str
    # Lines of the opening and closing fences, counted from 1.
    first_line: int
    last_line: int


def code_blocks(lines: list[str]) -> list[CodeBlock]:
    blocks = []
    number = 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        if not opening:
            number += 1
            continue
        indent = len(opening["indent"])
        body = []
        end = number + 1
        while end < len(lines) and lines[end].strip() != "```":
            # A block inside a list item is indented with the item.
            body.append(
                lines[end][indent:] if not lines[end][:indent].strip() else lines[end]
            )
            end += 1
        info = opening["info"].strip()
        blocks.append(
            CodeBlock(
                language=info.split()[0] if info else "",
                text="\n".join(body),
                first_line=number + 1,
                last_line=end + 1,
            )
        )
        number = end + 1
    return blocks


@dataclass(frozen=True)
class DocumentedExample:
    document: str
    line: int
    operation: str
    name: str = ""
    variables: dict = field(default_factory=dict)
    answer: dict | None = None
    # Why the block is not a usable example; empty when it is.
    problem: str = ""

    @property
    def place(self) -> str:
        return f"{self.document}, line {self.line}"


def _json(block: CodeBlock):
    try:
        return json.loads(block.text)
    except json.JSONDecodeError as error:
        return error


def _is_answer(value) -> bool:
    return isinstance(value, dict) and set(value) == {"data"}


def _operation_name(text: str) -> tuple[str, str]:
    """The name of the block's one operation, or why the block is not one."""
    try:
        document = parse(text)
    except Exception as error:  # noqa: BLE001 - graphql-core 2 raises GraphQLSyntaxError
        return "", f"the block is not GraphQL: {error}"
    operations = [
        d for d in document.definitions if isinstance(d, ast.OperationDefinition)
    ]
    if len(operations) != 1:
        return "", (
            f"the block holds {len(operations)} operations; give each example a "
            "block of its own, as a reader pastes one operation at a time"
        )
    if operations[0].name is None:
        return "", "the operation has no name; name it (query MyOrders { ... })"
    return operations[0].name.value, ""


def examples_of(path: Path) -> list[DocumentedExample]:
    lines = path.read_text().splitlines()
    blocks = code_blocks(lines)
    document = str(path.relative_to(REPOSITORY))
    examples = []
    for index, block in enumerate(blocks):
        if block.language != "graphql":
            continue
        name, problem = _operation_name(block.text)
        following = []
        for later in blocks[index + 1 :]:
            if later.language == "graphql":
                break
            following.append(later)
        variables = {}
        if (
            following
            and following[0].language == "json"
            and not "".join(
                lines[block.last_line : following[0].first_line - 1]
            ).strip()
            and not _is_answer(_json(following[0]))
        ):
            parsed = _json(following[0])
            if isinstance(parsed, dict):
                variables = parsed
            else:
                problem = problem or f"its variables are not a JSON object: {parsed}"
        answers = [
            _json(b) for b in following if b.language == "json" and _is_answer(_json(b))
        ]
        if len(answers) > 1:
            problem = problem or "it is followed by more than one answer"
        examples.append(
            DocumentedExample(
                document=document,
                line=block.first_line,
                operation=block.text,
                name=name,
                variables=variables,
                answer=answers[0] if answers else None,
                problem=problem,
            )
        )
    return examples


DOCUMENTED = [example for path in DOCUMENTS for example in examples_of(path)]


# What each example needs ------------------------------------------------------------


@dataclass
class Prepared:
    """An example made true: who calls it, the variables a running store gives it,
    and what is checked beyond the documented answer."""

    client: object
    variables: dict = field(default_factory=dict)
    # Paths in the answer whose values vary (list items as '*'), e.g.
    # 'me.serviceHistory.edges.*.node.createdAt'.
    varying: frozenset = frozenset()
    # Exact assertions on the answer's data, and on the side effects.
    check: Callable[[dict], None] | None = None


EXAMPLES: dict[str, Callable] = {}


def example(name: str):
    """Registers the setup of the documented operation ``name``."""

    def register(setup):
        assert name not in EXAMPLES, f"{name} is registered twice"
        EXAMPLES[name] = setup
        return setup

    return register


def staff_with(fixture, *permissions):
    """Saleor's staff client, given ``permissions`` (fixture names) through a
    permission group, as Saleor grants them."""
    return fixture("staff_in_group")(*(fixture(name) for name in permissions))


def app_with(fixture, *permissions):
    client = fixture("app_api_client")
    client.app.permissions.add(*(fixture(name) for name in permissions))
    return client


def global_id(type_name: str, pk) -> str:
    return graphene.Node.to_global_id(type_name, pk)


def as_slug(channel, slug: str):
    """Saleor's demo data names its channels default-channel and channel-pln."""
    channel.slug = slug
    channel.save(update_fields=["slug"])
    return channel


def contact(
    customer,
    order=None,
    *,
    summary="Asked about delivery times.",
    is_customer_visible=True,
    contact_channel=ContactChannel.PHONE,
):
    return events.contact_logged_event(
        contact_channel=contact_channel,
        summary=summary,
        is_resolved_at_first_contact=True,
        is_customer_visible=is_customer_visible,
        user=customer,
        order=order,
    )


# README.md ---------------------------------------------------------------------------


EXAMPLE_SETTINGS = {
    "time_zone": "Europe/Warsaw",
    "storefront_url": "https://shop.example.com",
    "notice_transports": "* = email",
    "smtp_host": "smtp.example.com",
    "sender_address": "care@example.com",
}


@example("EnableCustomerService")
def _enable(fixture):
    channel = fixture("channel_USD")

    def check(data):
        assert data["pluginUpdate"] == {
            "plugin": {"name": "Customer service"},
            "errors": [],
        }
        configuration = PluginConfiguration.objects.get(
            identifier=PLUGIN_ID, channel=channel
        )
        values = {item["name"]: item["value"] for item in configuration.configuration}
        assert configuration.active is True
        assert {name: values[name] for name in EXAMPLE_SETTINGS} == EXAMPLE_SETTINGS
        settings = fetch.channel_settings(channel.pk)
        assert set(settings.notices.transports.values()) == {"email"}

    return Prepared(
        staff_with(fixture, "permission_manage_plugins"),
        {"channelId": global_id("Channel", channel.pk)},
        check=check,
    )


@example("MyServiceHistory")
def _my_history(fixture):
    fixture("plugin_configuration")()
    customer, order = fixture("customer_user"), fixture("order_with_lines")
    contact(customer, order, summary="Called about the parcel; it left today.")
    contact(customer, summary="Staff only.", is_customer_visible=False)

    def check(data):
        (edge,) = data["me"]["serviceHistory"]["edges"]
        assert {**edge["node"], "createdAt": None} == {
            "type": "CONTACT",
            "createdAt": None,
            "contactChannel": "PHONE",
            "message": "Called about the parcel; it left today.",
            "order": {"number": str(order.number)},
        }
        assert data["me"]["serviceHistory"]["pageInfo"]["hasNextPage"] is False

    return Prepared(fixture("user_api_client"), check=check)


@example("LogPhoneCall")
def _log_call(fixture):
    fixture("plugin_configuration")()
    customer, order = fixture("customer_user"), fixture("order_with_lines")
    client = staff_with(fixture, "permission_manage_users", "permission_manage_orders")

    def check(data):
        assert data["serviceContactLog"] == {
            "entry": {
                "type": "CONTACT",
                "contactChannel": "PHONE",
                "message": "Called about the late parcel; promised a call back by "
                "Friday.",
                "isResolvedAtFirstContact": False,
                "actingUser": {"email": client.user.email},
            },
            "errors": [],
        }
        entry = ServiceHistoryEntry.objects.get()
        assert (entry.user_id, entry.order_id, entry.is_customer_visible) == (
            customer.pk,
            order.pk,
            True,
        )

    return Prepared(
        client,
        {
            "customer": global_id("User", customer.pk),
            "order": global_id("Order", order.pk),
        },
        check=check,
    )


def shop(fixture, **settings):
    """The USD channel taking unpaid orders, with a shipping method delivering in 2 to
    4 days, the plugin active with ``settings``, and Saleor's product at 10 USD."""
    channel = fixture("channel_USD")
    channel.allow_unpaid_orders = True
    channel.automatically_confirm_all_new_orders = True
    channel.save()
    method = fixture("shipping_method")
    method.minimum_delivery_days, method.maximum_delivery_days = 2, 4
    method.save()
    fixture("plugin_configuration")(quiet_hours="", **settings)
    return channel


def demo_vouchers(*channels):
    """Two vouchers of Saleor's demo data, listed in ``channels``: DISCOUNT, 25 off
    orders of at least 200, and VCO9KV98LC, 5 % off."""
    for code, value_type, value, min_spent in (
        ("DISCOUNT", DiscountValueType.FIXED, 25, Decimal(200)),
        ("VCO9KV98LC", DiscountValueType.PERCENTAGE, 5, None),
    ):
        voucher = Voucher.objects.create(
            name=code, type=VoucherType.ENTIRE_ORDER, discount_value_type=value_type
        )
        VoucherCode.objects.create(code=code, voucher=voucher)
        for channel in channels:
            VoucherChannelListing.objects.create(
                voucher=voucher,
                channel=channel,
                discount_value=value,
                currency=channel.currency_code,
                min_spent_amount=min_spent,
            )


def checkout_of_three(fixture, client, channel, *, with_delivery=False):
    """A checkout of 3 units of Saleor's product (30 USD); its global id."""
    return start_checkout(
        client,
        channel=channel,
        lines=[(fixture("product").variants.get(), 3)],
        shipping_method=fixture("shipping_method") if with_delivery else None,
    )


@example("MyOrderPromises")
def _my_promises(fixture):
    channel = shop(fixture)
    client = fixture("user_api_client")
    placed = place_order(
        client,
        channel=channel,
        lines=[(fixture("product").variants.get(), 2)],
        shipping_method=fixture("shipping_method"),
    )

    def check(data):
        promise = DeliveryPromise.objects.get()
        assert data["me"]["orders"]["edges"] == [
            {
                "node": {
                    "number": placed["number"],
                    "deliveryPromise": {
                        "status": "ON_TRACK",
                        "shipBy": promise.ship_by.isoformat(),
                        "deliverFrom": promise.deliver_from.isoformat(),
                        "deliverBy": promise.deliver_by.isoformat(),
                        "customerToldStage": None,
                    },
                }
            }
        ]

    return Prepared(client, check=check)


@example("CheckPromoCode")
@example("CheckPromoCodeInPolish")
def _check_code(fixture):
    channel = shop(fixture)
    demo_vouchers(channel)
    PromotedCode.objects.create(
        code="VCO9KV98LC", channel=channel, placements=["popup"]
    )
    client = fixture("api_client")
    return Prepared(client, {"checkout": checkout_of_three(fixture, client, channel)})


# docs/settings.md --------------------------------------------------------------------


@example("RejectedSetting")
def _rejected_setting(fixture):
    channel = fixture("channel_USD")
    fixture("plugin_configuration")()

    def check(_data):
        configuration = PluginConfiguration.objects.get(
            identifier=PLUGIN_ID, channel=channel
        )
        values = {item["name"]: item["value"] for item in configuration.configuration}
        assert values["time_zone"] == "UTC"

    return Prepared(
        staff_with(fixture, "permission_manage_plugins"),
        {"channelId": global_id("Channel", channel.pk)},
        check=check,
    )


# docs/service-history.md -------------------------------------------------------------


@example("LogGuestChat")
def _log_guest_chat(fixture):
    fixture("plugin_configuration")()

    def check(_data):
        entry = ServiceHistoryEntry.objects.get()
        assert (entry.user_id, entry.order_id, entry.actor) == (None, None, "staff")

    return Prepared(staff_with(fixture, "permission_manage_users"), check=check)


@example("CustomerServiceHistory")
def _customer_history(fixture):
    fixture("plugin_configuration")()
    customer = fixture("customer_user")
    contact(customer, summary="Asked about delivery times.")
    contact(
        customer,
        summary="Staff only: prefers calls after 5 pm.",
        is_customer_visible=False,
    )

    def check(data):
        history = data["user"]["serviceHistory"]
        assert history["totalCount"] == 2
        assert [
            (edge["node"]["message"], edge["node"]["isCustomerVisible"])
            for edge in history["edges"]
        ] == [
            ("Staff only: prefers calls after 5 pm.", False),
            ("Asked about delivery times.", True),
        ]

    return Prepared(
        staff_with(fixture, "permission_manage_users"),
        {"customer": global_id("User", customer.pk)},
        check=check,
    )


@example("OrderServiceHistory")
def _order_history(fixture):
    fixture("plugin_configuration")()
    customer, order = fixture("customer_user"), fixture("order_with_lines")
    contact(customer, order, summary="Called about the parcel; it left today.")

    def check(data):
        assert data["order"] == {
            "number": str(order.number),
            "serviceHistory": {
                "edges": [
                    {
                        "node": {
                            "type": "CONTACT",
                            "contactChannel": "PHONE",
                            "actor": "STAFF",
                            "message": "Called about the parcel; it left today.",
                            "isCustomerVisible": True,
                        }
                    }
                ]
            },
        }

    return Prepared(
        staff_with(fixture, "permission_manage_orders"),
        {"order": global_id("Order", order.pk)},
        check=check,
    )


# docs/notices.md ---------------------------------------------------------------------


class GoneReceiver:
    """A webhook receiver that is gone: it answers 410."""

    def __init__(self):
        self.posts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server API)
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts += 1
                self.send_response(410)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notices"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gone_receiver():
    receiver = GoneReceiver()
    yield receiver
    receiver.stop()


def failed_delay_notice(fixture):
    """A delay notice that the channel's webhook refused for good."""
    receiver = fixture("gone_receiver")
    fixture("plugin_configuration")(
        notice_transports="*=webhook",
        webhook_url=receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        quiet_hours="",
    )
    channel = fixture("channel_USD")
    notice, _ = outbox.enqueue_notice(
        notice_type=NoticeType.ORDER_DELAY,
        idempotency_key=idempotency_key(NoticeType.ORDER_DELAY, "documented"),
        notice_settings=fetch.channel_settings(channel.pk).notices,
        recipient_email="ann@example.com",
        context={"subject": "Order #1042 is late", "message": "We are sorry."},
        channel=channel,
    )
    assert tasks.deliver_notice(notice.pk) == "failed"
    return notice


@example("FailedNotices")
def _failed_notices(fixture):
    failed_delay_notice(fixture)
    return Prepared(
        staff_with(fixture, "permission_manage_orders"),
        varying=frozenset({"serviceNotices.edges.*.node.id"}),
    )


@example("RetryNotice")
def _retry_notice(fixture):
    notice = failed_delay_notice(fixture)

    def check(_data):
        # Delivered again after commit (Saleor's test settings run tasks at once),
        # to a receiver that is still gone.
        assert fixture("gone_receiver").posts == 2
        notice.refresh_from_db()
        assert (notice.status, notice.attempts) == (NoticeStatus.FAILED, 1)

    return Prepared(
        staff_with(fixture, "permission_manage_orders"),
        {"notice": global_id("ServiceNotice", notice.pk)},
        check=check,
    )


@example("KeepOnlyEssentialNotices")
def _opt_out(fixture):
    fixture("plugin_configuration")()
    customer = fixture("customer_user")

    def check(_data):
        assert NoticePreference.objects.get(
            email=customer.email
        ).is_opted_out_of_non_essential

    return Prepared(fixture("user_api_client"), check=check)


@example("MyNoticePreferences")
def _my_preferences(fixture):
    fixture("plugin_configuration")()
    return Prepared(fixture("user_api_client"))


# docs/delivery-promises.md -----------------------------------------------------------


def placed_order(fixture):
    channel = shop(fixture)
    placed = place_order(
        fixture("user_api_client"),
        channel=channel,
        lines=[(fixture("product").variants.get(), 2)],
        shipping_method=fixture("shipping_method"),
    )
    return placed, DeliveryPromise.objects.get()


@example("OrderDeliveryPromise")
def _order_promise(fixture):
    placed, promise = placed_order(fixture)
    line = promise.lines.get()
    sku = fixture("product").variants.get().sku

    def check(data):
        assert data["order"] == {
            "number": placed["number"],
            "deliveryPromise": {
                "status": "ON_TRACK",
                "shippingMethodName": fixture("shipping_method").name,
                "shipBy": promise.ship_by.isoformat(),
                "deliverFrom": promise.deliver_from.isoformat(),
                "deliverBy": promise.deliver_by.isoformat(),
                "estimatedShipBy": None,
                "estimatedDeliverBy": None,
                "notifiedStage": None,
                "customerToldStage": None,
                "shippedAt": None,
                "deliveredAt": None,
                "isDeliveredOnTime": None,
                "closedAt": None,
                "lines": [
                    {
                        # Saleor's product has a variant with no name: its SKU.
                        "name": f"{line.product_name} ({sku})",
                        "productName": line.product_name,
                        "variantName": line.variant_name,
                        "quantity": 2,
                        "shippedAt": None,
                        "isShippedOnTime": None,
                    }
                ],
            },
        }

    return Prepared(
        staff_with(fixture, "permission_manage_orders"),
        {"order": placed["id"]},
        check=check,
    )


@example("ConfirmDelivery")
def _confirm_delivery(fixture):
    placed, promise = placed_order(fixture)
    now = timezone.now()
    DeliveryPromise.objects.filter(pk=promise.pk).update(
        status="shipped_on_time", shipped_at=now, closed_at=now, review_at=None
    )

    def check(_data):
        promise.refresh_from_db()
        assert (promise.status, promise.delivered_at) == ("delivered", now)

    return Prepared(
        staff_with(fixture, "permission_manage_orders"),
        {"order": placed["id"], "deliveredAt": now.isoformat()},
        check=check,
    )


@example("LateOrderAsStaffSeeIt")
def _late_order(fixture):
    receiver = fixture("gone_receiver")
    fixture("plugin_configuration")(
        notice_transports="*=webhook",
        webhook_url=receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        quiet_hours="",
    )
    (order_id,) = open_orders(
        fixture("channel_USD"),
        1,
        ship_by_deadline=timezone.now() - timedelta(hours=1),
        review_at=timezone.now() - timedelta(minutes=1),
    )
    (notice_id,) = _late_order_notices()
    assert tasks.deliver_notice(notice_id) == "failed"

    def check(data):
        decided = data["order"]["events"][0]["message"]
        assert decided.startswith(
            "Delivery promise late: notice to the customer queued (webhook). "
            "Promised ship-by "
        )
        assert decided.endswith("Waiting: 1 × Blue shirt (M).")

    return Prepared(
        staff_with(fixture, "permission_manage_orders"),
        {"order": global_id("Order", order_id)},
        varying=frozenset({"order.events.0.message"}),
        check=check,
    )


def _late_order_notices():
    notice_ids, _ = promises.sweep(timezone.now())
    return notice_ids


# docs/stock-shortages.md -------------------------------------------------------------


@example("AnswerStockShortage")
def _answer_shortage(fixture):
    order, channel = fixture("order_with_lines"), fixture("channel_USD")
    fixture("plugin_configuration")(**shortage_settings())
    line = short_line(order)
    alternative = make_variant(
        line.variant.product,
        channel=channel,
        warehouse=fixture("warehouse"),
        price="21",
        stock=9,
        sku="B-ALT",
        name="Blue",
    )
    set_stock(line, 0)
    run_sweep()
    (notice,) = shortage_notices()

    def check(data):
        result = data["serviceStockShortageChoose"]
        assert result["errors"] == []
        assert {**result["result"], "chosenAt": None} == {
            "choice": "SWITCH",
            "item": item_name(line),
            "alternative": f"{line.variant.product.name} (Blue)",
            "orderNumber": str(order.number),
            "chosenAt": None,
        }
        assert StockShortage.objects.get().chosen_variant_id == alternative.pk

    return Prepared(
        fixture("api_client"),
        {
            "token": notice.context["data"]["choiceToken"],
            "alternative": global_id("ProductVariant", alternative.pk),
        },
        check=check,
    )


# docs/coupons.md ---------------------------------------------------------------------


def coupon_shop(fixture):
    """The shop with Saleor's demo vouchers, VCO9KV98LC promoted."""
    channel = shop(fixture)
    demo_vouchers(channel)
    PromotedCode.objects.create(
        code="VCO9KV98LC", channel=channel, placements=["popup"]
    )
    return channel


@example("CheckPromoCodeInFull")
def _check_code_in_full(fixture):
    channel = coupon_shop(fixture)
    client = fixture("api_client")
    return Prepared(client, {"checkout": checkout_of_three(fixture, client, channel)})


@example("ApplyPromoCode")
def _apply_code(fixture):
    channel = coupon_shop(fixture)
    client = fixture("api_client")
    return Prepared(client, {"checkout": checkout_of_three(fixture, client, channel)})


SALEOR_ADD_PROMO_CODE = """
mutation ($id: ID!, $code: String!) {
  checkoutAddPromoCode(id: $id, promoCode: $code) { errors { field code message } }
}
"""

SALEOR_LINES_UPDATE = """
mutation ($id: ID!, $lines: [CheckoutLineUpdateInput!]!) {
  checkoutLinesUpdate(id: $id, lines: $lines) { errors { field code message } }
}
"""


@example("DroppedPromoCode")
def _dropped_code(fixture):
    channel = coupon_shop(fixture)
    client = fixture("api_client")
    variant = fixture("product").variants.get()
    Stock.objects.filter(product_variant=variant).update(quantity=100)
    checkout = start_checkout(client, channel=channel, lines=[(variant, 20)])
    for query, variables in (
        (SALEOR_ADD_PROMO_CODE, {"id": checkout, "code": "DISCOUNT"}),
        (
            SALEOR_LINES_UPDATE,
            {
                "id": checkout,
                "lines": [
                    {
                        "variantId": global_id("ProductVariant", variant.pk),
                        "quantity": 3,
                    }
                ],
            },
        ),
    ):
        answer = get_graphql_content(client.post_graphql(query, variables))["data"]
        assert next(iter(answer.values()))["errors"] == []
    return Prepared(client, {"checkout": checkout})


def promoted_shop(fixture):
    """Saleor's demo vouchers in the channels named as in Saleor's demo data."""
    shop(fixture)
    channels = [
        as_slug(fixture("channel_USD"), "default-channel"),
        as_slug(fixture("channel_PLN"), "channel-pln"),
    ]
    demo_vouchers(*channels)
    return channels


@example("RegisterPromotedCode")
def _register_code(fixture):
    promoted_shop(fixture)

    def check(_data):
        assert PromotedCode.objects.filter(code="VCO9KV98LC").count() == 2

    return Prepared(
        staff_with(fixture, "permission_manage_discounts"),
        {"promotedUntil": (timezone.now() + timedelta(days=30)).isoformat()},
        check=check,
    )


@example("EndPromotedCode")
def _end_code(fixture):
    for channel in promoted_shop(fixture):
        PromotedCode.objects.create(
            code="VCO9KV98LC", channel=channel, placements=["popup", "email"]
        )

    def check(_data):
        assert sorted(
            PromotedCode.objects.filter(promoted_until__isnull=True).values_list(
                "channel__slug", flat=True
            )
        ) == ["default-channel"]

    return Prepared(staff_with(fixture, "permission_manage_discounts"), check=check)


@example("PromotedCodesNeedingAttention")
def _codes_needing_attention(fixture):
    usd, _ = promoted_shop(fixture)
    ended = timezone.now() - timedelta(hours=2)
    Voucher.objects.filter(codes__code="DISCOUNT").update(end_date=ended)
    for code in ("DISCOUNT", "VCO9KV98LC"):
        PromotedCode.objects.create(
            code=code, channel=usd, placements=["banner"], note="Winter sale"
        )

    def check(data):
        (code,) = data["servicePromotedCodes"]
        assert {**code, "checkedAt": None} == {
            "code": "DISCOUNT",
            "channelSlug": "default-channel",
            "placements": ["BANNER"],
            "promotedUntil": None,
            "isPromoted": True,
            "note": "Winter sale",
            "health": "EXPIRED",
            "endsAt": ended.isoformat(),
            "remainingUses": None,
            "checkedAt": None,
        }

    return Prepared(staff_with(fixture, "permission_manage_discounts"), check=check)


SERVICE_COUPON_CHECK = """
query ($id: ID!, $code: String!) { serviceCouponCheck(id: $id, code: $code) { reason } }
"""


@example("CouponFailureStats")
def _failure_stats(fixture):
    usd, _ = promoted_shop(fixture)
    shopper = fixture("api_client")
    checkout = checkout_of_three(fixture, shopper, usd)
    for code in ("DISCOUNT", "SPRING25", "DISCOUNT"):
        get_graphql_content(
            shopper.post_graphql(SERVICE_COUPON_CHECK, {"id": checkout, "code": code})
        )
    return Prepared(staff_with(fixture, "permission_manage_discounts"))


# docs/staff-inbox.md ----------------------------------------------------------------


def shortage_answered(fixture):
    """A customer switched a short item for an alternative through their link."""
    prepared = _answer_shortage(fixture)
    answered = get_graphql_content(
        fixture("api_client").post_graphql(
            ANSWER_STOCK_SHORTAGE, {**prepared.variables, "choice": "SWITCH"}
        )
    )["data"]["serviceStockShortageChoose"]
    assert answered["errors"] == []
    return answered["result"]


ANSWER_STOCK_SHORTAGE = """
mutation (
  $token: String!, $choice: ServiceStockShortageChoiceEnum!, $alternative: ID
) {
  serviceStockShortageChoose(
    token: $token, choice: $choice, alternative: $alternative
  ) {
    result { item alternative orderNumber }
    errors { field message code }
  }
}
"""


@example("StaffInbox")
def _staff_inbox(fixture):
    answered = shortage_answered(fixture)
    client = staff_with(fixture, "permission_manage_orders")

    def check(data):
        inbox = data["serviceStaffAlerts"]
        assert inbox["totalCount"] == 1
        (edge,) = inbox["edges"]
        alert = StaffAlert.objects.get()
        node = edge["node"]
        assert {**node, "createdAt": None, "lastSeenAt": None, "message": None} == {
            "id": global_id("ServiceStaffAlert", alert.pk),
            "kind": "SHORTAGE_CHOICE",
            "title": f"Order #{answered['orderNumber']}: the customer chose to "
            f"switch from {answered['item']} to {answered['alternative']}",
            "message": None,
            "occurrences": 1,
            "createdAt": None,
            "lastSeenAt": None,
            "isOpen": True,
            "channel": {"slug": fixture("channel_USD").slug},
            "order": {"number": answered["orderNumber"]},
        }
        assert node["message"] == alert.message

    return Prepared(client, check=check)


@example("FailingNotices")
def _failing_notices(fixture):
    failed_delay_notice(fixture)
    return Prepared(staff_with(fixture, "permission_manage_plugins"))


# Always in the past: the promoted code ended then.
CODE_ENDED_AT = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


def expired_promoted_code(fixture):
    """DISCOUNT, promoted on a banner in the default channel, expired; the periodic
    check has alerted staff."""
    usd, _ = promoted_shop(fixture)
    Voucher.objects.filter(codes__code="DISCOUNT").update(end_date=CODE_ENDED_AT)
    PromotedCode.objects.create(code="DISCOUNT", channel=usd, placements=["banner"])
    sweep = promoted_codes.check_promoted_codes(timezone.now())
    assert len(sweep.alerts) == 1
    return StaffAlert.objects.get()


@example("PromotedCodeAlerts")
def _promoted_code_alerts(fixture):
    alert = expired_promoted_code(fixture)

    def check(data):
        (edge,) = data["serviceStaffAlerts"]["edges"]
        assert json.loads(edge["node"]["details"]) == {
            "promotedCodeId": str(PromotedCode.objects.get().pk),
            "code": "DISCOUNT",
            "channel": "default-channel",
            "health": "expired",
            "endsAt": CODE_ENDED_AT.isoformat(),
            "remainingUses": None,
        }
        assert alert.kind == "promoted_code"

    return Prepared(
        staff_with(fixture, "permission_manage_discounts"),
        varying=frozenset({"serviceStaffAlerts.edges.*.node.details"}),
        check=check,
    )


@example("MarkStaffAlertDone")
def _mark_alert_done(fixture):
    alert = expired_promoted_code(fixture)
    client = staff_with(fixture, "permission_manage_discounts")

    def check(data):
        alert.refresh_from_db()
        assert alert.resolved_at is not None
        assert data["serviceStaffAlertResolve"] == {
            "alert": {
                "isOpen": False,
                "resolvedAt": alert.resolved_at.isoformat(),
                "resolvedBy": {"email": client.user.email},
                "resolvedByApp": None,
            },
            "errors": [],
        }
        assert alert.resolved_by_user_id == client.user.pk

    return Prepared(
        client, {"alert": global_id("ServiceStaffAlert", alert.pk)}, check=check
    )


# docs/dashboard.md -------------------------------------------------------------------


@example("CustomerServiceStatus")
def _status_lines(fixture):
    expired_promoted_code(fixture)

    def check(data):
        (usd,) = [
            c
            for c in data["plugin"]["channelConfigurations"]
            if c["channel"]["slug"] == "default-channel"
        ]
        assert usd["configuration"][:9] == [
            {
                "name": "status_staff_alerts",
                "label": "Status now · Open staff alerts",
                "value": "1 open: 1 promoted code",
            },
            {
                "name": "status_failed_notices",
                "label": "Status now · Notices failed in the last 7 days",
                "value": "none",
            },
            {
                "name": "status_orders_at_risk",
                "label": "Status now · Orders at risk or late",
                "value": "none",
            },
            {
                "name": "status_promoted_codes",
                "label": "Status now · Promoted codes needing attention",
                "value": "1 code: 1 expired",
            },
            {
                "name": "status_on_time_shipping",
                "label": "Status now · On-time shipping, last 30 days",
                "value": "no shipped orders yet",
            },
            {
                "name": "status_survey_satisfied",
                "label": "Status now · Satisfied customers, last 30 days",
                "value": "no answers yet",
            },
            {
                "name": "status_survey_response_rate",
                "label": "Status now · Survey response rate, last 30 days",
                "value": "no surveys sent yet",
            },
            {
                "name": "status_conversations_waiting",
                "label": "Status now · Conversations waiting past target",
                "value": "none",
            },
            {
                "name": "status_first_answer_within_target",
                "label": "Status now · First answer within target, last 30 days",
                "value": "no conversations yet",
            },
        ]
        assert [item["name"] for item in usd["configuration"][9:]] == [
            f.name for f in config.FIELDS if f.kind != config.FieldKind.OUTPUT
        ]

    return Prepared(staff_with(fixture, "permission_manage_plugins"), check=check)


def assert_documented_answer(documented, actual, varying, replacements, path=()):
    where = ".".join(path) or "data"
    if any(_matches(path, pattern) for pattern in varying):
        return
    if isinstance(documented, dict):
        assert isinstance(actual, dict), (
            f"{where}: documented an object, got {actual!r}"
        )
        assert sorted(actual) == sorted(documented), (
            f"{where}: documented fields {sorted(documented)}, got {sorted(actual)}"
        )
        for key, value in documented.items():
            assert_documented_answer(
                value, actual[key], varying, replacements, (*path, key)
            )
    elif isinstance(documented, list):
        assert isinstance(actual, list), f"{where}: documented a list, got {actual!r}"
        assert len(actual) == len(documented), (
            f"{where}: documented {len(documented)} items, got {len(actual)}: "
            f"{actual!r}"
        )
        for index, (value, item) in enumerate(zip(documented, actual, strict=True)):
            assert_documented_answer(
                value, item, varying, replacements, (*path, str(index))
            )
    else:
        expected = (
            replacements.get(documented, documented)
            if isinstance(documented, str)
            else documented
        )
        assert actual == expected, f"{where}: documented {documented!r}, got {actual!r}"


def _matches(path: tuple, pattern: str) -> bool:
    parts = pattern.split(".")
    return len(parts) == len(path) and all(
        part in ("*", step) for part, step in zip(parts, path, strict=True)
    )


def _example_id(example: DocumentedExample) -> str:
    return f"{example.document}:{example.name or example.line}"


@pytest.mark.parametrize("documented", DOCUMENTED, ids=_example_id)
def test_documented_example_works(documented, request):
    assert not documented.problem, f"{documented.place}: {documented.problem}"
    setup = EXAMPLES.get(documented.name)
    assert setup is not None, (
        f"{documented.place}: the example {documented.name} has no setup; register one "
        "in EXAMPLES of tests/saleor/test_documented_examples.py"
    )
    prepared = setup(request.getfixturevalue)
    undocumented = set(prepared.variables) - set(documented.variables)
    assert not undocumented, (
        f"{documented.place}: the setup gives variables the document does not show: "
        f"{sorted(undocumented)}"
    )
    assert documented.answer is not None or prepared.check is not None, (
        f"{documented.place}: show the answer in the document or check it in the setup"
    )

    content = get_graphql_content(
        prepared.client.post_graphql(
            documented.operation, {**documented.variables, **prepared.variables}
        )
    )

    if documented.answer is not None:
        replacements = {
            documented.variables[name]: value
            for name, value in prepared.variables.items()
            if isinstance(documented.variables[name], str)
        }
        assert_documented_answer(
            documented.answer["data"], content["data"], prepared.varying, replacements
        )
    if prepared.check is not None:
        prepared.check(content["data"])


# docs/metrics.md --------------------------------------------------------------------


@example("ChannelServiceMetrics")
def _channel_service_metrics(fixture):
    usd = as_slug(fixture("channel_USD"), "default-channel")
    sent_at = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    for number, satisfied in enumerate((True, True, False, None)):
        Survey.objects.create(
            survey_key=f"completed:docs-metrics-{number}",
            moment=Moment.COMPLETED,
            channel=usd,
            email=f"shopper-{number}@example.com",
            status=SurveyStatus.SENT,
            sent_at=sent_at,
            closes_at=sent_at + timedelta(days=14),
            satisfied=satisfied,
            first_answered_at=None if satisfied is None else sent_at,
            answered_at=None if satisfied is None else sent_at,
        )

    def check(data):
        metrics = data["serviceMetrics"]
        assert (
            metrics["surveysSent"],
            metrics["surveysAnswered"],
            metrics["responseRate"],
            metrics["satisfied"],
        ) == (4, 3, 75.0, 66.7)
        assert metrics["repeatPurchase"]["withinDays"] == 90
        assert [
            group["experience"] for group in metrics["repeatPurchase"]["byExperience"]
        ] == ["NO_PROBLEM", "HANDLED_AS_WANTED", "NOT_HANDLED_AS_WANTED", "NO_ANSWER"]

    return Prepared(staff_with(fixture, "permission_manage_orders"), check=check)


@example("ChannelAnswerSpeed")
def _channel_answer_speed(fixture):
    usd = as_slug(fixture("channel_USD"), "default-channel")
    fixture("plugin_configuration")(
        answer_hours="9-17", answer_targets="chat 5 minutes, email 24 hours"
    )

    def at(day, hour, minute=0):
        return datetime(2026, 11, day, hour, minute, tzinfo=UTC)

    for number, (channel, opened, answered, resolved, replies, reopened) in enumerate(
        [
            ("chat", at(3, 10), at(3, 10, 2), at(3, 10, 10), 1, 0),
            ("chat", at(3, 16, 58), at(4, 9, 3), None, 1, 0),
            ("chat", at(6, 16), at(6, 16, 30), at(9, 10), 2, 1),
            ("email", at(13, 16), at(18, 15), None, 1, 0),
        ]
    ):
        Conversation.objects.create(
            channel=usd,
            contact_channel=channel,
            sender=f"shopper-{number}@example.com",
            status="resolved" if resolved else "waiting_on_customer",
            created_at=opened,
            opened_at=opened,
            first_answered_at=answered,
            resolved_at=resolved,
            store_replies=replies,
            reopened=reopened,
        )
    return Prepared(staff_with(fixture, "permission_manage_orders"))


# docs/survey-answers.md --------------------------------------------------------------


def survey_shop(fixture, **settings):
    """A completed order of the customer's ("Linen shirt (M)") in the shop, and the
    survey the sweep sent them about it."""
    channel = shop(fixture, notice_transports="*=saleor_notify", **settings)
    variant = fixture("product").variants.get()
    variant.name = "M"
    variant.save(update_fields=["name"])
    product = variant.product
    product.name = "Linen shirt"
    product.save(update_fields=["name"])
    customer = fixture("customer_user")
    placed = place_order(
        fixture("user_api_client"),
        channel=channel,
        lines=[(variant, 1)],
        shipping_method=fixture("shipping_method"),
        email=customer.email,
    )
    order = Order.objects.get(number=placed["number"])
    return order, sent_survey(moment=Moment.COMPLETED, order=order)


@example("OpenSurvey")
def _open_survey(fixture):
    order, survey = survey_shop(fixture)

    def check(data):
        shown = data["serviceSurvey"]["survey"]
        assert shown["id"] == survey_id(survey)
        assert shown["orderNumber"] == str(order.number)

    return Prepared(
        fixture("api_client"),
        {"token": token_of(survey)},
        varying=frozenset(
            {
                "serviceSurvey.survey.id",
                "serviceSurvey.survey.orderNumber",
                "serviceSurvey.survey.closesAt",
            }
        ),
        check=check,
    )


@example("AnswerSurvey")
def _answer_survey(fixture):
    order, survey = survey_shop(fixture)

    def check(data):
        survey.refresh_from_db()
        assert survey.comment == "It came a week late and the box was crushed."
        assert StaffAlert.objects.get().details["surveyId"] == survey_id(survey)

    return Prepared(fixture("api_client"), {"token": token_of(survey)}, check=check)


@example("MyOpenSurveys")
def _my_open_surveys(fixture):
    order, survey = survey_shop(fixture)

    def check(data):
        (shown,) = data["me"]["serviceSurveys"]
        assert (shown["id"], shown["orderNumber"], opened_by(shown["token"])) == (
            survey_id(survey),
            str(order.number),
            survey.pk,
        )

    return Prepared(
        fixture("user_api_client"),
        varying=frozenset(
            {
                "me.serviceSurveys.*.id",
                "me.serviceSurveys.*.orderNumber",
                "me.serviceSurveys.*.token",
            }
        ),
        check=check,
    )


@example("LogCallBack")
def _log_call_back(fixture):
    order, survey = survey_shop(fixture)
    survey_answers.record_answers(
        token_of(survey),
        AnswerChange(satisfied=False, handled_as_wanted=False),
        now=timezone.now(),
    )

    def check(data):
        assert data["serviceContactLog"]["entry"]["details"] == {
            "surveyId": survey_id(survey)
        }
        assert StaffAlert.objects.get().resolved_at is not None

    return Prepared(
        staff_with(fixture, "permission_manage_orders"),
        {
            "input": {
                "order": global_id("Order", order.pk),
                "survey": survey_id(survey),
                "contactChannel": "PHONE",
                "summary": "Called back: a new box is on its way, shipping refunded.",
                "isResolvedAtFirstContact": True,
                "isCustomerVisible": True,
            }
        },
        varying=frozenset({"serviceContactLog.entry.details"}),
        check=check,
    )


# docs/conversations.md ---------------------------------------------------------------


ANN_PHONE = "+48601000001"


def ann_waiting_by_sms(fixture, *, is_configured=False, **settings):
    """Ann (an account with her phone on an address) wrote by SMS: a conversation
    waiting on the store in the channel the docs call default-channel."""
    channel = as_slug(fixture("channel_USD"), "default-channel")
    if not is_configured:
        fixture("plugin_configuration")(**settings)
    ann = User.objects.create(email="ann@example.com")
    ann.addresses.add(
        Address.objects.create(
            first_name="Ann", last_name="Lee", country="PL", phone=ANN_PHONE
        )
    )
    filed = conversation_record.file_message(
        channel=channel,
        sender=ANN_PHONE,
        message=InboundMessage(
            contact_channel=ContactChannel.SMS,
            sender=ANN_PHONE,
            text="Where is my parcel?",
            message_id="sms-8841",
            sent_at=timezone.now(),
        ),
        customer=conversation_identity.find_customer(ANN_PHONE),
    )
    return Conversation.objects.get(pk=filed.conversation_id)


@example("CustomersWaiting")
def _customers_waiting(fixture):
    ann_waiting_by_sms(fixture)
    return Prepared(staff_with(fixture, "permission_manage_orders"))


@example("ReplyToCustomer")
def _reply_to_customer(fixture):
    receiver = fixture("webhook_receiver")
    conversation = ann_waiting_by_sms(
        fixture, webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET
    )

    def check(data):
        (post,) = receiver.requests
        assert post.json["data"]["to"] == ANN_PHONE
        assert post.json["text"] == "Your parcel left today; it arrives on Friday."

    return Prepared(
        staff_with(fixture, "permission_manage_orders"),
        {"conversation": global_id("ServiceConversation", conversation.pk)},
        check=check,
    )


@example("ReportProblem")
def _report_problem(fixture):
    fixture("plugin_configuration")()
    order = fixture("order_with_lines")

    def check(data):
        alert = StaffAlert.objects.get()
        assert (alert.kind, alert.order_id) == ("problem_reported", order.pk)

    return Prepared(fixture("api_client"), {"token": str(order.pk)}, check=check)


# Documented payloads ------------------------------------------------------------------


def documented_payloads() -> list[dict]:
    """The webhook payloads docs/notices.md and docs/conversations.md show (their
    JSON with an idempotencyKey)."""
    return [
        json.loads(block.text)
        for document in ("notices.md", "conversations.md")
        for block in code_blocks(
            (REPOSITORY / "docs" / document).read_text().splitlines()
        )
        if block.language == "json" and '"idempotencyKey"' in block.text
    ]


def _late_order_notice(fixture):
    now = timezone.now()
    open_orders(
        fixture("channel_USD"),
        1,
        ship_by_deadline=now - timedelta(hours=1),
        review_at=now - timedelta(minutes=1),
    )
    notice_ids, _ = promises.sweep(now)
    return notice_ids


def _stock_shortage_notice(fixture):
    order, channel = fixture("order_with_lines"), fixture("channel_USD")
    line = short_line(order)
    make_variant(
        line.variant.product,
        channel=channel,
        warehouse=fixture("warehouse"),
        price="21",
        stock=9,
        sku="B-ALT",
        name="Blue",
    )
    set_stock(line, 0)
    run_sweep()
    return [notice.pk for notice in shortage_notices()]


def _conversation_reply_notice(fixture):
    conversation = ann_waiting_by_sms(fixture, is_configured=True)
    replied = conversation_reply.reply(
        conversation,
        text="Your parcel left today; it arrives on Friday.",
        is_resolving=False,
        reply_key="",
        channel_settings=fetch.channel_settings(conversation.channel_id),
        now=timezone.now(),
    )
    # The payload test names the channel "main", Saleor's fixture's slug.
    as_slug(fixture("channel_USD"), "main")
    return [replied.notice_id]


PAYLOADS = {
    "order_delay": _late_order_notice,
    "stock_shortage": _stock_shortage_notice,
    "conversation_reply": _conversation_reply_notice,
}


def fields_of(value, path="") -> set[str]:
    """Every field path of a JSON value (list items as '*')."""
    if isinstance(value, dict):
        return {
            field
            for key, item in value.items()
            for field in {f"{path}{key}"} | fields_of(item, f"{path}{key}.")
        }
    if isinstance(value, list):
        return {field for item in value for field in fields_of(item, f"{path}*.")}
    return set()


@pytest.mark.parametrize(
    "documented", documented_payloads(), ids=lambda payload: payload["type"]
)
def test_documented_payload_is_the_one_sent(documented, request, webhook_receiver):
    # given a channel sending by webhook, and a notice of the documented type
    request.getfixturevalue("plugin_configuration")(
        **shortage_settings(
            notice_transports="*=webhook",
            webhook_url=webhook_receiver.url,
            webhook_secret=WEBHOOK_SECRET,
        )
    )
    (notice_id,) = PAYLOADS[documented["type"]](request.getfixturevalue)

    # when it is delivered
    assert tasks.deliver_notice(notice_id) == "sent"

    # then the receiver got the documented fields, no more and no fewer
    (received,) = webhook_receiver.requests
    sent = received.json
    assert sorted(fields_of(sent)) == sorted(fields_of(documented))
    for name in ("type", "isEssential", "channel"):
        expected = "main" if name == "channel" else documented[name]
        assert sent[name] == expected
    if "stage" in documented["data"]:
        assert sent["data"]["stage"] == documented["data"]["stage"]


def test_every_setting_is_documented():
    # docs/settings.md has a row of each setting with its label (after its group)
    # and default, and names the notices whose texts can be written.
    text = (REPOSITORY / "docs" / "settings.md").read_text()
    undocumented = []
    for definition in config.FIELDS:
        group, _, label = definition.label.partition(" · ")
        if group == "Notice texts":
            notice = definition.name.partition("_")[2]
            if f"`{notice}`" not in text:
                undocumented.append(definition.name)
            continue
        if definition.kind == config.FieldKind.OUTPUT:
            default = "read-only"
        else:
            default = f"`{definition.default}`" if definition.default else "empty"
        if f"| {label} | `{definition.name}` | {default} |" not in text:
            undocumented.append(definition.name)
    assert undocumented == []


def test_every_field_is_in_the_graphql_reference():
    text = (REPOSITORY / "docs" / "graphql.md").read_text()
    unlisted = [
        f"{type_name}.{name}"
        for type_name, name in MOUNTED_FIELDS
        if f"| `{type_name}` | `{name}" not in text
    ]
    assert unlisted == []


LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)\)")


def _anchor(heading: str) -> str:
    # As GitHub makes them: lower case, punctuation dropped, spaces as hyphens.
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_links_between_the_documents_lead_somewhere():
    broken = []
    for path in DOCUMENTS:
        for target in LINK.findall(path.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.exists():
                broken.append(f"{path.name}: {target}")
                continue
            if anchor and linked.suffix == ".md":
                headings = [
                    _anchor(line.lstrip("#"))
                    for line in linked.read_text().splitlines()
                    if line.startswith("#")
                ]
                if anchor not in headings:
                    broken.append(f"{path.name}: {target}")
    assert broken == []


def test_every_registered_example_is_documented():
    documented = {example.name for example in DOCUMENTED}
    assert sorted(set(EXAMPLES) - documented) == []


def test_the_documents_hold_examples():
    # A change to the collector that finds nothing must not pass silently.
    assert {example.document for example in DOCUMENTED} >= {"README.md"}
    assert len(DOCUMENTED) >= len(EXAMPLES)
