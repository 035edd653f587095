"""Runs the plugin inside a real Saleor with Saleor's own pytest fixtures.

Saleor's root conftest (not an importable module) wires its fixture modules and the
second, replica, database connection. It is loaded from the Saleor tree itself, so this
tier follows whatever the Saleor under test declares.
"""

import importlib.util
import os
import uuid
from pathlib import Path

import pytest
import saleor
from django.core.cache import cache
from django.test import Client
from saleor.account.models import Group
from saleor.graphql.tests.fixtures import ApiClient
from saleor.plugins.models import PluginConfiguration

from peers import SmtpReceiver, WebhookReceiver
from saleor_cs_plugin.plugin import CustomerServicePlugin

WEBHOOK_SECRET = "a-test-secret-of-32-characters!!"

PLUGIN_PATH = "saleor_cs_plugin.plugin.CustomerServicePlugin"
SALEOR_HOME = Path(os.environ.get("SALEOR_HOME", "/opt/saleor"))
# Saleor 3.21 is not an installable package (no metadata); every version has this.
SALEOR_VERSION = saleor.__version__

_spec = importlib.util.spec_from_file_location(
    "saleor_root_conftest", SALEOR_HOME / "conftest.py"
)
_saleor_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_saleor_conftest)

pytest_plugins = _saleor_conftest.pytest_plugins


def pytest_report_header(config):
    return f"Saleor tier: Saleor {SALEOR_VERSION} at {SALEOR_HOME}"


@pytest.fixture(autouse=True)
def plugin_installed(request, settings):
    """Lists the plugin in PLUGINS, as the entry point does in a store.

    Saleor's test settings empty PLUGINS, and an autouse fixture of Saleor's resets
    it to dummy payment gateways (``setup_dummy_gateways`` up to 3.23,
    ``setup_dummy_gateway`` on main); this runs after it.
    """
    for name in request.fixturenames:
        if name.startswith("setup_dummy_gateway"):
            request.getfixturevalue(name)
    settings.PLUGINS = [*settings.PLUGINS, PLUGIN_PATH]


@pytest.fixture
def plugin_configuration(channel_USD):
    """The plugin, active in the USD channel, with the given settings."""

    def configure(active=True, **values):
        configuration = [
            {"name": item["name"], "value": values.get(item["name"], item["value"])}
            for item in CustomerServicePlugin.DEFAULT_CONFIGURATION
        ]
        return PluginConfiguration.objects.create(
            identifier=CustomerServicePlugin.PLUGIN_ID,
            channel=channel_USD,
            active=active,
            configuration=configuration,
        )

    return configure


@pytest.fixture
def other_customer_api_client(customer_user2):
    return ApiClient(user=customer_user2)


@pytest.fixture
def smtp_receiver():
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver(secret=WEBHOOK_SECRET).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def staff_in_group(staff_api_client):
    """Staff permissions through a permission group, as Saleor grants them; with
    ``channels`` the group is restricted to those channels."""

    def grant(*permissions, channels=None):
        group = Group.objects.create(
            name=f"cs-{uuid.uuid4().hex[:8]}",
            restricted_access_to_channels=channels is not None,
        )
        group.permissions.add(*permissions)
        if channels:
            group.channels.add(*channels)
        group.user_set.add(staff_api_client.user)
        return staff_api_client

    return grant


@pytest.fixture
def caller(request):
    """One of Saleor's API clients by fixture name, given a permission by fixture name
    (to the app, or directly to the user), for permission matrices."""

    def get(client_name, permission_name=None):
        client = request.getfixturevalue(client_name)
        if permission_name:
            permission = request.getfixturevalue(permission_name)
            if client.app:
                client.app.permissions.add(permission)
            else:
                client.user.user_permissions.add(permission)
        return client

    return get


@pytest.fixture
def fresh_cache():
    """Django's cache emptied before and after the test (the pages' throttle counts
    there)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def browser():
    """A client that meets CSRF checks as a browser does."""
    return Client(enforce_csrf_checks=True)
