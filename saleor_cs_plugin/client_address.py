"""The address of the client behind a request, as far as the store can trust it.

The coupon and page rate limits count by this address. A client can write any
X-Forwarded-For it likes; only the entries the store's own proxies appended are
true. Each proxy appends the address it saw connecting to it, so with
``trusted_proxies`` proxies in front of Saleor the address chain, read from the
right, is: the connection's own address (the innermost proxy), then one
X-Forwarded-For entry per proxy. The client's address is the one the outermost of
them saw, ``trusted_proxies`` places from the right of that chain; whatever a
client put before it is never read.

A request with fewer entries than that came past fewer proxies (one of the
store's own, reached directly): the leftmost entry is then the outermost true
one. An address that is no IP address is no address (None): one that is chosen
in its place could be the client's choice.
"""

import ipaddress

from django.http import HttpRequest

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def client_address(request: HttpRequest, trusted_proxies: int) -> str | None:
    """The client's IP address in its canonical form, or None when the address
    the store trusts is missing or not an IP address.

    ``trusted_proxies``: how many proxies of the store's own stand in front of
    Saleor (the ``trusted_proxies`` setting); 0 takes the connection's address and
    ignores X-Forwarded-For.
    """
    chain = [request.META.get("REMOTE_ADDR") or ""]
    if trusted_proxies > 0:
        forwarded = request.META.get(FORWARDED_FOR) or ""
        # Several X-Forwarded-For headers reach Django joined by commas, in order.
        entries = [entry.strip() for entry in forwarded.split(",")] if forwarded else []
        chain = entries + chain
    return _canonical(chain[max(0, len(chain) - 1 - trusted_proxies)])


def _canonical(value: str) -> str | None:
    """``value`` as an IP address (an IPv4 address mapped into IPv6 as IPv4, an
    IPv6 address compressed), or None."""
    host = value.strip()
    # Some proxies write "[2001:db8::1]:443" or "192.0.2.1:443"; the port is not
    # the client's address.
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        # A zone ("fe80::1%eth0") names an interface of the proxy, not the client.
        address = ipaddress.IPv6Address(address.packed)
    return str(address)
