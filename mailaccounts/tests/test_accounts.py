from mailaccounts.accounts import mark_reconnected, notify_account, record_auth_failure
from mailaccounts.models import AccountNotification, EmailAccount


def test_auth_failure_deactivates_and_notifies_once(alice):
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test", massmail=True)
    record_auth_failure(account, "The server did not accept the login: 535 5.7.8 Bad credentials.")
    record_auth_failure(account, "again")  # a second worker hitting the same wall

    account.refresh_from_db()
    assert (account.is_active, account.needs_reconnect) == (False, True)
    assert account.last_error == "again"
    [note] = account.notifications.all()
    assert note.level == AccountNotification.Level.ERROR
    assert note.text.startswith("Re-connect needed: The server did not accept the login")


def test_reconnected_account_is_active_again(alice):
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test")
    record_auth_failure(account, "bad password")
    mark_reconnected(account)
    account.refresh_from_db()
    assert (account.is_active, account.needs_reconnect, account.last_error) == (True, False, "")
    assert account.notifications.first().text == "Re-connected: the account is active again."


def test_notify_account_truncates_long_text(alice):
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test")
    note = notify_account(account, "x" * 5000, level="error")
    assert len(note.text) == 1000
