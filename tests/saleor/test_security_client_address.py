"""Whom the rate limits count: the client address the channel's trusted proxies saw
(``trusted_proxies``), never an address a client wrote into X-Forwarded-For.

The coupon limit is exercised through Saleor's real ``/graphql/`` view
(``serviceCouponApply`` and ``serviceCouponCheck``), the pages' throttle through
the real plugin URLs of the stock-shortage and survey pages.
"""

import pytest
from django.test import Client, RequestFactory

from coupon_support import APPLY, CHECK, checkout_of
from saleor_cs_plugin.client_address import client_address
from saleor_cs_plugin.models import CouponFailure
from saleor_cs_plugin.pages import throttle
from shortage_support import page_path, read_page, shortage_settings

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
CLIENT = "203.0.113.7"
OTHER_CLIENT = "198.51.100.1"


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted_proxies", "expected"),
    [
        # No proxy: the connection's address, whatever the header says.
        (CLIENT, None, 0, CLIENT),
        (CLIENT, "192.0.2.66", 0, CLIENT),
        (CLIENT, "192.0.2.66, 192.0.2.67", 0, CLIENT),
        # One proxy: the address it appended, the last one.
        (PROXY, CLIENT, 1, CLIENT),
        (PROXY, f"192.0.2.66, {CLIENT}", 1, CLIENT),
        (PROXY, f"192.0.2.66,{CLIENT}", 1, CLIENT),
        (PROXY, f"garbage, 192.0.2.66, {CLIENT}", 1, CLIENT),
        # Two proxies (a CDN, then a load balancer): the one the CDN saw.
        (PROXY, f"192.0.2.66, {CLIENT}, 10.0.0.1", 2, CLIENT),
        # The load balancer reached directly: the only entry is its client.
        (PROXY, CLIENT, 2, CLIENT),
        # No header behind a proxy: only the connection is known.
        (PROXY, None, 1, PROXY),
        (PROXY, "", 1, PROXY),
        # What the trusted proxy wrote is no address: none (a client's entry
        # before it is never taken instead).
        (PROXY, f"{CLIENT}, unknown", 1, None),
        (PROXY, f"{CLIENT}, ", 1, None),
        (None, None, 0, None),
        ("", None, 0, None),
        # Canonical forms: a port dropped, IPv6 compressed, IPv4-mapped as IPv4,
        # an interface zone dropped.
        (PROXY, f"{CLIENT}:51234", 1, CLIENT),
        (PROXY, "[2001:db8:0:0::1]:443", 1, "2001:db8::1"),
        ("2001:DB8:0000::0001", None, 0, "2001:db8::1"),
        ("::ffff:203.0.113.7", None, 0, CLIENT),
        ("fe80::1%eth0", None, 0, "fe80::1"),
    ],
)
def test_the_client_address_is_the_one_the_trusted_proxies_saw(
    remote, forwarded, trusted_proxies, expected
):
    meta = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    request = RequestFactory().get("/", **meta)
    request.META.pop("REMOTE_ADDR", None)
    if remote is not None:
        request.META["REMOTE_ADDR"] = remote

    assert client_address(request, trusted_proxies) == expected


@pytest.fixture
def coupon_shop(channel_USD, shipping_method, product, plugin_configuration):
    """The plugin active in the USD channel, two failed codes allowed per client
    address, many per checkout."""

    def configure(trusted_proxies):
        return plugin_configuration(
            trusted_proxies=str(trusted_proxies),
            coupon_failures_per_ip="2",
            coupon_failures_per_checkout="50",
        )

    return configure


def _apply(api_client, checkout_id, code, **meta):
    response = api_client.post_graphql(APPLY, {"id": checkout_id, "code": code}, **meta)
    assert response.status_code == 200
    payload = response.json()["data"]["serviceCouponApply"]
    return payload["errors"][0]["code"]


def _recorded_addresses():
    return list(
        CouponFailure.objects.order_by("id").values_list("client_ip", flat=True)
    )


def test_with_no_trusted_proxy_a_forged_forwarded_for_is_ignored(
    coupon_shop, api_client, channel_USD, product
):
    # given
    coupon_shop(0)
    checkout_id = checkout_of(api_client, channel_USD, product)

    # when: every attempt claims another address in X-Forwarded-For
    codes = [
        _apply(
            api_client,
            checkout_id,
            f"GUESS{n}",
            REMOTE_ADDR=CLIENT,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
        for n in range(1, 4)
    ]
    other_connection = _apply(
        api_client,
        checkout_id,
        "GUESS4",
        REMOTE_ADDR=OTHER_CLIENT,
        HTTP_X_FORWARDED_FOR=CLIENT,
    )

    # then: the connection's address is counted, and limited after two failures
    assert codes == ["NOT_APPLICABLE", "NOT_APPLICABLE", "RATE_LIMITED"]
    assert other_connection == "NOT_APPLICABLE"
    assert _recorded_addresses() == [CLIENT, CLIENT, OTHER_CLIENT]


def test_the_coupon_check_counts_the_same_address_as_the_apply(
    coupon_shop, api_client, channel_USD, product
):
    coupon_shop(0)
    checkout_id = checkout_of(api_client, channel_USD, product)

    for n in (1, 2):
        response = api_client.post_graphql(
            CHECK,
            {"id": checkout_id, "code": f"GUESS{n}"},
            REMOTE_ADDR=CLIENT,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
        assert response.json()["data"]["serviceCouponCheck"]["rateLimit"] is None
    limited = api_client.post_graphql(
        CHECK, {"id": checkout_id, "code": "GUESS3"}, REMOTE_ADDR=CLIENT
    ).json()["data"]["serviceCouponCheck"]

    assert limited["rateLimit"] == {"scope": "client_ip", "limit": 2}
    assert _recorded_addresses() == [CLIENT, CLIENT]


def test_with_one_trusted_proxy_the_last_forwarded_address_counts(
    coupon_shop, api_client, channel_USD, product
):
    # given: every request arrives from the proxy
    coupon_shop(1)
    checkout_id = checkout_of(api_client, channel_USD, product)

    # when: the client prepends an address of its choice to each request, and the
    # proxy appends the one it saw
    codes = [
        _apply(
            api_client,
            checkout_id,
            f"GUESS{n}",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {CLIENT}",
        )
        for n in range(1, 4)
    ]
    other_client = _apply(
        api_client,
        checkout_id,
        "GUESS4",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"{CLIENT}, {OTHER_CLIENT}",
    )

    # then
    assert codes == ["NOT_APPLICABLE", "NOT_APPLICABLE", "RATE_LIMITED"]
    assert other_client == "NOT_APPLICABLE"
    assert _recorded_addresses() == [CLIENT, CLIENT, OTHER_CLIENT]
    assert PROXY not in _recorded_addresses()


@pytest.mark.usefixtures("fresh_cache")
@pytest.mark.parametrize("page", ["stock-shortage", "survey"])
def test_the_pages_throttle_counts_the_connection_when_no_proxy_is_trusted(
    plugin_configuration, channel_USD, page
):
    # given
    plugin_configuration(**shortage_settings(trusted_proxies="0"))
    path = page_path(channel_USD, page)
    client = Client(REMOTE_ADDR=CLIENT)

    # when: each bad link claims another address
    statuses = [
        client.get(
            path, {"token": f"guess-{n}"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        ).status_code
        for n in range(throttle.MAX_BAD_TOKENS)
    ]
    refused = client.get(path, {"token": "again"}, HTTP_X_FORWARDED_FOR="192.0.2.250")
    other = Client(REMOTE_ADDR=OTHER_CLIENT).get(
        path, {"token": "guess"}, HTTP_X_FORWARDED_FOR=CLIENT
    )

    # then
    assert statuses == [400] * throttle.MAX_BAD_TOKENS
    assert refused.status_code == 429
    assert read_page(refused)[0] == "too-many-attempts"
    assert other.status_code == 400
    assert read_page(other)[0] == "invalid-link"


@pytest.mark.usefixtures("fresh_cache")
@pytest.mark.parametrize("page", ["stock-shortage", "survey"])
def test_the_pages_throttle_counts_what_the_trusted_proxy_saw(
    plugin_configuration, channel_USD, page
):
    # given: every request arrives from the proxy
    plugin_configuration(**shortage_settings(trusted_proxies="1"))
    path = page_path(channel_USD, page)
    proxy = Client(REMOTE_ADDR=PROXY)

    # when: the client prepends an address of its choice each time
    statuses = [
        proxy.get(
            path, {"token": f"guess-{n}"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {CLIENT}"
        ).status_code
        for n in range(throttle.MAX_BAD_TOKENS)
    ]
    refused = proxy.get(
        path, {"token": "again"}, HTTP_X_FORWARDED_FOR=f"192.0.2.250, {CLIENT}"
    )
    # another client behind the same proxy, and one that writes the throttled
    # address first
    other = proxy.get(path, {"token": "guess"}, HTTP_X_FORWARDED_FOR=OTHER_CLIENT)
    posing = proxy.get(
        path, {"token": "guess"}, HTTP_X_FORWARDED_FOR=f"{CLIENT}, {OTHER_CLIENT}"
    )

    # then
    assert statuses == [400] * throttle.MAX_BAD_TOKENS
    assert refused.status_code == 429
    assert other.status_code == 400
    assert posing.status_code == 400
