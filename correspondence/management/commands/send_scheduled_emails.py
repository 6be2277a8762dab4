from django.core.management.base import BaseCommand

from correspondence.compose import send_scheduled_emails


class Command(BaseCommand):
    help = "Send the one-to-one emails whose scheduled time has come (what the beat task does)."

    def handle(self, *args, **options):
        sent = send_scheduled_emails()
        self.stdout.write(f"{sent} scheduled email(s) sent.")
