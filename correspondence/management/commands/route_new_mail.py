from django.core.management.base import BaseCommand

from correspondence.inbox import route_new_mail, send_daily_digests


class Command(BaseCommand):
    help = "Assign new incoming conversations of shared mailboxes and notify people (the beat task)."

    def add_arguments(self, parser):
        parser.add_argument("--digest", action="store_true", help="Also send the daily digests now.")

    def handle(self, *args, **options):
        self.stdout.write(f"{route_new_mail()} new email(s) routed.")
        if options["digest"]:
            self.stdout.write(f"{send_daily_digests()} digest(s) sent.")
