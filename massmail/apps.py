"""Newsletters: messages, mailings and their recipients, the drip scheduler and sender,
unsubscribe, suppressions, bounces and complaints, mailing reports.
May import crm, mailaccounts, correspondence and mailkit; registers with them in `ready()`."""

from django.apps import AppConfig


class MassmailConfig(AppConfig):
    name = "massmail"
    verbose_name = "Mailings"  # the menu heading of its pages; "massmail" is the code's word

    def ready(self):
        from correspondence import linking, reports, tracking
        from crm import files, roles
        from crm import record_pages as crm_record_pages
        from crm.models import Company, Contact, Lead
        from mailaccounts import accounts, usage
        from mailaccounts.handlers import register_fetched_mail_handler
        from massmail import record_pages, returns, views
        from massmail import reports as mailing_reports
        from massmail.admin import make_massmail
        from massmail.models import MailingRecipient, MassmailSettings, MessageAttachment, Suppression

        # Bounces and complaints the IMAP sync reads are applied to the mailings' rows here.
        register_fetched_mail_handler(returns.handle)
        # A record's page says why its address gets no newsletters.
        crm_record_pages.add_panel(record_pages.suppression_panel)
        # ... and the mailings it received, beside its one-to-one mail.
        crm_record_pages.add_timeline_source(record_pages.mailing_entries)
        usage.register_counter("mailing", mailing_reports.sent_per_day)
        accounts.set_time_zone_source(lambda: MassmailSettings.load().time_zone)
        crm_record_pages.add_list_action(make_massmail, [Company, Contact, Lead], "massmail.add_mailing")
        tracking.register_recipient_finder(MailingRecipient.objects.tracked)
        linking.register_sent_mail_lookup(MailingRecipient.objects.by_message_ids)
        reports.register_address_states(Suppression.objects.states_of)
        reports.add_index_section("Mailings", views.report_index_mailings)
        reports.add_index_section("Mailing templates", views.report_index_messages)
        reports.add_report_urls(views.report_urls())
        for label in (
            "massmail.message",
            "massmail.messageattachment",
            "massmail.mailing",
            "massmail.segment",
        ):
            roles.grant(label, roles.AUTHORING)
        roles.grant(
            "massmail.mailing",
            {**roles.AUTHORING, roles.Role.COMPANY_MANAGER: ("view", "change")},
        )
        roles.grant("massmail.mailingrecipient", dict.fromkeys(roles.Role, ("view",)))
        # Message attachments and inline images are downloaded through crm's checked view.
        files.register("message", MessageAttachment.objects.visible_to)
