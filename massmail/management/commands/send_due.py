from django.core.management.base import BaseCommand

from massmail import scheduling, sending, starting


class Command(BaseCommand):
    help = "One drip pass in the foreground (no broker): plan, then send each due account's batch."

    def add_arguments(self, parser):
        parser.add_argument(
            "--janitor", action="store_true", help="Also mark rows stuck in `sending` uncertain."
        )

    def handle(self, *args, janitor=False, **options):
        if janitor:
            self.stdout.write(f"uncertain: {sending.mark_stuck_uncertain()}")
        starting.start_due_mailings()
        due = scheduling.due_accounts()
        if not due:
            self.stdout.write("Nothing is due (outside business time, limits reached, or nothing pending).")
        for item in due:
            self.stdout.write(str(sending.send_batch(item.account_id, item.batch)))
        sending.finish_idle_mailings()
