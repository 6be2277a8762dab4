"""One-to-one mail: stored messages (CrmEmail), compose, inbox, templates, signatures,
linking by ticket and References, assignment, digest, open/click tracking, per-email reports.
May import crm, mailaccounts and mailkit; extends them by registering in `ready()`."""

from django.apps import AppConfig


class CorrespondenceConfig(AppConfig):
    name = "correspondence"
    verbose_name = "Correspondence"

    def ready(self):
        from correspondence import importing, record_pages, reports
        from correspondence.models import CrmEmailAttachment
        from crm import files, roles
        from crm import record_pages as crm_record_pages
        from mailaccounts import handlers, usage

        handlers.register_handler(importing.ImportHandler())
        files.register("email", CrmEmailAttachment.objects.visible_to)
        usage.register_counter("direct", reports.sent_per_day)
        crm_record_pages.add_object_tool(record_pages.write_email_link)
        crm_record_pages.add_panel(record_pages.timeline_panel)
        crm_record_pages.add_timeline_source(record_pages.mail_entries)
        # Stored mail is written only by the product (compose, import): no raw add form.
        roles.grant("correspondence.crmemail", dict.fromkeys(roles.Role, ("view",)))
        roles.grant("correspondence.signature", roles.AUTHORING)
