"""The Saleor plugin: its identity and its per-channel settings in the Dashboard.

This is the only module that knows Saleor's plugin API. Hooks, as features need them,
belong here: each checks that the plugin is active, makes one call, and hands back
``previous_value``.
"""

from django.core.exceptions import ValidationError
from saleor.checkout.error_codes import CheckoutErrorCode
from saleor.plugins.base_plugin import BasePlugin, ConfigurationTypeField
from saleor.plugins.error_codes import PluginErrorCode

from . import config, tasks

_FIELD_TYPES = {
    config.FieldKind.TEXT: ConfigurationTypeField.STRING,
    config.FieldKind.MULTILINE: ConfigurationTypeField.MULTILINE,
    config.FieldKind.BOOLEAN: ConfigurationTypeField.BOOLEAN,
    config.FieldKind.PASSWORD: ConfigurationTypeField.PASSWORD,
}


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

    @classmethod
    def validate_plugin_configuration(cls, plugin_configuration, **kwargs):
        values = {
            item["name"]: item["value"] for item in plugin_configuration.configuration
        }
        try:
            config.parse_channel_settings(values)
        except config.SettingsError as error:
            raise ValidationError(
                {
                    name: ValidationError(
                        f"{cls.CONFIG_STRUCTURE[name]['label']} ({name}): {message}",
                        code=PluginErrorCode.INVALID.value,
                    )
                    for name, message in error.errors.items()
                }
            ) from error

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

    def preprocess_order_creation(self, checkout_info, lines=None, previous_value=None,
                                  **kwargs):
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
