import pytest

pytest_plugins = ["crm.tests.fixtures", "testsupport.fixtures"]


@pytest.fixture(autouse=True)
def mail_servers_on_loopback(settings):
    """The tests' SMTP and IMAP servers run on 127.0.0.1: allow forms to reach them, as the
    demo does. The SSRF tests (mailaccounts/tests/test_destinations.py) turn this off."""
    settings.MAIL_ALLOW_PRIVATE_HOSTS = True
