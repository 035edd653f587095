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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from decimal import Decimal

import graphene
import pytest
from graphql.language import ast
from graphql.language.parser import parse
from saleor.graphql.tests.utils import get_graphql_content
from saleor.discount import DiscountValueType, VoucherType
from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode
from saleor.plugins.models import PluginConfiguration
from storefront import place_order, start_checkout

from saleor_cs_plugin import events
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.domain.history import ContactChannel
from saleor_cs_plugin.models import DeliveryPromise, PromotedCode, ServiceHistoryEntry

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
            body.append(lines[end][indent:] if not lines[end][:indent].strip() else lines[end])
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
            and not "".join(lines[block.last_line : following[0].first_line - 1]).strip()
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


def contact(customer, order=None, *, summary="Asked about delivery times.",
            is_customer_visible=True, contact_channel=ContactChannel.PHONE):
    return events.contact_logged_event(
        contact_channel=contact_channel,
        summary=summary,
        is_resolved_at_first_contact=True,
        is_customer_visible=is_customer_visible,
        user=customer,
        order=order,
    )


# README.md ---------------------------------------------------------------------------


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
        assert (values["time_zone"], values["storefront_url"]) == (
            "Europe/Warsaw",
            "https://shop.example.com",
        )

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
        {"customer": global_id("User", customer.pk), "order": global_id("Order", order.pk)},
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


def demo_vouchers(channel):
    """Two vouchers of Saleor's demo data: DISCOUNT, 25 off orders of at least 200,
    and VCO9KV98LC, 5 % off."""
    for code, value_type, value, min_spent in (
        ("DISCOUNT", DiscountValueType.FIXED, 25, Decimal(200)),
        ("VCO9KV98LC", DiscountValueType.PERCENTAGE, 5, None),
    ):
        voucher = Voucher.objects.create(
            name=code, type=VoucherType.ENTIRE_ORDER, discount_value_type=value_type
        )
        VoucherCode.objects.create(code=code, voucher=voucher)
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
                        "notifiedStage": None,
                    },
                }
            }
        ]

    return Prepared(client, check=check)


@example("CheckPromoCode")
def _check_code(fixture):
    channel = shop(fixture)
    demo_vouchers(channel)
    PromotedCode.objects.create(code="VCO9KV98LC", channel=channel, placements=["popup"])
    client = fixture("api_client")
    return Prepared(client, {"checkout": checkout_of_three(fixture, client, channel)})


def assert_documented_answer(documented, actual, varying, replacements, path=()):
    where = ".".join(path) or "data"
    if any(_matches(path, pattern) for pattern in varying):
        return
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: documented an object, got {actual!r}"
        assert sorted(actual) == sorted(documented), (
            f"{where}: documented fields {sorted(documented)}, got {sorted(actual)}"
        )
        for key, value in documented.items():
            assert_documented_answer(value, actual[key], varying, replacements, (*path, key))
    elif isinstance(documented, list):
        assert isinstance(actual, list), f"{where}: documented a list, got {actual!r}"
        assert len(actual) == len(documented), (
            f"{where}: documented {len(documented)} items, got {len(actual)}: {actual!r}"
        )
        for index, (value, item) in enumerate(zip(documented, actual, strict=True)):
            assert_documented_answer(value, item, varying, replacements, (*path, str(index)))
    else:
        expected = replacements.get(documented, documented) if isinstance(documented, str) else documented
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


def test_every_registered_example_is_documented():
    documented = {example.name for example in DOCUMENTED}
    assert sorted(set(EXAMPLES) - documented) == []


def test_the_documents_hold_examples():
    # A change to the collector that finds nothing must not pass silently.
    assert {example.document for example in DOCUMENTED} >= {"README.md"}
    assert len(DOCUMENTED) >= len(EXAMPLES)
