"""IMAP sync on a 10,000-message mailbox: the first sync and an idle re-poll.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.imap_sync [N]

Starts its own Dovecot (testsupport.dovecot, needs root) and works in a throwaway database
(`bench_imap_sync_<pid>`, created with migrations on the server of DATABASE_URL and dropped
at the end), so it leaves nothing behind.

Filling: APPEND costs one round trip per message, so the messages are written as files
straight into the user's Maildir (`cur/`, owned by the mail user, unique names, mtime =
internal date) after one APPEND created the Maildir. A STATUS then lets Dovecot index them
once, as a mailbox in use already is; that indexing is not part of the timed sync.

The mailbox is a realistic mix: most messages are newsletters and unrelated mail (headers
fetched, bodies never), 8% answer a Request by `[ticket:…]` in the subject, 2% carry the
ticket only in the body, 5% answer a mailing by References, 1% are bounces.
Last line: `first_sync_s: T messages: N idle_poll_ms: I idle_round_trips: R`
(round trips = every IMAP command of the poll: LOGIN, one STATUS per active folder, LOGOUT).
"""

import importlib.util
import os
import pwd
import shutil
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from testsupport.dovecot import MAIL_USER, Dovecot  # noqa: E402

USER, PASSWORD = "bench@crm.test", "bench-pw"
# Stored HTML goes through mailkit.sanitizing; until that module exists, text-only mail.
WITH_HTML = importlib.util.find_spec("mailkit.sanitizing") is not None


def build_message(i, tickets, mailing_ids):
    message = EmailMessage()
    message["From"] = f"Person {i} <person{i}@customer{i % 300}.example>"
    message["To"] = USER
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = f"<bench-{i}@customer.example>"
    kind = i % 100
    subject, body = f"Newsletter issue {i}", "Lorem ipsum dolor sit amet. " * 40
    if kind < 8:
        subject = f"Re: Offer [ticket:{tickets[i % len(tickets)]}]"
    elif kind < 10:
        subject, body = "Re: your offer", body + f"\n> [ticket:{tickets[i % len(tickets)]}]\n"
    elif kind < 15:
        subject = "Re: News"
        message["In-Reply-To"] = mailing_ids[i % len(mailing_ids)]
        message["References"] = mailing_ids[i % len(mailing_ids)]
    elif kind == 15:
        return bounce(i, mailing_ids[i % len(mailing_ids)])
    message["Subject"] = subject
    message.set_content(body)
    if WITH_HTML:
        message.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
    return message.as_bytes()


def bounce(i, original_id):
    return (
        f"From: MAILER-DAEMON@mx{i}.example\r\nTo: {USER}\r\nSubject: Undelivered Mail\r\n"
        f"Message-ID: <dsn-{i}@mx.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nUndeliverable.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; r{i}@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {original_id}\r\n\r\n--B--\r\n"
    ).encode()


def fill_maildir(server, count, tickets, mailing_ids):
    server.append(USER, PASSWORD, "INBOX", build_message(0, tickets, mailing_ids))
    cur = server.root / "mail" / USER / "Maildir" / "cur"
    nobody = pwd.getpwnam(MAIL_USER)
    stamp = int(time.time())
    for i in range(1, count):
        path = cur / f"{stamp}.M{i}P{os.getpid()}.bench:2,"
        path.write_bytes(build_message(i, tickets, mailing_ids))
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    with server._session(USER, PASSWORD) as client:  # let Dovecot index the new files once
        client.status("INBOX", "(MESSAGES UIDNEXT)")


def make_crm_data():
    from crm.models import Company, Contact, Request, User
    from massmail.models import Mailing, MailingRecipient, Message

    owner = User.objects.create_user("bench-owner", password="x")
    company = Company.objects.create(full_name="Customer", email="info@customer1.example", owner=owner)
    contact = Contact.objects.create(company=company, email="person1@customer1.example", owner=owner)
    tickets = [
        Request.objects.create(subject=f"Offer {n}", owner=owner, contact=contact, company=company).ticket
        for n in range(50)
    ]
    message = Message.objects.create(owner=owner, subject="News", body="{{ unsubscribe_url }}")
    mailing = Mailing.objects.create(owner=owner, message=message, recipient_type="contacts")
    rows = [
        MailingRecipient(
            mailing=mailing, email=f"r{n}@customer.example", status="sent", message_id=f"<mail-{n}@crm.test>"
        )
        for n in range(500)
    ]
    MailingRecipient.objects.bulk_create(rows)
    return owner, tickets, [row.message_id for row in rows]


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"bench_imap_sync_{os.getpid()}"
    media = tempfile.mkdtemp(prefix="bench-media-")
    settings.MEDIA_ROOT = media
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with Dovecot(ssl=False) as server:
            server.add_user(USER, PASSWORD)
            run_benchmark(server, count)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(media, ignore_errors=True)


def run_benchmark(server, count):
    from mailaccounts import imap_sync
    from mailaccounts.models import EmailAccount

    owner, tickets, mailing_ids = make_crm_data()
    if not WITH_HTML:
        print("note: mailkit.sanitizing is missing, so the messages are text-only")
    started = time.perf_counter()
    fill_maildir(server, count, tickets, mailing_ids)
    print(f"filled {count} messages into the Maildir in {time.perf_counter() - started:.1f}s")
    account = EmailAccount.objects.create(
        owner=owner,
        email=USER,
        imap_host=server.host,
        imap_port=server.port,
        imap_security="none",
        password=PASSWORD,
        do_import=True,
        sync_from="1m",
    )

    started = time.perf_counter()
    first = imap_sync.sync_account(account)
    first_s = time.perf_counter() - started
    assert first.ok, first.error
    print(
        f"first sync: {first.fetched} headers, {first.imported} imported, {first.linked} linked, "
        f"{first.round_trips} round trips; {account.last_sync_result}"
    )

    account.refresh_from_db()
    started = time.perf_counter()
    idle = imap_sync.sync_account(account)
    idle_ms = (time.perf_counter() - started) * 1000
    assert idle.ok and idle.fetched == 0, idle.error
    print(
        f"first_sync_s: {first_s:.2f} messages: {first.fetched} idle_poll_ms: {idle_ms:.1f} idle_round_trips: {idle.round_trips}"
    )


if __name__ == "__main__":
    main()
