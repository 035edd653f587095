"""The plugin as a Django app: the one place that wires into Saleor at start-up."""

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
ERASE_SURVEY_COMMENTS_BEAT_ENTRY = "saleor-cs-plugin-erase-survey-comments"
ERASE_SURVEY_COMMENTS_EVERY = timedelta(days=1)


class CustomerServiceConfig(AppConfig):
    name = "saleor_cs_plugin"
    label = "saleor_cs_plugin"
    verbose_name = "Customer service"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Saleor builds its GraphQL schema when saleor.graphql.api is first imported,
        # which happens after every app is ready; the fields must be on Saleor's
        # types before that.
        from django.core import checks

        from .graphql.schema import check_schema_extension, extend_saleor_schema

        extend_saleor_schema()
        checks.register(check_schema_extension)
        # Saleor's Celery app reads its beat schedule from this setting.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            SWEEP_NOTICES_BEAT_ENTRY,
            {"task": "saleor_cs_plugin.sweep_notices", "schedule": SWEEP_NOTICES_EVERY},
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            SWEEP_PROMISES_BEAT_ENTRY,
            {"task": "saleor_cs_plugin.sweep_promises", "schedule": SWEEP_PROMISES_EVERY},
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
            ERASE_SURVEY_COMMENTS_BEAT_ENTRY,
            {
                "task": "saleor_cs_plugin.erase_survey_comments",
                "schedule": ERASE_SURVEY_COMMENTS_EVERY,
            },
        )
