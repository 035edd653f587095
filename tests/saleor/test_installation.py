"""The plugin installs into Saleor the way a merchant installs it: by entry point."""

import importlib
import importlib.metadata

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from packaging.requirements import Requirement
from saleor.graphql.api import schema
from saleor.plugins.base_plugin import ConfigurationTypeField

from saleor_cs_plugin.graphql import schema as plugin_schema

PLUGIN_PATH = "saleor_cs_plugin.plugin.CustomerServicePlugin"

INTROSPECT_FIELDS = """
query Fields($name: String!) {
  __type(name: $name) { fields { name } }
}
"""


def test_entry_point_registers_app_and_plugin_in_saleor_settings():
    # given Saleor's own settings module, which reads the saleor.plugins entry points
    saleor_settings = importlib.import_module("saleor.settings")

    # then
    assert "saleor_cs_plugin" in saleor_settings.INSTALLED_APPS
    assert saleor_settings.EXTERNAL_PLUGINS.count(PLUGIN_PATH) == 1
    assert PLUGIN_PATH in saleor_settings.PLUGINS
    assert apps.get_app_config("saleor_cs_plugin").verbose_name == "Customer service"


def test_every_runtime_dependency_is_installed_beside_saleor():
    # Saleor's own pins are kept (the plugin is installed without dependencies), so
    # what the plugin adds, the holidays package, must be installed beside it.
    requirements = [
        Requirement(text)
        for text in importlib.metadata.requires("saleor-cs-plugin")
        if "extra ==" not in text
    ]
    assert "holidays" in {requirement.name for requirement in requirements}
    for requirement in requirements:
        installed = importlib.metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (
            requirement,
            installed,
        )


def test_settings_map_onto_saleor_field_types():
    from saleor_cs_plugin.plugin import CustomerServicePlugin

    types = [item["type"] for item in CustomerServicePlugin.CONFIG_STRUCTURE.values()]
    assert set(types) == {
        ConfigurationTypeField.OUTPUT,
        ConfigurationTypeField.STRING,
        ConfigurationTypeField.MULTILINE,
        ConfigurationTypeField.PASSWORD,
    }
    assert list(CustomerServicePlugin.CONFIG_STRUCTURE) == [
        item["name"] for item in CustomerServicePlugin.DEFAULT_CONFIGURATION
    ]


@pytest.mark.django_db
def test_migrations_created_the_history_table_with_its_indexes():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(
            cursor, "saleor_cs_plugin_servicehistoryentry"
        )
    index_names = {name for name, spec in constraints.items() if spec["index"]}
    assert {
        "cs_history_user_created",
        "cs_history_order_created",
        "cs_history_email_created",
    } <= index_names


@pytest.mark.django_db
def test_models_have_no_unmigrated_changes():
    # makemigrations --check exits with SystemExit(1) when a migration is missing
    call_command("makemigrations", "saleor_cs_plugin", check=True, dry_run=True)


@pytest.mark.parametrize(
    ("type_name", "field_name"),
    [
        ("User", "serviceHistory"),
        ("Order", "serviceHistory"),
        ("User", "serviceNoticePreferences"),
        ("Query", "serviceNotices"),
        ("Mutation", "serviceContactLog"),
        ("Mutation", "serviceNoticeRetry"),
        ("Mutation", "serviceNoticePreferencesUpdate"),
        ("Order", "deliveryPromise"),
        ("Mutation", "serviceDeliveryConfirm"),
    ],
)
def test_introspection_shows_the_plugin_fields(api_client, type_name, field_name):
    # when
    response = api_client.post_graphql(INTROSPECT_FIELDS, {"name": type_name})

    # then
    fields = {f["name"] for f in response.json()["data"]["__type"]["fields"]}
    assert field_name in fields


def test_schema_check_passes_on_this_saleor():
    assert plugin_schema.check_schema_extension() == []
    assert plugin_schema.missing_schema_fields(schema) == []


def test_mounting_after_saleor_built_its_schema_fails_loudly():
    # given saleor.graphql.api is imported (the schema is built)
    # when / then
    with pytest.raises(ImproperlyConfigured) as error:
        plugin_schema.extend_saleor_schema()
    assert "saleor.graphql.api was imported before" in str(error.value)


def test_a_field_saleor_already_has_is_never_replaced():
    # given a type that already has a field of that name
    from saleor.graphql.account.types import User

    # when / then
    with pytest.raises(ImproperlyConfigured) as error:
        plugin_schema._add_field(User, "email", User._meta.fields["note"])
    assert str(error.value) == (
        "saleor_cs_plugin: Saleor's User type already has a field 'email'; the "
        "plugin will not replace it."
    )


def test_schema_check_reports_missing_fields():
    class SchemaWithoutUser:
        @staticmethod
        def get_type(name):
            return None

    # every mounted field is reported, in the order they are mounted
    assert plugin_schema.missing_schema_fields(SchemaWithoutUser) == [
        f"{type_name}.{field_name}"
        for type_name, field_name in plugin_schema.MOUNTED_FIELDS
    ]
