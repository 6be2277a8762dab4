"""What happens to an account when something goes wrong, and the notes its owner sees."""

from django.db import transaction
from django.utils import timezone

from mailaccounts.models import AccountNotification, EmailAccount

TEXT_MAX = AccountNotification._meta.get_field("text").max_length


def notify_account(account, text, level="info"):
    """Append a note to the account's notifications (shown on the accounts page)."""
    return AccountNotification.objects.create(account=account, level=level, text=text[:TEXT_MAX])


def record_error(account, message):
    """Keep the last error on the account without changing whether it is active."""
    now = timezone.now()
    EmailAccount.objects.filter(pk=account.pk).update(last_error=message, last_error_at=now)
    account.last_error, account.last_error_at = message, now


def record_auth_failure(account, message):
    """The server refused the account's login: stop using it until someone re-connects it.

    Called by the drip sender and the IMAP sync; many workers may call it at once, so only the
    one that flips the account to needs_reconnect writes the notification.
    """
    now = timezone.now()
    flipped = EmailAccount.objects.filter(pk=account.pk, needs_reconnect=False).update(
        is_active=False, needs_reconnect=True, last_error=message, last_error_at=now
    )
    if not flipped:
        EmailAccount.objects.filter(pk=account.pk).update(
            is_active=False, last_error=message, last_error_at=now
        )
    account.is_active, account.needs_reconnect = False, True
    account.last_error, account.last_error_at = message, now
    if flipped:
        notify_account(account, f"Re-connect needed: {message}", level=AccountNotification.Level.ERROR)


def mark_reconnected(account):
    """A connection test passed: clear the error, and re-activate an account that needed it
    (one switched off by hand stays off)."""
    was_broken = account.needs_reconnect
    fields = {"last_error": "", "last_error_at": None, "needs_reconnect": False}
    if was_broken:
        fields["is_active"] = True
    EmailAccount.objects.filter(pk=account.pk).update(**fields)
    for name, value in fields.items():
        setattr(account, name, value)
    if was_broken:
        notify_account(account, "Re-connected: the account is active again.")


def save_account(account):
    """Save an account edited in a form; ticking "default" moves the owner's default here."""
    with transaction.atomic():
        if account.is_default and account.owner_id:
            EmailAccount.objects.filter(owner_id=account.owner_id, is_default=True).exclude(
                pk=account.pk
            ).update(is_default=False)
        account.save()
