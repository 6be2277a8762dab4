from django.apps import AppConfig


class MassmailConfig(AppConfig):
    name = "massmail"

    def ready(self):
        from crm import files
        from crm.record_panels import register_record_panel
        from mailaccounts.handlers import register_fetched_mail_handler
        from massmail import record_panel, returns
        from massmail.models import MessageAttachment

        # Bounces and complaints the IMAP sync reads are applied to the mailings' rows here.
        register_fetched_mail_handler(returns.handle)
        # A record's page says why its address gets no newsletters.
        register_record_panel(record_panel.suppression_panel)

        # Message attachments and inline images are downloaded through crm's checked view.
        files.register("message", MessageAttachment.objects.visible_to)
