"""The plugin as a Django app: the one place that wires into Saleor at start-up."""

import gc
from datetime import timedelta

from django.apps import AppConfig
from django.conf import settings

SWEEP_NOTICES_BEAT_ENTRY = "saleor-cs-plugin-sweep-notices"
SWEEP_NOTICES_EVERY = timedelta(minutes=1)
SWEEP_PROMISES_BEAT_ENTRY = "saleor-cs-plugin-sweep-promises"
SWEEP_PROMISES_EVERY = timedelta(minutes=5)
SWEEP_STOCK_SHORTAGES_BEAT_ENTRY = "saleor-cs-plugin-sweep-stock-shortages"
SWEEP_STOCK_SHORTAGES_EVERY = timedelta(minutes=5)
SWEEP_PROMOTED_CODES_BEAT_ENTRY = "saleor-cs-plugin-sweep-promoted-codes"
SWEEP_PROMOTED_CODES_EVERY = timedelta(minutes=15)
FORGET_COUPON_CLIENT_ADDRESSES_BEAT_ENTRY = (
    "saleor-cs-plugin-forget-coupon-client-addresses"
)
FORGET_COUPON_CLIENT_ADDRESSES_EVERY = timedelta(minutes=15)
SWEEP_SURVEYS_BEAT_ENTRY = "saleor-cs-plugin-sweep-surveys"
SWEEP_SURVEYS_EVERY = timedelta(minutes=15)
SWEEP_WAITING_CONVERSATIONS_BEAT_ENTRY = "saleor-cs-plugin-sweep-waiting-conversations"
# The shortest answer target is minutes long: a wait past it is told within a minute.
SWEEP_WAITING_CONVERSATIONS_EVERY = timedelta(minutes=1)
SWEEP_INBOUND_POSTS_BEAT_ENTRY = "saleor-cs-plugin-sweep-inbound-posts"
# A post whose filing task was lost is filed within a minute and a half.
SWEEP_INBOUND_POSTS_EVERY = timedelta(minutes=1)
# Once a day: personal data past each channel's retention period (the customers'
# own words in survey answers included) is purged.
PURGE_PERSONAL_DATA_BEAT_ENTRY = "saleor-cs-plugin-purge-personal-data"
PURGE_PERSONAL_DATA_EVERY = timedelta(days=1)


def prepare_worker_process(**kwargs):
    """Load what a worker's first sweeps would load on their clock (translation
    catalogs, Babel's data, the channels' parsed settings), then freeze what is
    alive, as Saleor's ASGI preload does for the web process: later full garbage
    collections (a quarter of a second over what Saleor and the plugin keep) skip
    it."""
    from . import promises

    promises.warm_up()
    gc.collect()
    gc.freeze()


class CustomerServiceConfig(AppConfig):
    name = "saleor_cs_plugin"
    label = "saleor_cs_plugin"
    verbose_name = "Customer service"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Saleor builds its GraphQL schema when saleor.graphql.api is first imported,
        # which happens after every app is ready; the fields must be on Saleor's
        # types before that.
        from celery.signals import worker_process_init
        from django.core import checks

        from .graphql.schema import check_schema_extension, extend_saleor_schema

        extend_saleor_schema()
        checks.register(check_schema_extension)
        # Once per worker process (a prefork child, or the solo pool), after Saleor
        # and the plugin are imported.
        worker_process_init.connect(
            prepare_worker_process, weak=False, dispatch_uid="saleor-cs-plugin-prepare"
        )
        # Saleor's Celery app reads its beat schedule from this setting.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            SWEEP_NOTICES_BEAT_ENTRY,
            {"task": "saleor_cs_plugin.sweep_notices", "schedule": SWEEP_NOTICES_EVERY},
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            SWEEP_PROMISES_BEAT_ENTRY,
            {
                "task": "saleor_cs_plugin.sweep_promises",
                "schedule": SWEEP_PROMISES_EVERY,
            },
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            SWEEP_STOCK_SHORTAGES_BEAT_ENTRY,
            {
                "task": "saleor_cs_plugin.sweep_stock_shortages",
                "schedule": SWEEP_STOCK_SHORTAGES_EVERY,
            },
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            SWEEP_PROMOTED_CODES_BEAT_ENTRY,
            {
                "task": "saleor_cs_plugin.sweep_promoted_codes",
                "schedule": SWEEP_PROMOTED_CODES_EVERY,
            },
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            FORGET_COUPON_CLIENT_ADDRESSES_BEAT_ENTRY,
            {
                "task": "saleor_cs_plugin.forget_coupon_client_addresses",
                "schedule": FORGET_COUPON_CLIENT_ADDRESSES_EVERY,
            },
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            SWEEP_SURVEYS_BEAT_ENTRY,
            {"task": "saleor_cs_plugin.sweep_surveys", "schedule": SWEEP_SURVEYS_EVERY},
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            SWEEP_INBOUND_POSTS_BEAT_ENTRY,
            {
                "task": "saleor_cs_plugin.sweep_inbound_posts",
                "schedule": SWEEP_INBOUND_POSTS_EVERY,
            },
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            SWEEP_WAITING_CONVERSATIONS_BEAT_ENTRY,
            {
                "task": "saleor_cs_plugin.sweep_waiting_conversations",
                "schedule": SWEEP_WAITING_CONVERSATIONS_EVERY,
            },
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            PURGE_PERSONAL_DATA_BEAT_ENTRY,
            {
                "task": "saleor_cs_plugin.purge_personal_data",
                "schedule": PURGE_PERSONAL_DATA_EVERY,
            },
        )
