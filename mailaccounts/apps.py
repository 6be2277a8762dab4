"""Mailboxes: EmailAccount, grants, credentials, OAuth, SMTP delivery, IMAP fetch and folder
state, account notifications. May import crm and mailkit; upper apps register handlers here."""

from django.apps import AppConfig


class MailaccountsConfig(AppConfig):
    name = "mailaccounts"
    verbose_name = "Email accounts"

    def ready(self):
        from crm import roles
        from mailaccounts import checks  # noqa: F401 - registers the system checks

        roles.grant(
            "mailaccounts.emailaccount",
            {
                roles.Role.SALES_MANAGER: ("view", "change"),
                roles.Role.DEPARTMENT_HEAD: ("view", "change"),
                roles.Role.COMPANY_MANAGER: ("view",),
            },
        )
