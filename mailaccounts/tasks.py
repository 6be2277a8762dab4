"""Celery shells around `mailaccounts.imap_sync`; the same functions run without a broker."""

from celery import shared_task

from mailaccounts import imap_sync
from mailaccounts.models import EmailAccount


@shared_task(ignore_result=True)
def poll_imap_accounts():
    """Beat, every minute: one sync task per account whose next sync is due."""
    for account_id in imap_sync.take_due_accounts():
        sync_imap_account.delay(account_id)


@shared_task(ignore_result=True)
def sync_imap_account(account_id):
    account = EmailAccount.objects.filter(pk=account_id).first()
    if account is not None:
        # None when another worker holds the account's lease: nothing to do.
        imap_sync.sync_account(account)
