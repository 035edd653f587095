"""Saleor's production settings for the benchmarks (not its test settings, which
record telemetry in memory), with a real broker and loopback webhooks allowed."""

import os

from saleor.settings import *  # noqa: F403
from saleor.tests.settings import RSA_PRIVATE_KEY  # noqa: F401 (a throwaway key)

CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
HTTP_IP_FILTER_ENABLED = False
DEBUG = False
SECRET_KEY = "benchmarks-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
