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
