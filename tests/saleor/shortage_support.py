"""Set-up shared by the stock-shortage tests: real Saleor products, stocks and
listings, built with Saleor's models as its own fixtures build them."""

import re
from decimal import Decimal
from html.parser import HTMLParser

from django.utils import timezone
from saleor.plugins.models import PluginConfiguration
from saleor.product.models import (
    Product,
    ProductChannelListing,
    ProductVariant,
    ProductVariantChannelListing,
)
from saleor.warehouse.models import Stock

from saleor_cs_plugin import shortages
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.domain import items
from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.models import Notice
from saleor_cs_plugin.plugin import CustomerServicePlugin

STOREFRONT = "https://shop.example.com"


def shortage_settings(**extra):
    return {
        "storefront_url": STOREFRONT,
        "notice_transports": "*=saleor_notify",
        "quiet_hours": "",
        **extra,
    }


def configure_channel(channel, active=True, **values):
    """The plugin in another channel than USD (``plugin_configuration`` is USD's)."""
    return PluginConfiguration.objects.create(
        identifier=CustomerServicePlugin.PLUGIN_ID,
        channel=channel,
        active=active,
        configuration=[
            {"name": item["name"], "value": values.get(item["name"], item["value"])}
            for item in CustomerServicePlugin.DEFAULT_CONFIGURATION
        ],
    )


def make_product(
    name,
    *,
    channel,
    product_type,
    category,
    is_published=True,
    is_listed=True,
):
    product = Product.objects.create(
        name=name,
        slug=name.lower().replace(" ", "-"),
        product_type=product_type,
        category=category,
    )
    if is_listed:
        ProductChannelListing.objects.create(
            product=product,
            channel=channel,
            is_published=is_published,
            visible_in_listings=True,
            available_for_purchase_at=timezone.now(),
        )
    return product


def make_variant(
    product,
    *,
    channel,
    warehouse,
    price,
    stock,
    sku,
    name="",
    allocated=0,
    is_listed=True,
):
    variant = ProductVariant.objects.create(product=product, sku=sku, name=name)
    if is_listed:
        ProductVariantChannelListing.objects.create(
            variant=variant,
            channel=channel,
            price_amount=Decimal(price),
            currency=channel.currency_code,
        )
    Stock.objects.create(
        warehouse=warehouse,
        product_variant=variant,
        quantity=stock,
        quantity_allocated=allocated,
    )
    return variant


def shortage_notices(notice_type=NoticeType.STOCK_SHORTAGE):
    return list(Notice.objects.filter(notice_type=notice_type).order_by("created_at"))


def set_stock(line, quantity):
    """Staff edit the stock of a line's variant (Saleor lets it fall below what
    orders allocated)."""
    Stock.objects.filter(product_variant_id=line.variant_id).update(quantity=quantity)


def short_line(order):
    """The line of Saleor's ``order_with_lines`` that can run short: 2 units of a
    variant with a stock of 2, all allocated."""
    return order.lines.get(quantity=2)


def other_line(order):
    """Its other line: 3 units of a variant with a stock of 5."""
    return order.lines.get(quantity=3)


def item_name(line):
    """How the plugin names a line of Saleor's fixtures (their variants have names)."""
    return items.item_name(line.product_name, line.variant_name, line.product_sku or "")


def run_sweep():
    """What the beat's sweep and the workers do, in this process: the sweep, then
    composing the notices of the shortages it handed out."""
    now = timezone.now()
    review = shortages.sweep(now)
    return review.notice_ids + shortages.compose_notices(review.shortage_ids, now)


def page_path(channel, page="stock-shortage"):
    """The path of one of the plugin's pages in ``channel``, as Saleor routes it."""
    return f"/plugins/channel/{channel.slug}/{PLUGIN_ID}/{page}/"


class _Page(HTMLParser):
    """The text of every element with an id, the attributes of every input, and
    the page's name (``data-page``), as a customer's browser would show them."""

    VOID = {"input", "br", "meta", "link", "img", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: dict[str, str] = {}
        self.inputs: list[dict] = []
        self.attributes: dict[str, dict] = {}
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        element_id = attributes.get("id")
        if element_id:
            self.attributes[element_id] = attributes
        if tag == "input":
            self.inputs.append(attributes)
        if tag == "br":
            self._add(" ")
        if tag not in self.VOID:
            self._open.append((tag, element_id))
            if element_id:
                self.texts[element_id] = ""

    def handle_endtag(self, tag):
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        self._add(data)

    def _add(self, data):
        for _, element_id in self._open:
            if element_id:
                self.texts[element_id] += data


def read_page(response):
    """``(page name, {element id: text}, inputs)`` of an HTML response; texts have
    their white space folded, as a browser shows them."""
    page = _Page()
    page.feed(response.content.decode())
    texts = {key: re.sub(r"\s+", " ", text).strip() for key, text in page.texts.items()}
    return page.attributes["page"]["data-page"], texts, page.inputs
