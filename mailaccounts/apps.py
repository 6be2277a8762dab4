from django.apps import AppConfig


class MailaccountsConfig(AppConfig):
    name = "mailaccounts"
    verbose_name = "Email accounts"

    def ready(self):
        from mailaccounts import checks  # noqa: F401 - registers the system checks
