"""The Saleor-free tier: Django is configured only for its translations, so that the
rules are tested with the real catalogs and Babel's formats (``words`` fixtures)."""

import django
import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(USE_I18N=True, LANGUAGE_CODE="en", INSTALLED_APPS=[])
    django.setup()

from saleor_cs_plugin.language import LOCALE_DIR, words_for  # noqa: E402

# The package's catalogs without installing the app: Django reads LOCALE_PATHS.
settings.LOCALE_PATHS = [str(LOCALE_DIR)]


@pytest.fixture
def english():
    return words_for("en")


@pytest.fixture
def polish():
    return words_for("pl")


@pytest.fixture
def german():
    return words_for("de")
