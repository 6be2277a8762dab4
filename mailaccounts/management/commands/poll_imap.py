from django.core.management.base import BaseCommand, CommandError

from mailaccounts import imap_sync
from mailaccounts.models import EmailAccount


class Command(BaseCommand):
    help = "Sync IMAP mail now: every account with IMAP import on, only due ones, or one account."

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, help="The id of one account to sync")
        parser.add_argument("--due", action="store_true", help="Only accounts whose next sync is due")

    def handle(self, *args, account=None, due=False, **options):
        if account is not None:
            accounts = EmailAccount.objects.filter(pk=account)
            if not accounts.exists():
                raise CommandError(f"No email account with id {account}.")
        elif due:
            accounts = imap_sync.due_accounts()
        else:
            accounts = EmailAccount.objects.filter(do_import=True, is_active=True).exclude(imap_host="")
        for item in accounts:
            run = imap_sync.sync_account(item)
            if run is None:
                self.stdout.write(f"{item.email}: skipped, another poller is syncing it")
            elif run.ok:
                self.stdout.write(f"{item.email}: {item.last_sync_result}")
            else:
                self.stderr.write(f"{item.email}: {run.error}")
