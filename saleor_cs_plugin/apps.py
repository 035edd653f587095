"""The plugin as a Django app: the one place that wires into Saleor at start-up."""

from django.apps import AppConfig


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
