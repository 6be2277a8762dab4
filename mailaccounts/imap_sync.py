"""IMAP sync: fetch new mail and hand it to the handlers the apps above register
(mailaccounts/handlers.py): massmail reads what came back, correspondence stores and links.

Per folder the state is (UIDVALIDITY, last UID seen). A poll asks each active folder
`STATUS (UIDNEXT UIDVALIDITY)`; when both match the stored state nothing else is sent, so
an idle poll costs one round trip per folder (plus LOGIN and LOGOUT). When there is new
mail the folder is EXAMINEd (read-only: nothing is marked seen), the headers of the new
UIDs are fetched in chunks to decide cheaply which messages matter, one
`UID SEARCH … BODY "[ticket:"` finds tickets quoted only in bodies, and only those
candidates are fetched whole (`BODY.PEEK[]`). State is saved after every chunk, so a crash
or a time budget (the "Sync now" button) resumes where it stopped.

A changed UIDVALIDITY resets the folder: the stored UIDs of that folder are cleared and it
is re-read from the sync start; messages already stored are recognised by Message-ID per
account (a synthetic one when a message has none), so nothing is imported twice.

At most one poller per account runs at a time, across workers and machines: an account is
claimed by a conditional UPDATE of `sync_lease_until` (the row count says who won), renewed
at every checkpoint and released at the end. No lock files.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mailaccounts import destinations, handlers, oauth
from mailaccounts.accounts import record_auth_failure
from mailaccounts.mail_parsing import ParsedMessage, parse_headers, parse_message
from mailaccounts.models import EmailAccount, FailedImport, ImapFolder, Security, SyncRun
from mailaccounts.smtp import tls_context  # one place decides whom we trust (MAIL_CA_FILE)
from mailkit.imap import UnsafeImapValue, quote  # every value put into an IMAP command
from mailkit.returned_mail import Kind, may_be_returned, read_returned_mail

log = logging.getLogger(__name__)

HEADER_CHUNK = 500  # UIDs per header FETCH
BODY_CHUNK = 50  # messages per BODY.PEEK[] FETCH
SKIPPED_ON_FIRST_SYNC = {r"\Trash", r"\Junk", r"\Drafts", r"\All", r"\Flagged"}
NAME_SPECIAL_USE = {
    "sent": r"\Sent",
    "sent items": r"\Sent",
    "sent mail": r"\Sent",
    "sent messages": r"\Sent",
    "trash": r"\Trash",
    "deleted items": r"\Trash",
    "deleted messages": r"\Trash",
    "bin": r"\Trash",
    "junk": r"\Junk",
    "junk e-mail": r"\Junk",
    "spam": r"\Junk",
    "drafts": r"\Drafts",
}
SYNC_FROM_DAYS = {"1m": 30, "3m": 91, "6m": 182}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
LIST_RE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delimiter>"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$')
TEMPORARY_LOGIN_CODES = ("[UNAVAILABLE]", "[INUSE]", "[SERVERBUG]", "[LIMIT]")


class SyncError(Exception):
    """A sync that could not run; the message is meant for people."""


class AuthenticationFailed(SyncError):
    pass


class LeaseLost(SyncError):
    pass


# --- the connection ---------------------------------------------------------------------


class _CountingMixin:
    """Counts the commands sent (each is one round trip) and skips a redundant CAPABILITY."""

    def _command(self, name, *args):
        self.__dict__.setdefault("commands", []).append(name)
        return super()._command(name, *args)

    def _get_capabilities(self):
        # Servers announce CAPABILITY in their greeting; asking again costs a round trip.
        greeting = self.untagged_responses.pop("CAPABILITY", None)
        if greeting and greeting[-1]:
            self.capabilities = tuple(str(greeting[-1], "ascii", "replace").upper().split())
            return
        super()._get_capabilities()


class Client(_CountingMixin, imaplib.IMAP4):
    pass


class SslClient(_CountingMixin, imaplib.IMAP4_SSL):
    pass


class _PublicOnly:
    """Connects only to the public address its host resolved to (mailaccounts/destinations.py);
    TLS still checks the certificate against the host name."""

    def _create_socket(self, timeout):
        sock = destinations.connect(self.host, self.port, timeout)
        if isinstance(self, imaplib.IMAP4_SSL):
            return self.ssl_context.wrap_socket(sock, server_hostname=self.host)
        return sock


class PublicClient(_PublicOnly, Client):
    pass


class PublicSslClient(_PublicOnly, SslClient):
    pass


def connect(account, timeout: float | None = None, public_only: bool = False) -> imaplib.IMAP4:
    """A logged-in IMAP connection; SyncError/AuthenticationFailed with a clear message.

    `public_only`: connect only to a public address (a form's connection test)."""
    timeout = timeout or settings.IMAP_TIMEOUT
    host, port = account.imap_host, account.imap_port
    if not host:
        raise SyncError("No IMAP server is set for this account.")
    plain, secure = (PublicClient, PublicSslClient) if public_only else (Client, SslClient)
    try:
        if account.imap_security == Security.SSL:
            client = secure(host, port, ssl_context=tls_context(account), timeout=timeout)
        else:
            client = plain(host, port, timeout=timeout)
            if account.imap_security == Security.STARTTLS:
                client.starttls(ssl_context=tls_context(account))
    except ssl.SSLCertVerificationError as error:
        raise SyncError(f"The certificate of {host} is not trusted: {error.verify_message}.") from error
    except imaplib.IMAP4.error as error:
        # The greeting is whatever listens on that port: it is not repeated to people.
        raise SyncError(
            f"Cannot connect to {host}:{port}: it did not answer as an IMAP server should."
        ) from error
    except OSError as error:
        raise SyncError(f"Cannot connect to {host}:{port}: {_describe(error)}") from error
    try:
        login(client, account)
    except BaseException:
        close(client)
        raise
    return client


def login(client: imaplib.IMAP4, account) -> None:
    try:
        if account.auth_method != EmailAccount.AuthMethod.PASSWORD:
            _oauth_login(client, account)
        else:
            quote(account.password)  # refuses a line break; imaplib quotes the password itself
            client.login(quote(account.login), account.password)
    except UnsafeImapValue as error:
        raise SyncError("The user name or password contains a line break; correct it.") from error
    except imaplib.IMAP4.abort as error:
        raise SyncError(f"The server closed the connection during login: {_describe(error)}") from error
    except imaplib.IMAP4.error as error:
        text = _describe(error)
        if any(code in text for code in TEMPORARY_LOGIN_CODES):
            raise SyncError(f"The server refused the login for now: {text}") from error
        raise AuthenticationFailed(f"IMAP login failed: {text}") from error
    except OSError as error:
        raise SyncError(f"The connection failed during login: {_describe(error)}") from error


def _oauth_login(client, account):
    oauth.imap_login(client, account)  # AUTHENTICATE XOAUTH2; an OAuthError is an IMAP4.error


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    text = error.args[0] if error.args else str(error)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text) or type(error).__name__


def close(client: imaplib.IMAP4) -> None:
    try:
        client.logout()
    except (imaplib.IMAP4.error, OSError):
        with contextlib.suppress(OSError):
            client.shutdown()


def _check(typ, data, what):
    if typ != "OK":
        raise SyncError(f"{what} failed: {_describe(imaplib.IMAP4.error(data[0] if data else typ))}")


# --- folders ------------------------------------------------------------------------------


def list_folders(client) -> list[tuple[str, str, bool]]:
    """(name, special use, selectable) for every folder the server lists."""
    typ, data = client.list()
    _check(typ, data, "LIST")
    folders = []
    for item in data:
        literal = None
        if isinstance(item, tuple):
            item, literal = item[0], item[1]
        if not item:
            continue
        match = LIST_RE.match(item)
        if not match:
            continue
        flags = match.group("flags").decode("ascii", "replace").split()
        raw_name = literal if literal is not None else match.group("name")
        name = _unquote(raw_name.decode("utf-8", "replace").strip())
        lower_flags = {f.lower() for f in flags}
        special = next((f for f in flags if f.lower() in {s.lower() for s in _SPECIAL}), "")
        special = special or NAME_SPECIAL_USE.get(name.rpartition("/")[2].lower(), "")
        if name.upper() == "INBOX":
            name, special = "INBOX", ""
        folders.append((name, _canonical(special), "\\noselect" not in lower_flags))
    return folders


_SPECIAL = {r"\Sent", r"\Trash", r"\Junk", r"\Drafts", r"\All", r"\Flagged", r"\Archive"}


def _canonical(flag: str) -> str:
    return next((s for s in _SPECIAL if s.lower() == flag.lower()), flag)


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return re.sub(r"\\(.)", r"\1", name[1:-1])
    return name


def ensure_folders(client, account) -> list[ImapFolder]:
    """The account's active folders; on the first sync, made from LIST (Trash, Junk… off)."""
    if not account.imap_folders.exists():
        for name, special, selectable in list_folders(client):
            if not selectable:
                continue
            ImapFolder.objects.get_or_create(
                account=account,
                name=name,
                defaults={"special_use": special, "is_active": special not in SKIPPED_ON_FIRST_SYNC},
            )
    return list(account.imap_folders.filter(is_active=True).order_by("name"))


# --- the lease ------------------------------------------------------------------------------


def claim(account_id: int):
    """Take the account's sync lease; the lease's end (a token for renew/release) or None."""
    now = timezone.now()
    until = now + timedelta(seconds=settings.IMAP_SYNC_LEASE_SECONDS)
    won = (
        EmailAccount.objects.filter(pk=account_id)
        .filter(Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lte=now))
        .update(sync_lease_until=until)
    )
    return until if won else None


def renew(account_id: int, lease):
    until = timezone.now() + timedelta(seconds=settings.IMAP_SYNC_LEASE_SECONDS)
    if not EmailAccount.objects.filter(pk=account_id, sync_lease_until=lease).update(sync_lease_until=until):
        raise LeaseLost("Another poller took over this account (the sync ran longer than its lease).")
    return until


def release(account_id: int, lease, **fields) -> None:
    EmailAccount.objects.filter(pk=account_id, sync_lease_until=lease).update(sync_lease_until=None, **fields)


# --- one sync -------------------------------------------------------------------------------


@dataclass
class Progress:
    account: EmailAccount
    lease: object
    deadline: float | None
    fetched: int = 0
    imported: int = 0
    linked: int = 0
    bounces: int = 0
    failed: int = 0
    partial: bool = False
    state: dict = field(default_factory=dict)  # the handlers' lookups, per sync

    def checkpoint(self) -> bool:
        """Renew the lease; False when the time budget is spent (stop, resume next poll)."""
        self.lease = renew(self.account.pk, self.lease)
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.partial = True
            return False
        return True


def sync_account(account: EmailAccount, time_budget: float | None = None) -> SyncRun | None:
    """Poll one account; its SyncRun, or None when another poller holds the account.

    With `time_budget` (seconds) it stops between chunks once the budget is spent and the
    next poll continues from there."""
    lease = claim(account.pk)
    if lease is None:
        return None
    account.refresh_from_db()
    started = timezone.now()
    run = SyncRun.objects.create(account=account, started_at=started)
    deadline = time.monotonic() + time_budget if time_budget else None
    progress = Progress(account, lease, deadline)
    client = None
    try:
        client = connect(account)
        retry_failed_imports(account, progress)
        for folder in ensure_folders(client, account):
            if not sync_folder(client, folder, progress):
                break
        run.ok = True
    except AuthenticationFailed as error:
        run.error = str(error)
        record_auth_failure(account, str(error))
    except (SyncError, UnsafeImapValue) as error:
        run.error = str(error)
    except (OSError, imaplib.IMAP4.error) as error:
        run.error = f"The connection to {account.imap_host} failed: {_describe(error)}"
    finally:
        if client is not None:
            close(client)
            run.round_trips = len(getattr(client, "commands", []))
        finish(run, progress)
    return run


def finish(run: SyncRun, progress: Progress) -> None:
    now = timezone.now()
    run.finished_at = now
    run.fetched, run.imported, run.linked = progress.fetched, progress.imported, progress.linked
    account = progress.account
    if run.ok:
        result = f"OK: {run.fetched} new, {run.imported} imported, {run.linked} linked"
        if progress.bounces:
            result += f", {progress.bounces} bounced"
        if progress.failed:
            result += f", {progress.failed} could not be imported (see the log)"
            run.error = f"{progress.failed} messages could not be imported; see the server log."
        if progress.partial:
            result += " (time budget spent: continues on the next poll)"
    else:
        result = f"Error: {run.error}"
    run.save()
    next_sync = now if progress.partial else now + timedelta(minutes=account.sync_interval or 5)
    fields = {"last_sync_at": now, "last_sync_result": result[:500], "next_sync_at": next_sync}
    release(account.pk, progress.lease, **fields)
    level = logging.INFO if run.ok else logging.WARNING
    log.log(
        level, "account %s: IMAP sync %s", account.pk, result, extra={"account_id": account.pk, "ok": run.ok}
    )
    for name, value in {**fields, "sync_lease_until": None}.items():
        setattr(account, name, value)


def sync_folder(client, folder: ImapFolder, progress: Progress) -> bool:
    """Bring one folder up to date; False when the time budget stopped the sync."""
    account = progress.account
    typ, data = client.status(quote(folder.name), "(UIDNEXT UIDVALIDITY)")
    if typ != "OK":
        log.warning("STATUS %s failed for %s: %r", folder.name, account, data)
        return True  # a folder deleted on the server must not stop the others
    status = b" ".join(d for d in data if isinstance(d, bytes))
    uidnext = _number(rb"UIDNEXT (\d+)", status)
    uidvalidity = _number(rb"UIDVALIDITY (\d+)", status)
    if folder.uidvalidity == uidvalidity and uidnext is not None and uidnext - 1 <= folder.last_uid:
        return True  # idle: one round trip
    typ, data = client.select(quote(folder.name), readonly=True)
    _check(typ, data, f"EXAMINE {folder.name}")
    uidvalidity = _number(rb"(\d+)", (client.response("UIDVALIDITY")[1] or [b""])[-1] or b"") or uidvalidity
    uidnext = _number(rb"(\d+)", (client.response("UIDNEXT")[1] or [b""])[-1] or b"") or uidnext
    first = folder.uidvalidity is None
    reset = not first and folder.uidvalidity != uidvalidity
    if reset:
        # Old UIDs mean nothing now; Message-IDs keep the re-read free of duplicates.
        for handler in handlers.registered():
            handler.forget_uids(account, folder.name)
        folder.last_uid = 0
    if first or reset:
        since = sync_since(account, first_sync=first)
        if since is None:
            _save_state(folder, uidvalidity, max((uidnext or 1) - 1, 0))
            return True
        # SINCE is a whole day (in the server's time zone): "from now" is the moment import was
        # switched on, so a day earlier is searched and INTERNALDATE decides to the second.
        not_before = since if account.sync_from not in SYNC_FROM_DAYS else None
        day = since - timedelta(days=1) if not_before else since
        typ, data = client.uid("SEARCH", f"SINCE {imap_date(day)}")
        _check(typ, data, "SEARCH")
        uid_sets = chunks(sorted(uid_numbers(data)), HEADER_CHUNK)
        body_criteria = f"SINCE {imap_date(day)}"
    else:
        top = (uidnext or folder.last_uid + 1) - 1
        uid_sets = [
            list(range(low, min(low + HEADER_CHUNK, top + 1)))
            for low in range(folder.last_uid + 1, top + 1, HEADER_CHUNK)
        ]
        body_criteria = f"UID {folder.last_uid + 1}:*"
        not_before = None
    body_hits = set()
    markers = {m for h in handlers.registered() if (m := h.body_marker(account))} if uid_sets else set()
    for marker in sorted(markers):
        typ, data = client.uid("SEARCH", body_criteria, "BODY", quote(marker))
        body_hits |= set(uid_numbers(data)) if typ == "OK" else set()
    for uids in uid_sets:
        _sync_chunk(client, folder, uids, body_hits, progress, not_before)
        _save_state(folder, uidvalidity, max(folder.last_uid, uids[-1]))
        if not progress.checkpoint():
            return False
    if not uid_sets:
        _save_state(folder, uidvalidity, folder.last_uid)
    return True


def _save_state(folder: ImapFolder, uidvalidity, last_uid) -> None:
    folder.uidvalidity, folder.last_uid, folder.last_synced_at = uidvalidity, last_uid, timezone.now()
    folder.save(update_fields=["uidvalidity", "last_uid", "last_synced_at"])


def sync_since(account, first_sync: bool):
    """Where a (re)read of a folder starts: None means "only mail arriving from now on".

    "From now" on a first sync is from the moment import was switched on (`import_enabled_at`),
    so mail arriving before the first poll ran is not skipped."""
    days = SYNC_FROM_DAYS.get(account.sync_from)
    first_run = account.sync_runs.order_by("started_at").values_list("started_at", flat=True).first()
    anchor = first_run or timezone.now()
    if days is None:
        return account.import_enabled_at if first_sync else anchor
    return anchor - timedelta(days=days)


def imap_date(moment) -> str:
    return f"{moment.day}-{MONTHS[moment.month - 1]}-{moment.year}"


def _sync_chunk(client, folder, uids, body_hits, progress, not_before=None):
    account = progress.account
    items = "(UID INTERNALDATE RFC822.HEADER)" if not_before else "(UID RFC822.HEADER)"
    typ, data = client.uid("FETCH", uid_set(uids), items)
    _check(typ, data, "FETCH")
    early = set(arrived_before(data, not_before)) if not_before else set()
    headers = {uid: raw for uid, raw in fetched_literals(data) if uid > folder.last_uid and uid not in early}
    progress.fetched += len(headers)
    parsed = {uid: parse_headers(raw) for uid, raw in headers.items()}
    outgoing = folder.special_use == r"\Sent"
    # What may have come back (a bounce, complaint or auto-reply) is read whole; the handlers
    # name the rest they want.
    wanted = {uid for uid, p in parsed.items() if not outgoing and _may_be_returned(p)}
    for handler in handlers.registered():
        wanted |= handler.wanted(parsed, progress, outgoing, body_hits)
    for batch in chunks(sorted(wanted), BODY_CHUNK):
        typ, data = client.uid("FETCH", uid_set(batch), "(UID BODY.PEEK[])")
        _check(typ, data, "FETCH")
        messages = []
        for uid, raw in fetched_literals(data):
            try:
                messages.append((uid, raw, parse_message(raw)))
            except Exception as error:  # kept raw and retried on the next poll
                log.exception("IMAP message %s UID %s in %s cannot be parsed", folder.name, uid, account)
                keep_failed(account, folder.name, uid, raw, error, progress)
        whole = [(uid, parsed) for uid, _, parsed in messages]
        batches = {handler: handler.batch(whole, account) for handler in handlers.registered()}
        # One transaction per batch (not one commit per row); a savepoint per message.
        with transaction.atomic():
            for uid, raw, parsed in messages:
                import_message(account, folder, uid, parsed, outgoing, progress, batches, raw=raw)


def _may_be_returned(parsed: ParsedMessage) -> bool:
    try:
        return may_be_returned(parsed.message)
    except Exception:  # hopeless headers: fetch the body; a failure there is kept and retried
        log.exception("Reading the headers of %s failed", parsed.message_id or "a message")
        return True


def import_message(account, folder, uid, parsed, outgoing, progress, batches=None, raw=None):
    """Returned-mail handling, linking and storing of one message; a message that cannot be
    imported is logged, counted and (given its `raw` bytes) kept for a retry on the next poll,
    never allowed to stop the folder."""
    try:
        with transaction.atomic():
            return _import_message(account, folder, uid, parsed, outgoing, progress, batches)
    except Exception as error:
        log.exception("IMAP import of %s UID %s in %s failed", folder.name, uid, account)
        if raw is not None:
            keep_failed(account, folder.name, uid, raw, error, progress)
        else:
            progress.failed += 1
        return None


def _import_message(account, folder, uid, parsed, outgoing, progress, batches=None):
    if not outgoing:
        returned = read_returned_mail(parsed.message)
        if returned.is_report:
            # Ours is handled by the app that sent it (mailaccounts/handlers.py); a delay, or
            # a bounce of mail that is not ours, is not imported and stays in the mailbox.
            if returned.kind is not Kind.DELAY and handlers.handle_fetched_mail(account, parsed, returned):
                progress.bounces += 1
            return None
    batches = batches or {}
    for handler in handlers.registered():
        if handler.handle(account, folder, uid, parsed, outgoing, progress, batches.get(handler)):
            return True
    return None


def keep_failed(account, folder_name, uid, raw, error, progress) -> None:
    """Keep a message that could not be parsed or handled, raw with the reason, for a retry."""
    progress.failed += 1
    reason = f"{type(error).__name__}: {error}"[:2000]
    FailedImport.objects.update_or_create(
        account=account, folder=folder_name[:500], uid=uid, defaults={"raw": bytes(raw), "reason": reason}
    )


def retry_failed_imports(account, progress) -> None:
    """Try again every message kept by `keep_failed`; one that goes through is forgotten."""
    folders = {f.name: f for f in account.imap_folders.all()}
    for failed in account.failed_imports.all():
        folder = folders.get(failed.folder) or ImapFolder(account=account, name=failed.folder)
        try:
            with transaction.atomic():
                parsed = parse_message(bytes(failed.raw))
                outgoing = folder.special_use == r"\Sent"
                _import_message(account, folder, failed.uid, parsed, outgoing, progress, None)
                failed.delete()
        except Exception as error:
            log.exception("Retrying %s UID %s of %s failed again", failed.folder, failed.uid, account)
            progress.failed += 1  # said again in the sync's result while it stays
            failed.reason = f"{type(error).__name__}: {error}"[:2000]
            failed.attempts += 1
            failed.save(update_fields=["reason", "attempts", "last_tried_at"])


# --- IMAP response helpers ------------------------------------------------------------------


def _number(pattern: bytes, data: bytes):
    match = re.search(pattern, data or b"")
    return int(match.group(1)) if match else None


def uid_numbers(data) -> list[int]:
    return [int(n) for chunk in data if chunk for n in chunk.split()]


def arrived_before(data, moment):
    """UIDs of a FETCH response with INTERNALDATE whose arrival is before `moment` (to the
    second, as INTERNALDATE is: mail of the same second is kept)."""
    for item in data:
        head = item[0] if isinstance(item, tuple) else item
        if not isinstance(head, bytes) or b"INTERNALDATE" not in head:
            continue
        uid, arrived = _number(rb"UID (\d+)", head), imaplib.Internaldate2tuple(head)
        if uid is not None and arrived is not None and time.mktime(arrived) < int(moment.timestamp()):
            yield uid


def fetched_literals(data):
    """(uid, literal) pairs from a FETCH response, skipping unsolicited FLAGS updates."""
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            uid = _number(rb"UID (\d+)", item[0])
            if uid is not None:
                yield uid, item[1]


def chunks(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def uid_set(uids) -> str:
    """1,2,3,5 -> "1:3,5"."""
    ranges, start, prev = [], None, None
    for uid in uids:
        if start is None:
            start = prev = uid
        elif uid == prev + 1:
            prev = uid
        else:
            ranges.append(f"{start}:{prev}" if prev != start else str(start))
            start = prev = uid
    if start is not None:
        ranges.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(ranges)


# --- polling ----------------------------------------------------------------------------------


def due_accounts():
    """Accounts with IMAP import on whose next sync time has come and nobody is polling."""
    now = timezone.now()
    return (
        EmailAccount.objects.filter(do_import=True, is_active=True)
        .exclude(imap_host="")
        .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
        .filter(Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lte=now))
        .order_by("next_sync_at", "pk")
    )


def take_due_accounts() -> list[int]:
    """Ids of due accounts, each moved to its next interval as it is taken (for the beat task).

    A queued sync that waits in a busy broker is then not queued again every minute, and
    two beat processes never queue the same account twice; the sync sets the real next time."""
    now = timezone.now()
    taken = []
    for account_id, interval in due_accounts().values_list("pk", "sync_interval"):
        later = now + timedelta(minutes=interval or 5)
        moved = (
            EmailAccount.objects.filter(pk=account_id)
            .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
            .update(next_sync_at=later)
        )
        if moved:
            taken.append(account_id)
    return taken


def poll_due_accounts(time_budget: float | None = None) -> list[SyncRun]:
    """Sync every due account in this process, one after the other."""
    runs = []
    for account in due_accounts():
        run = sync_account(account, time_budget=time_budget)
        if run is not None:
            runs.append(run)
    return runs


def sync_now(account) -> SyncRun | None:
    """The "Sync now" button: in-process, bounded by IMAP_SYNC_NOW_SECONDS (default 20)."""
    return sync_account(account, time_budget=settings.IMAP_SYNC_NOW_SECONDS)
