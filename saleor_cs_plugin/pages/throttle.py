"""Slowing down a burst of bad links from one address.

A choice token is signed with the store's secret key, so it cannot be guessed; the
throttle slows down whoever tries anyway (or a script replaying altered links):
after a burst, its requests are answered before any token is read. Only bad tokens
count (changed, cut short, signed elsewhere, of another channel, missing): an
expired or used link is genuine.

The client address is the one the channel's trusted proxies saw
(``client_address``, the ``trusted_proxies`` setting): the connection's own with
none, so a client cannot pick its address by writing X-Forwarded-For. Still, an
attacker with many addresses gets a burst from each, so the throttle is a brake on
bursts, not the protection: the signature is.

Counts live in Django's cache (``django.core.cache.cache``, Saleor's CACHE_URL), in
one-minute buckets per client address, so the window rolls a minute at a time.
With a cache shared by every Saleor process (Redis, Memcached) the limit holds for
the whole store; with the local-memory cache, per process.
"""

import math
from dataclasses import dataclass
from hashlib import sha256

from django.core.cache import cache

# After MAX_BAD_TOKENS bad tokens from one address within WINDOW_SECONDS, every
# further request of that address to the plugin's pages (the next bad token
# included) is answered 429 until enough of them are older than the window. A
# customer mistyping a link a few times is far below it.
MAX_BAD_TOKENS = 20
WINDOW_SECONDS = 10 * 60
BUCKET_SECONDS = 60
BUCKETS = WINDOW_SECONDS // BUCKET_SECONDS
KEY_PREFIX = "saleor_cs_plugin:pages:bad_tokens"


@dataclass(frozen=True)
class Verdict:
    is_allowed: bool
    # Seconds until the address may try again (0 when allowed).
    retry_after: int = 0


def _keys(address: str, now: float) -> list[tuple[int, str]]:
    # Addresses are hashed: the cache may be shared, and keys stay short and
    # free of the colons of IPv6 addresses.
    digest = sha256(address.encode()).hexdigest()[:32]
    current = int(now // BUCKET_SECONDS)
    return [
        (bucket, f"{KEY_PREFIX}:{digest}:{bucket}")
        for bucket in range(current - BUCKETS + 1, current + 1)
    ]


def check(address: str | None, *, now: float) -> Verdict:
    """Whether ``address`` may still open the pages (``now``: a Unix time)."""
    keys = _keys(address or "unknown", now)
    counts = cache.get_many([key for _, key in keys])
    total = sum(counts.values())
    if total < MAX_BAD_TOKENS:
        return Verdict(is_allowed=True)
    # The oldest buckets leave the window first: wait until what remains is back
    # within the limit.
    for bucket, key in keys:
        total -= counts.get(key, 0)
        if total < MAX_BAD_TOKENS:
            leaves_at = (bucket + BUCKETS) * BUCKET_SECONDS
            return Verdict(
                is_allowed=False, retry_after=max(1, math.ceil(leaves_at - now))
            )
    return Verdict(is_allowed=False, retry_after=WINDOW_SECONDS)


def count_bad_token(address: str | None, *, now: float) -> None:
    """One more bad token from ``address``."""
    _, key = _keys(address or "unknown", now)[-1]
    # add() is a no-op when the bucket exists; incr() is atomic on shared caches.
    cache.add(key, 0, timeout=WINDOW_SECONDS + BUCKET_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        # The bucket expired between add and incr.
        cache.add(key, 1, timeout=WINDOW_SECONDS + BUCKET_SECONDS)
