"""The Saleor plugin: its identity and its per-channel settings in the Dashboard.

This is the only module that knows Saleor's plugin API. Hooks, as features need them,
belong here: each checks that the plugin is active, makes one call, and hands back
``previous_value``.

Saleor returns a store's settings in the order they were first stored, and the
Dashboard shows them so; ``resolve_plugin_configuration`` puts them in the order of
``config.FIELDS`` and fills the read-only status lines.
"""

import importlib
import logging

from django.core.exceptions import ValidationError
from saleor.checkout.error_codes import CheckoutErrorCode
from saleor.plugins.base_plugin import BasePlugin, ConfigurationTypeField
from saleor.plugins.error_codes import PluginErrorCode

from . import config, tasks
from .conversations import inbound
from .pages import routes

logger = logging.getLogger(__name__)

_FIELD_TYPES = {
    config.FieldKind.TEXT: ConfigurationTypeField.STRING,
    config.FieldKind.MULTILINE: ConfigurationTypeField.MULTILINE,
    config.FieldKind.PASSWORD: ConfigurationTypeField.PASSWORD,
    config.FieldKind.OUTPUT: ConfigurationTypeField.OUTPUT,
}

# What a status line shows when its value could not be worked out (as channel_status
# says when it cannot read the counts).
STATUS_UNAVAILABLE = "unavailable right now"


class CustomerServicePlugin(BasePlugin):
    PLUGIN_ID = config.PLUGIN_ID
    PLUGIN_NAME = "Customer service"
    PLUGIN_DESCRIPTION = (
        "Keeps a service history of every contact, readable by the customer and "
        "staff, sends proactive notices once, on the channel the customer uses, and "
        "tells customers first when an order will miss its promised date."
    )
    CONFIGURATION_PER_CHANNEL = True
    DEFAULT_ACTIVE = False
    DEFAULT_CONFIGURATION = [
        {"name": field.name, "value": field.default} for field in config.FIELDS
    ]
    CONFIG_STRUCTURE = {
        field.name: {
            "type": _FIELD_TYPES[field.kind],
            "label": field.label,
            "help_text": field.help_text,
        }
        for field in config.FIELDS
    }

    def get_plugin_configuration(self, configuration):
        # A store saved before smtp_security existed holds two booleans instead,
        # which Saleor would drop (they are no settings now) and replace with the
        # default: the Dashboard shows, and its next save keeps, what they said.
        security = config.legacy_smtp_security(
            {item["name"]: item.get("value") for item in configuration or []}
        )
        if security is not None:
            configuration = [
                *configuration,
                {"name": "smtp_security", "value": security},
            ]
        return super().get_plugin_configuration(configuration)

    def resolve_plugin_configuration(self, request):
        """The settings in the order of ``config.FIELDS``, status lines filled in."""
        by_name = {item["name"]: item for item in self.configuration}
        status = self._status_lines()
        ordered = []
        for field in config.FIELDS:
            item = by_name.get(field.name)
            if item is None:
                continue
            if field.kind == config.FieldKind.OUTPUT:
                # A copy: self.configuration is what a first save stores.
                item = {**item, "value": status.get(field.name, STATUS_UNAVAILABLE)}
            ordered.append(item)
        return ordered

    def _status_lines(self) -> dict[str, str]:
        channel_id = self.channel.pk if self.channel else None
        module_name = f"{__package__}.channel_status"
        try:
            # Imported here, so that whatever goes wrong in it costs the status lines
            # only, never the settings page.
            channel_status = importlib.import_module(module_name)
            return channel_status.status_values(channel_id)
        except Exception as error:  # noqa: BLE001 - the settings page must open
            if isinstance(error, ModuleNotFoundError) and error.name == module_name:
                return dict.fromkeys(config.OUTPUT_FIELD_NAMES, "")
            logger.exception("Status lines of channel %s failed.", channel_id)
            return dict.fromkeys(config.OUTPUT_FIELD_NAMES, STATUS_UNAVAILABLE)

    @classmethod
    def validate_plugin_configuration(cls, plugin_configuration, **kwargs):
        # Each message leads with the field's label (SettingsError.labelled): the
        # Dashboard shows it as a toast and marks no field.
        values = {
            item["name"]: item.get("value")
            for item in plugin_configuration.configuration
        }
        try:
            config.parse_channel_settings(values)
        except config.SettingsError as error:
            raise ValidationError(
                {
                    name: ValidationError(message, code=PluginErrorCode.INVALID.value)
                    for name, message in error.labelled.items()
                }
            ) from error

    def webhook(self, request, path, previous_value, **kwargs):
        """The plugin's pages for customers (``pages.routes``) and the inbound
        address of the store's bridges (``conversations.inbound``), per channel."""
        if not self.active or self.channel is None:
            return previous_value
        if (path or "").strip("/") == inbound.PATH:
            return inbound.receive(
                request, channel=self.channel, configuration=self.configuration
            )
        return routes.respond(
            request, path, channel=self.channel, configuration=self.configuration
        )

    # Saleor calls these after the transaction that changed the order commits.

    def order_created(self, order, previous_value=None, **kwargs):
        if not self.active:
            return previous_value
        tasks.on_order_created(order, self.configuration)
        return previous_value

    def fulfillment_created(self, fulfillment, *args, previous_value=None, **kwargs):
        if not self.active:
            return previous_value
        tasks.on_fulfillment_shipped(fulfillment.pk)
        return previous_value

    def fulfillment_approved(self, fulfillment, *args, previous_value=None, **kwargs):
        if not self.active:
            return previous_value
        tasks.on_fulfillment_shipped(fulfillment.pk)
        return previous_value

    def order_cancelled(self, order, previous_value=None, **kwargs):
        if not self.active:
            return previous_value
        tasks.on_order_cancelled(order.pk)
        return previous_value

    def checkout_updated(self, checkout, previous_value=None, **kwargs):
        if not self.active:
            return previous_value
        tasks.on_checkout_updated(checkout)
        return previous_value

    def preprocess_order_creation(
        self, checkout_info, lines=None, previous_value=None, **kwargs
    ):
        if not self.active:
            return previous_value
        problem = tasks.bound_code_problem(checkout_info)
        if problem:
            raise ValidationError(
                {
                    "voucher_code": ValidationError(
                        problem, code=CheckoutErrorCode.VOUCHER_NOT_APPLICABLE.value
                    )
                }
            )
        return previous_value

    # Saleor 3.21 and 3.22 only; later versions never call it, and the sweep finds
    # the same stocks a few minutes later.
    def product_variant_out_of_stock(self, stock, previous_value, **kwargs):
        if not self.active:
            return previous_value
        tasks.schedule_stock_check(stock.pk)
        return previous_value
