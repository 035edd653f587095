"""Settings of the Celery worker process started by the worker tests."""

import os

from saleor.tests.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
PLUGINS = ["saleor_cs_plugin.plugin.CustomerServicePlugin"]
# A claimed notice returns to the sweep quickly after its worker dies.
SALEOR_CS_NOTICE_CLAIM_SECONDS = 2
