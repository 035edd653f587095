"""Stock shortages inside a real Saleor: detection by the sweep and at order
creation, one notice per shortage per line, good news when stock returns, real
alternatives, and hooks that never break Saleor's order flow."""

from datetime import date, timedelta

import graphene
import pytest
from django.utils import timezone
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order.models import Order, OrderLine
from saleor.celeryconf import app as celery_app
from saleor.plugins.manager import get_plugins_manager
from saleor.warehouse.models import Allocation, Stock
from storefront import place_order
from shortage_support import (
    run_sweep,
    STOREFRONT,
    configure_channel,
    item_name,
    other_line,
    short_line,
    make_product,
    make_variant,
    set_stock,
    shortage_notices,
    shortage_settings,
)

from saleor_cs_plugin import shortages, tasks
from saleor_cs_plugin.apps import SWEEP_STOCK_SHORTAGES_BEAT_ENTRY
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType
from saleor_cs_plugin.domain.shortages import ShortageStatus
from saleor_cs_plugin.models import Notice, StockShortage

pytestmark = pytest.mark.django_db


def _second_order_for(order, variant, quantity):
    """Another customer order, placed after ``order``, allocated on the same stock."""
    line = order.lines.get(variant=variant)
    newer = Order.objects.get(pk=order.pk)
    newer.pk = None
    newer.id = None
    newer.number = order.number + 1000
    newer.created_at = order.created_at + timedelta(minutes=5)
    newer.save()
    Order.objects.filter(pk=newer.pk).update(created_at=newer.created_at)
    new_line = OrderLine.objects.get(pk=line.pk)
    new_line.pk = None
    new_line.id = None
    new_line.order = newer
    new_line.quantity = quantity
    new_line.save()
    stock = Stock.objects.get(product_variant=variant)
    Allocation.objects.create(
        order_line=new_line, stock=stock, quantity_allocated=quantity
    )
    Stock.objects.filter(pk=stock.pk).update(
        quantity_allocated=stock.quantity_allocated + quantity
    )
    return newer, new_line


def test_sweep_finds_a_stock_lowered_below_its_allocations(
    plugin_configuration, order_with_lines, warehouse, customer_user
):
    # given staff lower the stock of the second line (2 allocated) to 1
    plugin_configuration(**shortage_settings())
    line = short_line(order_with_lines)
    set_stock(line, 1)

    # when
    notice_ids = run_sweep()

    # then one shortage of one unit in that warehouse, and one notice
    shortage = StockShortage.objects.get()
    assert (shortage.order_line_id, shortage.order_id, shortage.episode) == (
        line.pk,
        order_with_lines.pk,
        1,
    )
    assert (shortage.status, shortage.quantity_short) == (ShortageStatus.OPEN, 1)
    assert shortage.short_by_warehouse == {str(warehouse.pk): 1}
    (notice,) = shortage_notices()
    assert notice_ids == [notice.pk]
    assert (notice.recipient_email, notice.order_id, notice.user_id) == (
        customer_user.email,
        order_with_lines.pk,
        customer_user.pk,
    )
    assert notice.status == NoticeStatus.PENDING
    assert notice.is_essential is True
    assert (
        notice.context["subject"] == f"We are sorry: {item_name(line)} is not in stock"
    )
    token = notice.context["data"]["choiceToken"]
    # the plugin's own page, served by Saleor (PUBLIC_URL of Saleor's test settings)
    link = (
        f"https://example.com/plugins/channel/{order_with_lines.channel.slug}/"
        f"{PLUGIN_ID}/stock-shortage/?token={token}"
    )
    assert notice.context["action_url"] == link
    assert notice.context["language"] == "en"
    assert notice.context["data"]["quantityShort"] == 1
    assert notice.context["data"]["restockEstimate"] is None
    assert notice.context["message"] == (
        f"We are sorry: {item_name(line)} from your order turned out not to be in "
        "stock; 1 of the 2 you ordered is missing. We would rather tell you now than "
        "let your order wait without a word.\n\n"
        "We do not know yet when it will be back in stock.\n\n"
        "You can wait for it or cancel the item.\n\n"
        f"Tell us what you prefer here: {link}"
    )
    assert notice.context["order_number"] == str(order_with_lines.number)


def test_a_storefront_that_serves_the_choice_page_gets_the_link(
    plugin_configuration, order_with_lines
):
    # given a channel whose storefront serves its own stock-shortage page
    plugin_configuration(**shortage_settings(storefront_pages="stock shortage"))
    set_stock(short_line(order_with_lines), 0)

    # when
    run_sweep()

    # then the link opens the storefront's page, as it did before the plugin had one
    (notice,) = shortage_notices()
    token = notice.context["data"]["choiceToken"]
    link = f"{STOREFRONT}/stock-shortage?token={token}"
    assert notice.context["action_url"] == link
    assert notice.context["message"].endswith(f"Tell us what you prefer here: {link}")


def test_a_polish_order_hears_of_the_shortage_and_the_good_news_in_polish(
    plugin_configuration, order_with_lines, customer_user
):
    # given an order placed in French (which the plugin does not speak) by a
    # customer whose account is Polish, in a German channel
    order_with_lines.language_code = "fr"
    order_with_lines.save(update_fields=["language_code"])
    customer_user.language_code = "pl"
    customer_user.save(update_fields=["language_code"])
    plugin_configuration(**shortage_settings(language="de"))
    line = short_line(order_with_lines)
    name = item_name(line)
    set_stock(line, 0)

    # when the item runs short, then comes back
    run_sweep()
    set_stock(line, 2)
    run_sweep()

    # then both notices are in Polish
    (short,) = shortage_notices()
    (restored,) = shortage_notices(NoticeType.STOCK_RESTORED)
    assert (short.context["language"], restored.context["language"]) == ("pl", "pl")
    assert short.context["subject"] == f"Przepraszamy: {name} – brak w magazynie"
    assert short.context["message"].split("\n\n")[:3] == [
        f"Przepraszamy: okazało się, że pozycji {name} z Twojego zamówienia nie ma w "
        "magazynie. Wolimy powiedzieć Ci o tym teraz, niż pozwolić, by zamówienie "
        "czekało bez słowa wyjaśnienia.",
        "Nie wiemy jeszcze, kiedy produkt wróci do magazynu.",
        "Możesz poczekać na produkt lub anulować tę pozycję.",
    ]
    assert restored.context["subject"] == f"Dobra wiadomość: {name} – znów w magazynie"
    assert restored.context["message"] == (
        f"Dobra wiadomość: pozycja {name} jest znów w magazynie, a Twoje zamówienie "
        "jest realizowane zgodnie z planem. Nie musisz nic robić."
    )


def test_an_order_in_a_language_the_plugin_does_not_speak_gets_the_channels(
    plugin_configuration, order_with_lines
):
    order_with_lines.language_code = "fr"
    order_with_lines.save(update_fields=["language_code"])
    order_with_lines.user.language_code = "fr"
    order_with_lines.user.save(update_fields=["language_code"])
    plugin_configuration(**shortage_settings(language="de"))
    line = short_line(order_with_lines)
    set_stock(line, 0)

    run_sweep()

    (notice,) = shortage_notices()
    assert notice.context["language"] == "de"
    assert notice.context["subject"] == (
        f"Es tut uns leid: {item_name(line)} ist nicht vorrätig"
    )


def test_a_second_sweep_sends_no_second_notice(
    plugin_configuration, order_with_lines, django_capture_on_commit_callbacks
):
    plugin_configuration(**shortage_settings())
    set_stock(short_line(order_with_lines), 0)
    # the beat's task; composing the notice runs after commit (in-process in tests)
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.sweep_stock_shortages_task()

    # when the sweep runs again while the stock is still short
    with django_capture_on_commit_callbacks(execute=True):
        second = tasks.sweep_stock_shortages_task()
    third = run_sweep()

    # then
    assert (first, second, third) == (1, 0, [])
    assert len(shortage_notices()) == 1
    shortage = StockShortage.objects.get()
    assert shortage.quantity_short == 2
    assert shortage.notified_at is not None


def test_a_lost_composition_is_handed_out_again_and_composed_once(
    plugin_configuration, order_with_lines
):
    # given a sweep whose composition task never ran (broker or worker lost)
    plugin_configuration(**shortage_settings())
    set_stock(short_line(order_with_lines), 0)
    lost = shortages.sweep(timezone.now())
    assert Notice.objects.exists() is False

    # when the next sweep hands it out again and two workers compose it
    again = shortages.sweep(timezone.now())
    first = shortages.compose_notices(again.shortage_ids, timezone.now())
    second = shortages.compose_notices(lost.shortage_ids, timezone.now())

    # then
    assert again.shortage_ids == lost.shortage_ids == [StockShortage.objects.get().pk]
    (notice,) = shortage_notices()
    assert (first, second) == ([notice.pk], [])


def test_stock_back_before_the_notice_was_composed_sends_nothing(
    plugin_configuration, order_with_lines
):
    plugin_configuration(**shortage_settings())
    line = short_line(order_with_lines)
    set_stock(line, 0)
    review = shortages.sweep(timezone.now())

    # when the stock returns before any worker composed the notice
    set_stock(line, 2)
    restored = shortages.sweep(timezone.now())
    composed = shortages.compose_notices(review.shortage_ids, timezone.now())

    # then the customer hears of neither
    assert (restored.notice_ids, restored.shortage_ids, composed) == ([], [], [])
    assert Notice.objects.exists() is False
    assert StockShortage.objects.get().status == ShortageStatus.RESTORED


def test_the_order_placed_first_keeps_the_stock(plugin_configuration, order_with_lines):
    # given a newer order allocated 1 more on the same stock (2 + 1 on a stock of 2)
    plugin_configuration(**shortage_settings())
    line = short_line(order_with_lines)
    newer, newer_line = _second_order_for(order_with_lines, line.variant, 1)
    assert Stock.objects.get(product_variant=line.variant).quantity_allocated == 3

    # when
    run_sweep()

    # then only the newer order's line is short
    shortage = StockShortage.objects.get()
    assert (shortage.order_line_id, shortage.quantity_short) == (newer_line.pk, 1)
    (notice,) = shortage_notices()
    assert notice.order_id == newer.pk


def test_restored_stock_sends_good_news_once(plugin_configuration, order_with_lines):
    plugin_configuration(**shortage_settings())
    line = short_line(order_with_lines)
    set_stock(line, 1)
    run_sweep()

    # when the stock comes back before the customer answered
    set_stock(line, 2)
    restored_ids = run_sweep()
    again = run_sweep()

    # then
    (notice,) = shortage_notices(NoticeType.STOCK_RESTORED)
    assert (restored_ids, again) == ([notice.pk], [])
    assert notice.context["subject"] == f"Good news: {item_name(line)} is back in stock"
    shortage = StockShortage.objects.get()
    assert shortage.status == ShortageStatus.RESTORED
    assert shortage.resolved_at is not None
    assert len(shortage_notices()) == 1


def test_a_new_shortage_after_good_news_is_a_new_episode(
    plugin_configuration, order_with_lines
):
    plugin_configuration(**shortage_settings())
    line = short_line(order_with_lines)
    set_stock(line, 1)
    run_sweep()
    set_stock(line, 2)
    run_sweep()

    # when the stock falls again
    set_stock(line, 0)
    run_sweep()

    # then a second shortage and a second notice, under another key
    assert list(
        StockShortage.objects.order_by("episode").values_list("episode", "status")
    ) == [(1, ShortageStatus.RESTORED), (2, ShortageStatus.OPEN)]
    first, second = shortage_notices()
    assert first.idempotency_key != second.idempotency_key


def test_a_fulfilled_or_cancelled_line_closes_its_shortage_quietly(
    plugin_configuration, order_with_lines
):
    plugin_configuration(**shortage_settings())
    line = short_line(order_with_lines)
    set_stock(line, 0)
    run_sweep()

    # when the order is cancelled (Saleor removes its allocations)
    Allocation.objects.filter(order_line__order=order_with_lines).delete()
    Order.objects.filter(pk=order_with_lines.pk).update(status="canceled")
    notice_ids = run_sweep()

    # then
    assert notice_ids == []
    assert StockShortage.objects.get().status == ShortageStatus.CLOSED
    assert shortage_notices(NoticeType.STOCK_RESTORED) == []


def test_nothing_is_recorded_where_the_plugin_is_off(
    plugin_configuration, order_with_lines
):
    plugin_configuration(active=False, **shortage_settings())
    set_stock(short_line(order_with_lines), 0)

    assert run_sweep() == []
    assert StockShortage.objects.exists() is False
    assert Notice.objects.exists() is False


def test_restock_estimate_from_variant_metadata(plugin_configuration, order_with_lines):
    plugin_configuration(**shortage_settings())
    line = short_line(order_with_lines)
    estimate = date(2040, 12, 1)
    line.variant.store_value_in_private_metadata(
        {shortages.RESTOCK_METADATA_KEY: estimate.isoformat()}
    )
    line.variant.save(update_fields=["private_metadata"])
    set_stock(line, 0)

    run_sweep()

    (notice,) = shortage_notices()
    assert StockShortage.objects.get().restock_estimate == estimate
    assert notice.context["data"]["restockEstimate"] == estimate.isoformat()
    # a long date in the order's language (English, as Babel writes it)
    assert (
        "We expect it back in stock by December 1, 2040." in notice.context["message"]
    )


def test_alternatives_are_real_ranked_and_bounded(
    plugin_configuration,
    order_with_lines,
    channel_USD,
    warehouse,
    product_type,
    category,
):
    # given the short line costs 20.00 (band 25 %: 15.00 to 25.00)
    plugin_configuration(**shortage_settings(shortage_max_alternatives="3"))
    line = short_line(order_with_lines)
    kwargs = {"channel": channel_USD, "warehouse": warehouse}
    sibling = make_variant(
        line.variant.product, price="24", stock=5, sku="B-2", name="Big", **kwargs
    )
    near = make_variant(
        make_product(
            "Near", product_type=product_type, category=category, channel=channel_USD
        ),
        price="19",
        stock=5,
        sku="NEAR",
        **kwargs,
    )
    far = make_variant(
        make_product(
            "Far", product_type=product_type, category=category, channel=channel_USD
        ),
        price="16",
        stock=5,
        sku="FAR",
        **kwargs,
    )
    make_variant(  # fourth by rank: the limit drops it
        make_product(
            "Farther", product_type=product_type, category=category, channel=channel_USD
        ),
        price="15",
        stock=5,
        sku="FARTHER",
        **kwargs,
    )
    make_variant(  # out of stock: 3 in stock, all allocated
        make_product(
            "Sold out",
            product_type=product_type,
            category=category,
            channel=channel_USD,
        ),
        price="20",
        stock=3,
        allocated=3,
        sku="SOLD",
        **kwargs,
    )
    make_variant(  # too dear
        make_product(
            "Dear", product_type=product_type, category=category, channel=channel_USD
        ),
        price="25.01",
        stock=5,
        sku="DEAR",
        **kwargs,
    )
    make_variant(  # not sold in the channel
        make_product(
            "Elsewhere",
            product_type=product_type,
            category=category,
            channel=channel_USD,
        ),
        price="20",
        stock=5,
        sku="ELSE",
        is_listed=False,
        **kwargs,
    )
    make_variant(  # product not published
        make_product(
            "Hidden",
            product_type=product_type,
            category=category,
            channel=channel_USD,
            is_published=False,
        ),
        price="20",
        stock=5,
        sku="HIDDEN",
        **kwargs,
    )
    make_variant(  # only 1 in stock, the line needs 2
        make_product(
            "Scarce", product_type=product_type, category=category, channel=channel_USD
        ),
        price="20",
        stock=1,
        sku="SCARCE",
        **kwargs,
    )
    set_stock(line, 0)

    # when
    run_sweep()

    # then the same product's variant first, then by price closeness
    shortage = StockShortage.objects.get()
    assert [a["id"] for a in shortage.offered_alternatives] == [
        str(sibling.pk),
        str(near.pk),
        str(far.pk),
    ]
    (notice,) = shortage_notices()
    assert [a["variantId"] for a in notice.context["data"]["alternatives"]] == [
        graphene.Node.to_global_id("ProductVariant", v.pk) for v in (sibling, near, far)
    ]
    assert notice.context["data"]["alternatives"][0] == {
        "variantId": graphene.Node.to_global_id("ProductVariant", sibling.pk),
        "name": f"{line.variant.product.name} (Big)",
        "price": "24.000",
        "currency": "USD",
    }
    assert (
        f"Alternatives in stock now:\n- {line.variant.product.name} (Big): $24.00"
        "\n- Near: $19.00"
        "\n- Far: $16.00" in notice.context["message"]
    )


def test_order_creation_detects_an_oversold_line(
    plugin_configuration, order_with_lines, django_capture_on_commit_callbacks
):
    # given an order whose second line was oversold (allocated beyond the stock)
    # and whose first line Saleor could not allocate at all
    plugin_configuration(**shortage_settings())
    set_stock(short_line(order_with_lines), 1)
    first = other_line(order_with_lines)
    Allocation.objects.filter(order_line=first).delete()
    Stock.objects.filter(product_variant=first.variant).update(
        quantity=0, quantity_allocated=0
    )

    # when Saleor announces the order through its plugin manager
    with django_capture_on_commit_callbacks(execute=True):
        get_plugins_manager(allow_replica=False).order_created(order_with_lines)

    # then both lines have a shortage and a notice
    assert dict(
        StockShortage.objects.values_list("order_line_id", "quantity_short")
    ) == {
        first.pk: 3,
        short_line(order_with_lines).pk: 1,
    }
    assert StockShortage.objects.get(order_line=first).short_by_warehouse == {"": 3}
    assert len(shortage_notices()) == 2


def test_a_fault_in_the_hook_does_not_break_order_creation(
    plugin_configuration,
    draft_order,
    staff_api_client,
    permission_group_manage_orders,
    monkeypatch,
    caplog,
):
    # given the shortage check fails unexpectedly
    plugin_configuration(**shortage_settings())
    permission_group_manage_orders.user_set.add(staff_api_client.user)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(shortages, "detect_for_order", broken)
    # Tasks run in-process in Saleor's test settings; let their errors surface, as
    # a broken broker client's would.
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)
    query = """
    mutation Complete($id: ID!) {
      draftOrderComplete(id: $id) { order { status } errors { field code message } }
    }
    """

    # when staff complete a draft order (Saleor's test client runs the callbacks
    # its transaction registered on commit, where Saleor calls order_created)
    response = staff_api_client.post_graphql(
        query, {"id": graphene.Node.to_global_id("Order", draft_order.pk)}
    )

    # then the order is placed as usual and the fault is only logged
    content = get_graphql_content(response)["data"]["draftOrderComplete"]
    assert content["errors"] == []
    assert content["order"]["status"] == "UNFULFILLED"
    draft_order.refresh_from_db()
    assert draft_order.status == "unfulfilled"
    assert caplog.text.count("for stock shortages failed") == 1
    assert "RuntimeError: disk on fire" in caplog.text
    assert StockShortage.objects.exists() is False


def test_out_of_stock_hook_checks_the_stock(
    plugin_configuration, order_with_lines, django_capture_on_commit_callbacks
):
    manager = get_plugins_manager(allow_replica=False)
    if not hasattr(manager, "product_variant_out_of_stock"):
        pytest.skip("This Saleor has no out-of-stock hook (removed after 3.22).")
    plugin_configuration(**shortage_settings())
    line = short_line(order_with_lines)
    set_stock(line, 0)
    # Saleor sends this channel-less hook only to the per-channel plugins its manager
    # has loaded, as a request about an order of the channel (a fulfilment) has.
    manager.get_plugins(channel_slug=order_with_lines.channel.slug)

    with django_capture_on_commit_callbacks(execute=True):
        manager.product_variant_out_of_stock(
            Stock.objects.get(product_variant=line.variant)
        )

    assert StockShortage.objects.get().order_line_id == line.pk
    assert len(shortage_notices()) == 1


def test_shortage_notices_are_delivered_by_the_engine(
    plugin_configuration,
    order_with_lines,
    webhook_receiver,
    django_capture_on_commit_callbacks,
):
    # given the webhook transport
    from conftest import WEBHOOK_SECRET

    plugin_configuration(
        **shortage_settings(
            notice_transports="*=webhook",
            webhook_url=webhook_receiver.url,
            webhook_secret=WEBHOOK_SECRET,
        )
    )
    line = short_line(order_with_lines)
    set_stock(line, 0)

    # when the beat's sweep runs (delivery is queued after commit; eager in tests)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_stock_shortages_task()

    # then the receiver got the notice at once, signed, with the facts
    (request,) = webhook_receiver.requests
    payload = request.json
    assert payload["type"] == "stock_shortage"
    assert payload["data"]["quantityShort"] == 2
    assert payload["subject"] == f"We are sorry: {item_name(line)} is not in stock"
    assert Notice.objects.get().status == NoticeStatus.SENT


def test_beat_runs_the_shortage_sweep():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE[SWEEP_STOCK_SHORTAGES_BEAT_ENTRY]
    assert entry["task"] == "saleor_cs_plugin.sweep_stock_shortages"
    assert entry["schedule"] == timedelta(minutes=5)


CHANNEL_LISTING_UPDATE = """
mutation ($id: ID!, $input: ProductChannelListingUpdateInput!) {
  productChannelListingUpdate(id: $id, input: $input) {
    errors { field code message }
  }
}
"""

STOCKS_UPDATE = """
mutation ($variantId: ID!, $stocks: [StockInput!]!) {
  productVariantStocksUpdate(variantId: $variantId, stocks: $stocks) {
    errors { field code message }
  }
}
"""

ORDER_FULFILL = """
mutation ($order: ID!, $input: OrderFulfillInput!) {
  orderFulfill(order: $order, input: $input) {
    errors { field code message }
  }
}
"""


@pytest.fixture
def linen_shirt(channel_USD, warehouse, product_type, category):
    """A variant with a stock of 2, in a channel that takes unpaid orders."""
    channel_USD.allow_unpaid_orders = True
    channel_USD.save(update_fields=["allow_unpaid_orders"])
    product = make_product(
        "Linen shirt", channel=channel_USD, product_type=product_type, category=category
    )
    return make_variant(
        product,
        channel=channel_USD,
        warehouse=warehouse,
        price="30",
        stock=2,
        sku="LINEN-BL-M",
        name="Blue / M",
    )


def _post(client, query, variables, name):
    content = get_graphql_content(client.post_graphql(query, variables))
    return content["data"][name]


def test_a_variant_removed_from_the_channel_is_short_only_once_its_stock_is_gone(
    plugin_configuration,
    linen_shirt,
    api_client,
    staff_in_group,
    permission_manage_products,
    permission_manage_orders,
    channel_USD,
    warehouse,
    shipping_method,
):
    # given a customer ordered 2 units, both allocated
    plugin_configuration(**shortage_settings())
    placed = place_order(
        api_client,
        channel=channel_USD,
        lines=[(linen_shirt, 2)],
        shipping_method=shipping_method,
    )
    line = OrderLine.objects.get(order_id=graphene.Node.from_global_id(placed["id"])[1])
    assert Allocation.objects.get(order_line=line).quantity_allocated == 2
    staff = staff_in_group(permission_manage_products, permission_manage_orders)
    variant_id = graphene.Node.to_global_id("ProductVariant", linen_shirt.pk)
    warehouse_id = graphene.Node.to_global_id("Warehouse", warehouse.pk)

    # when staff remove the variant from the channel
    removed = _post(
        staff,
        CHANNEL_LISTING_UPDATE,
        {
            "id": graphene.Node.to_global_id("Product", linen_shirt.product_id),
            "input": {
                "updateChannels": [
                    {
                        "channelId": graphene.Node.to_global_id(
                            "Channel", channel_USD.pk
                        ),
                        "removeVariants": [variant_id],
                    }
                ]
            },
        },
        "productChannelListingUpdate",
    )

    # then Saleor keeps the allocation on the stock that still covers it: not short
    assert removed["errors"] == []
    assert linen_shirt.channel_listings.exists() is False
    assert Allocation.objects.get(order_line=line).quantity_allocated == 2
    assert run_sweep() == []
    assert StockShortage.objects.exists() is False

    # when staff then set the stock to 0
    updated = _post(
        staff,
        STOCKS_UPDATE,
        {
            "variantId": variant_id,
            "stocks": [{"warehouse": warehouse_id, "quantity": 0}],
        },
        "productVariantStocksUpdate",
    )

    # then Saleor still keeps the allocation, on a stock that no longer covers it, and
    # refuses to fulfil the line from it: the customer is told
    assert updated["errors"] == []
    stock = Stock.objects.get(product_variant=linen_shirt)
    assert (stock.quantity, stock.quantity_allocated) == (0, 2)
    assert Allocation.objects.get(order_line=line).quantity_allocated == 2
    fulfil = _post(
        staff,
        ORDER_FULFILL,
        {
            "order": placed["id"],
            "input": {
                "lines": [
                    {
                        "orderLineId": graphene.Node.to_global_id("OrderLine", line.pk),
                        "stocks": [{"quantity": 2, "warehouse": warehouse_id}],
                    }
                ],
                "notifyCustomer": False,
            },
        },
        "orderFulfill",
    )
    assert [error["code"] for error in fulfil["errors"]] == ["INSUFFICIENT_STOCK"]
    notice_ids = run_sweep()
    shortage = StockShortage.objects.get()
    assert (shortage.order_line_id, shortage.quantity_short) == (line.pk, 2)
    assert shortage.short_by_warehouse == {str(warehouse.pk): 2}
    (notice,) = shortage_notices()
    assert notice_ids == [notice.pk]
    assert (
        notice.context["subject"]
        == "We are sorry: Linen shirt (Blue / M) is not in stock"
    )
    assert notice.context["data"]["quantityShort"] == 2


def test_a_variant_known_by_a_stand_in_name_is_named_by_its_sku_or_not_at_all(
    plugin_configuration,
    api_client,
    channel_USD,
    warehouse,
    shipping_method,
    product_type,
    category,
):
    # given Apple Juice variants whose names are their GraphQL IDs, as in Saleor's
    # demo data; one has a SKU, one has none
    channel_USD.allow_unpaid_orders = True
    channel_USD.save(update_fields=["allow_unpaid_orders"])
    plugin_configuration(**shortage_settings())
    juice = make_product(
        "Apple Juice", channel=channel_USD, product_type=product_type, category=category
    )
    kwargs = {"channel": channel_USD, "warehouse": warehouse}
    litre = make_variant(juice, price="4", stock=1, sku="JUICE-1L", **kwargs)
    unnamed = make_variant(juice, price="3", stock=1, sku=None, **kwargs)
    carton = make_variant(juice, price="4.5", stock=9, sku="JUICE-2L", **kwargs)
    for variant in (litre, unnamed, carton):
        variant.name = graphene.Node.to_global_id("ProductVariant", variant.pk)
        variant.save(update_fields=["name"])
    placed = place_order(
        api_client,
        channel=channel_USD,
        lines=[(litre, 1), (unnamed, 1)],
        shipping_method=shipping_method,
    )
    order_id = graphene.Node.from_global_id(placed["id"])[1]
    # Saleor keeps the stand-in on the order line, with the SKU beside it
    assert sorted(
        OrderLine.objects.filter(order_id=order_id).values_list(
            "variant_name", "product_sku"
        ),
        key=lambda row: row[0],
    ) == sorted(
        [(litre.name, "JUICE-1L"), (unnamed.name, None)], key=lambda row: row[0]
    )
    Stock.objects.filter(product_variant__in=[litre, unnamed]).update(quantity=0)

    # when
    run_sweep()

    # then
    subjects = sorted(notice.context["subject"] for notice in shortage_notices())
    assert subjects == [
        "We are sorry: Apple Juice (JUICE-1L) is not in stock",
        "We are sorry: Apple Juice is not in stock",
    ]
    notice = next(
        n for n in shortage_notices() if n.context["data"]["item"] != "Apple Juice"
    )
    assert notice.context["data"]["item"] == "Apple Juice (JUICE-1L)"
    assert notice.context["data"]["alternatives"][0]["name"] == "Apple Juice (JUICE-2L)"
    assert "- Apple Juice (JUICE-2L): $4.50" in notice.context["message"]
    for notice in shortage_notices():
        assert "UHJvZHVjdFZhcmlhbnQ6" not in notice.context["message"]


def test_alternatives_prices_use_the_currencys_minor_unit(
    api_client, channel_JPY, product_in_channel_JPY, warehouse_JPY, shipping_zone_JPY
):
    # given a yen order of 2 units at 1,200 JPY, and a sibling at 1,100 JPY in stock
    channel_JPY.allow_unpaid_orders = True
    channel_JPY.save(update_fields=["allow_unpaid_orders"])
    configure_channel(channel_JPY, **shortage_settings())
    variant = product_in_channel_JPY.variants.get()
    sibling = make_variant(
        product_in_channel_JPY,
        channel=channel_JPY,
        warehouse=warehouse_JPY,
        price="1100",
        stock=5,
        sku="BIG-JPY",
        name="Big",
    )
    place_order(
        api_client,
        channel=channel_JPY,
        lines=[(variant, 2)],
        shipping_method=shipping_zone_JPY.shipping_methods.get(),
    )
    Stock.objects.filter(warehouse=warehouse_JPY, product_variant=variant).update(
        quantity=0
    )

    # when
    run_sweep()

    # then
    (notice,) = shortage_notices()
    assert (
        f"Alternatives in stock now:\n- {product_in_channel_JPY.name} (Big): ¥1,100"
        in notice.context["message"]
    )
    assert notice.context["data"]["alternatives"] == [
        {
            "variantId": graphene.Node.to_global_id("ProductVariant", sibling.pk),
            "name": f"{product_in_channel_JPY.name} (Big)",
            "price": "1100.000",
            "currency": "JPY",
        }
    ]
