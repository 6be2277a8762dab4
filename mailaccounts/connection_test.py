"""'Test connection': log in over SMTP and IMAP, list the folders, say what is wrong in words.

The result is kept on the account: the folders (EmailAccount.folders and ImapFolder rows the
user switches on or off for sync) and, on failure, last_error. A test that passes after an
authentication failure re-activates the account.
"""

from __future__ import annotations

import imaplib
from dataclasses import dataclass, field

from mailaccounts import imap_sync
from mailaccounts.accounts import mark_reconnected, record_error
from mailaccounts.destinations import may_reach_private
from mailaccounts.models import ImapFolder
from mailaccounts.smtp import AccountMailer, Outcome, network_error_message


@dataclass
class Check:
    protocol: str  # "SMTP" or "IMAP"
    ok: bool
    message: str
    detail: str = ""
    auth_failed: bool = False


@dataclass
class ConnectionReport:
    checks: list[Check] = field(default_factory=list)
    folders: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def summary(self) -> str:
        return " ".join(f"{check.protocol}: {check.message}" for check in self.checks)


# What the page says when the SMTP server answered with a reply code: our words, never the
# server's text (whatever listens on a port can be made to "answer" the test); the full reply
# is kept in the check's detail for operators.
SMTP_REPLY_SENTENCES = {
    Outcome.AUTH: "The server did not accept the login. Check the user name and password (or the app password).",
    Outcome.THROTTLED: "The server asked to slow down. Try again later.",
    Outcome.TEMPORARY: "The server asked to try again later.",
    Outcome.PERMANENT: "The server refused the session. Check the host, port and security.",
    Outcome.CONNECTION: "The server did not answer as an SMTP server should. Check the host, port and security.",
}


def check_smtp(account, timeout: float = 15, public_only: bool = False) -> Check:
    if not account.smtp_host:
        return Check("SMTP", False, "No SMTP server is set for this account.")
    mailer = AccountMailer(account, timeout=timeout, public_only=public_only)
    try:
        failure = mailer.open()
    finally:
        mailer.close()
    if failure is None:
        how = "logged in" if account.password or account.auth_method != "password" else "connected (no login)"
        return Check("SMTP", True, f"{how} to {account.smtp_host}:{account.smtp_port}.")
    message = failure.message if failure.code is None else SMTP_REPLY_SENTENCES[failure.outcome]
    return Check("SMTP", False, message, failure.detail, auth_failed=failure.outcome is Outcome.AUTH)


def check_imap(account, timeout: float = 15, public_only: bool = False) -> tuple[Check, list[dict]]:
    if not account.imap_host:
        return Check("IMAP", False, "No IMAP server is set for this account."), []
    try:
        client = imap_sync.connect(account, timeout=timeout, public_only=public_only)
    except imap_sync.AuthenticationFailed as error:
        return Check("IMAP", False, imap_login_message(account, error), str(error), auth_failed=True), []
    except imap_sync.SyncError as error:
        cause = error.__cause__
        message = network_error_message(cause) if isinstance(cause, OSError) else str(error)
        return Check("IMAP", False, message, f"{error} ({cause!r})"), []
    try:
        folders = [
            {"name": name, "special_use": special, "selectable": selectable}
            for name, special, selectable in imap_sync.list_folders(client)
        ]
    except (imaplib.IMAP4.error, imap_sync.SyncError, OSError) as error:
        return Check("IMAP", False, "Logged in, but the server did not list its folders.", repr(error)), []
    finally:
        imap_sync.close(client)
    message = f"logged in to {account.imap_host}:{account.imap_port}, {len(folders)} folder(s)."
    return Check("IMAP", True, message), folders


def imap_login_message(account, error: Exception) -> str:
    if account.auth_method != "password":
        return (
            f"The IMAP server did not accept the OAuth2 authorization: connect the account again ({error})."
        )
    return "The IMAP server did not accept the user name or password. Check them (or the app password)."


def save_folders(account, folders: list[dict]) -> None:
    """Keep the listed folders; new ones are active unless Trash, Junk and the like."""
    account.folders = folders
    account.save(update_fields=["folders"])
    for folder in folders:
        if not folder["selectable"]:
            continue
        ImapFolder.objects.update_or_create(
            account=account,
            name=folder["name"],
            defaults={"special_use": folder["special_use"]},
            create_defaults={
                "special_use": folder["special_use"],
                "is_active": folder["special_use"] not in imap_sync.SKIPPED_ON_FIRST_SYNC,
            },
        )


def test_connection(account, timeout: float = 15, imap: bool | None = None, user=None) -> ConnectionReport:
    """Test SMTP, and IMAP when the account has an IMAP server (or ``imap=True``).

    For a `user` who may not reach private addresses (destinations.may_reach_private), both
    connect only to public addresses."""
    public_only = not may_reach_private(user)
    report = ConnectionReport(checks=[check_smtp(account, timeout, public_only)])
    if imap or (imap is None and account.imap_host):
        imap_check, folders = check_imap(account, timeout, public_only)
        report.checks.append(imap_check)
        if imap_check.ok:
            report.folders = folders
            save_folders(account, folders)
    if report.ok:
        mark_reconnected(account)
    else:
        record_error(account, " ".join(f"{c.protocol}: {c.message}" for c in report.checks if not c.ok))
    return report


test_connection.__test__ = False  # not a pytest test, whatever the name says
