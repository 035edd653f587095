"""Where the links in customer messages point: the plugin's own page, served by
Saleor, or the storefront's page of the same name when the channel says its
storefront serves it (the ``storefront_pages`` setting)."""

from urllib.parse import quote

from django.urls import reverse
from saleor.core.utils import build_absolute_uri

from ..config import PLUGIN_ID, ChannelSettings

# Internal page name -> the last part of its path, on the storefront as here.
PAGE_PATHS = {
    "problem_report": "report-problem",
    "stock_shortage": "stock-shortage",
    "survey": "survey",
}


def plugin_page_path(page: str, *, channel_slug: str) -> str:
    """The path of one of the plugin's pages in a channel (no query)."""
    base = reverse(
        "plugins-per-channel",
        kwargs={"channel_slug": channel_slug, "plugin_id": PLUGIN_ID},
    )
    return f"{base}{PAGE_PATHS[page]}/"


def page_link(
    page: str,
    *,
    channel_slug: str,
    token: str,
    settings: ChannelSettings,
    extra: dict[str, str] | None = None,
    parameter: str = "token",
) -> str:
    """The absolute link to ``page`` ("stock_shortage", "survey", "problem_report")
    opening with ``token`` in the query's ``parameter``; ``extra``: more query
    parameters (a survey's one-click answer)."""
    # Signed tokens are URL-safe already; quoting only guards against a change.
    query = f"{quote(parameter)}={quote(token, safe=':')}"
    for name, value in (extra or {}).items():
        query += f"&{quote(name)}={quote(value)}"
    if page in _storefront_pages(settings):
        return f"{settings.storefront_url}/{PAGE_PATHS[page]}?{query}"
    return build_absolute_uri(
        f"{plugin_page_path(page, channel_slug=channel_slug)}?{query}"
    )


def problem_report_link(order, settings: ChannelSettings) -> str:
    """The absolute link to the problem-report page of ``order`` (Saleor's order;
    ``settings``: the plugin's in the order's channel), opening with the order's
    token (``?order=``, the order's UUID, as Saleor's ``orderByToken`` takes it)."""
    return page_link(
        "problem_report",
        channel_slug=order.channel.slug,
        token=str(order.pk),
        settings=settings,
        parameter="order",
    )


def _storefront_pages(settings: ChannelSettings) -> frozenset[str]:
    # Until the setting exists, every link opens the plugin's page.
    return getattr(settings, "storefront_pages", frozenset())
