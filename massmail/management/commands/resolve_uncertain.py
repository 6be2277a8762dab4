from django.core.management.base import BaseCommand, CommandError

from massmail.models import MailingRecipient
from massmail.sending import resolve_uncertain


class Command(BaseCommand):
    help = (
        "Decide on `uncertain` rows (a worker died while sending them): --sent when they did go "
        "out (e.g. found in the account's Sent folder or the server log by Message-ID), --retry "
        "to send them again. Without either, lists them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mailing", type=int, help="Only this mailing's rows.")
        decision = parser.add_mutually_exclusive_group()
        decision.add_argument("--sent", action="store_true", help="Mark them sent.")
        decision.add_argument("--retry", action="store_true", help="Make them pending again.")

    def handle(self, *args, mailing=None, sent=False, retry=False, **options):
        rows = MailingRecipient.objects.filter(status=MailingRecipient.Status.UNCERTAIN)
        if mailing is not None:
            rows = rows.filter(mailing_id=mailing)
        if not (sent or retry):
            for row in rows.order_by("mailing_id", "id")[:1000]:
                self.stdout.write(
                    f"mailing {row.mailing_id}\t{row.email}\t{row.message_id}\t{row.claimed_at}"
                )
            self.stdout.write(f"{rows.count()} uncertain row(s).")
            return
        if not rows.exists():
            raise CommandError("No uncertain rows match.")
        changed = resolve_uncertain(rows, as_sent=sent)
        self.stdout.write(f"{changed} row(s) marked {'sent' if sent else 'pending again'}.")
