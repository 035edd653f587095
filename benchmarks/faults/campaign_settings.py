"""Settings of the fault campaign's own process and of its workers: the benchmarks'
settings (or, in the Saleor tier's short run, the worker tests'), with Saleor's
webhook plugin listed so that the ``saleor_notify`` transport reaches a real app,
and a short notice claim so that a killed worker's notices come back within
seconds."""

import importlib
import os

_base = importlib.import_module(
    os.environ.get("FAULTS_BASE_SETTINGS", "bench_settings")
)
globals().update({name: value for name, value in vars(_base).items() if name.isupper()})

for _plugin in (
    "saleor.plugins.webhook.plugin.WebhookPlugin",
    "saleor_cs_plugin.plugin.CustomerServicePlugin",
):
    if _plugin not in PLUGINS:  # noqa: F821 (from the base settings)
        PLUGINS = [*PLUGINS, _plugin]  # noqa: F821

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
HTTP_IP_FILTER_ENABLED = False
SALEOR_CS_NOTICE_CLAIM_SECONDS = int(os.environ.get("FAULTS_CLAIM_SECONDS", "5"))
# Saleor keeps each webhook payload in a file (on the private storage, which is
# the media folder unless the settings name one).
if os.environ.get("FAULTS_MEDIA_ROOT"):
    MEDIA_ROOT = PRIVATE_MEDIA_ROOT = os.environ["FAULTS_MEDIA_ROOT"]
