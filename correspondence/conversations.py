"""“Import this conversation”: pull an unticketed thread into a Request by hand.

A newsletter answer that carried no ticket is not imported by the poller. From the Request's
page a user searches the mail accounts they may read for messages from or to the Request's
contact, company or lead (or for one chosen Message-ID and the replies naming it), and the
messages found are stored linked to the Request. Later replies in that thread name those
Message-IDs in their References, so the poller links them by thread from then on, and our
own replies carry the Request's `[ticket:…]`.
"""

from __future__ import annotations

import imaplib
from dataclasses import dataclass, field

from django.conf import settings

from correspondence import importing, linking
from mailaccounts import imap_sync
from mailaccounts.accounts import record_auth_failure
from mailaccounts.mail_parsing import parse_message
from mailaccounts.models import EmailAccount
from mailkit import imap
from mailkit.returned_mail import read_returned_mail

MAX_MESSAGES_PER_FOLDER = 200


@dataclass
class ConversationImport:
    searched: list[str] = field(default_factory=list)  # account addresses
    found: int = 0
    imported: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.searched:
            return " ".join(self.errors) or "No mail account you may read has IMAP set up."
        text = f"Searched {', '.join(self.searched)}: {self.found} messages found, {self.imported} linked."
        return text + (" " + " ".join(self.errors) if self.errors else "")


def searchable_accounts(user):
    """The accounts a conversation is searched in: those the user may read that have IMAP."""
    return EmailAccount.objects.readable_by(user).filter(is_active=True).exclude(imap_host="")


def conversation_addresses(record) -> list[str]:
    """The addresses of a Request's (or Deal's) contact, company and lead."""
    candidates = [
        getattr(getattr(record, name, None), "email", "") for name in ("contact", "company", "lead")
    ]
    return list(dict.fromkeys(a.strip().lower() for a in candidates if a and "@" in a))


def search_criteria(addresses: list[str], message_id: str = "") -> str:
    """The UID SEARCH criteria; UnsafeImapValue for a value that cannot go into a command."""
    if message_id:
        mid = imap.quote(imap.message_id(message_id))
        keys = [f"HEADER Message-ID {mid}", f"HEADER In-Reply-To {mid}", f"HEADER References {mid}"]
    else:
        keys = [f"{header} {imap.quote(a)}" for a in addresses for header in ("FROM", "TO", "CC")]
    return _any_of(keys)


def _any_of(keys: list[str]) -> str:
    return keys[0] if len(keys) == 1 else f"OR {keys[0]} {_any_of(keys[1:])}"


def import_conversation(record, user, message_id: str = "") -> ConversationImport:
    """Find and store the thread in every readable account; link it to `record` (a Request)."""
    result = ConversationImport()
    addresses = conversation_addresses(record)
    if not message_id and not addresses:
        result.errors.append("The request has no contact, company or lead with an email address.")
        return result
    try:
        criteria = search_criteria(addresses, message_id)
    except imap.UnsafeImapValue as error:
        result.errors.append(str(error))
        return result
    accounts = searchable_accounts(user)
    for account in accounts:
        result.searched.append(account.email)
        try:
            _import_from_account(account, record, criteria, result)
        except imap_sync.AuthenticationFailed as error:
            record_auth_failure(account, str(error))
            result.errors.append(f"{account.email}: {error}")
        except (imap_sync.SyncError, imap.UnsafeImapValue, OSError) as error:
            result.errors.append(f"{account.email}: {error}")
        except imaplib.IMAP4.error:  # abort included: the server refused or dropped the search
            result.errors.append(f"{account.email}: the mail server did not complete the search; try again.")
    return result


def _import_from_account(account, record, criteria, result) -> None:
    client = imap_sync.connect(account, timeout=settings.IMAP_SYNC_NOW_SECONDS)
    try:
        for folder in imap_sync.ensure_folders(client, account):
            typ, _ = client.select(imap.quote(folder.name), readonly=True)
            if typ != "OK":
                continue
            typ, data = client.uid("SEARCH", criteria)
            if typ != "OK":
                continue
            uids = sorted(imap_sync.uid_numbers(data))[-MAX_MESSAGES_PER_FOLDER:]
            result.found += len(uids)
            for batch in imap_sync.chunks(uids, imap_sync.BODY_CHUNK):
                typ, data = client.uid("FETCH", imap_sync.uid_set(batch), "(UID BODY.PEEK[])")
                for uid, raw in imap_sync.fetched_literals(data) if typ == "OK" else ():
                    result.imported += _store(account, folder, uid, raw, record)
    finally:
        imap_sync.close(client)


def _store(account, folder, uid, raw, record) -> int:
    parsed = parse_message(raw)
    if read_returned_mail(parsed.message).is_report:
        return 0  # a bounce or complaint is no part of the conversation
    links = linking.thread_links(parsed)
    field_name = "deal" if record._meta.model_name == "deal" else "request"
    setattr(links, field_name, record)
    outgoing = folder.special_use == r"\Sent"
    email = importing.store(account, folder.name, uid, parsed, links, outgoing, force_links=True)
    return int(email is not None and getattr(email, f"{field_name}_id") == record.pk)
