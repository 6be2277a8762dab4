import pytest


@pytest.fixture(autouse=True)
def demo_installed(settings):
    """The demo app as scripts/demo.sh runs it (DEMO=1): installed, its pages routed."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "demo"]
    settings.DEMO = True
    settings.ROOT_URLCONF = "demo.tests.urls"
