import pytest
from django.test import override_settings

pytest_plugins = ["crm.tests.fixtures", "testsupport.fixtures"]

# Production serves hashed static files from collectstatic's manifest; tests render pages
# without running collectstatic, so {% static %} gives plain names here.
PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def pytest_configure(config):
    override_settings(STORAGES=PLAIN_STATIC).enable()


@pytest.fixture(autouse=True)
def mail_servers_on_loopback(settings):
    """The tests' SMTP and IMAP servers run on 127.0.0.1: allow forms to reach them, as the
    demo does. The SSRF tests (mailaccounts/tests/test_destinations.py) turn this off."""
    settings.MAIL_ALLOW_PRIVATE_HOSTS = True
