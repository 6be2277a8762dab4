"""One-to-one mail: stored messages (CrmEmail), compose, inbox, templates, signatures,
linking by ticket and References, assignment, digest, open/click tracking, per-email reports.
May import crm, mailaccounts and mailkit; extends them by registering in `ready()`."""

from django.apps import AppConfig


class CorrespondenceConfig(AppConfig):
    name = "correspondence"
    verbose_name = "Correspondence"

    def ready(self):
        from correspondence import importing, record_pages, reports
        from crm import record_pages as crm_record_pages
        from crm import roles
        from mailaccounts import imap_sync, usage

        imap_sync.register_handler(importing.ImportHandler())
        usage.register_counter("direct", reports.sent_per_day)
        crm_record_pages.add_object_tool(record_pages.write_email_link)
        crm_record_pages.add_panel(record_pages.timeline_panel)
        roles.grant(
            "correspondence.crmemail",
            {
                roles.Role.SALES_MANAGER: ("view", "add"),
                roles.Role.DEPARTMENT_HEAD: ("view", "add"),
                roles.Role.COMPANY_MANAGER: ("view",),
            },
        )
        roles.grant("correspondence.signature", roles.AUTHORING)
