"""What the benchmarks share: Django set-up, and the tests' webhook channel set-up."""

import django

django.setup()

from peers import drop_channel, webhook_channel  # noqa: E402, F401

WEBHOOK_SECRET = "benchmark-secret-of-enough-length"
