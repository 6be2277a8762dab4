"""The send path: the full drip path against raw smtplib, side by side in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.send_path

Full path: `massmail.sending.send_batch` in this process, batch after batch of MAX_BATCH
(as beat would give them): reserve quota, claim, render, deliver over one SMTP connection
per batch to a loopback aiosmtpd sink (in its own process), record each outcome. Raw: smtplib on one connection
sending the same rendered messages to the same sink (timed before and after the full run;
their mean is the baseline). SQL queries are counted over the whole full run, and again for
one batch with 200 and with 20,000 recipients pending, to show the cost does not grow with
the audience. Last line:
`ratio: R msgs: N full_per_s: F raw_per_s: S queries_per_msg: Q connections: C`
"""

import logging
import smtplib
import sys
import time

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.drip_setup import SinkProcess, bench_message, insert_contacts, sales_manager, throwaway_database
from mailaccounts.models import EmailAccount
from massmail.compiling import compile_message
from massmail.mailings import create_mailing
from massmail.models import MailingRecipient, MassmailSettings
from massmail.scheduling import MAX_BATCH
from massmail.sending import send_batch

MESSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


def mailing_of(owner, count, prefix):
    from crm.models import Contact

    company = insert_contacts(owner, count, prefix=prefix)
    return create_mailing(owner, bench_message(owner), Contact.objects.filter(company=company))


def drain(account, total):
    """Send `total` messages in batches of MAX_BATCH; returns (sent, queries)."""
    sent = 0
    with CaptureQueriesContext(connection) as queries:
        while sent < total:
            EmailAccount.objects.filter(pk=account.pk).update(next_send_at=None)  # not timed work
            result = send_batch(account.pk, min(MAX_BATCH, total - sent))
            if result.sent == 0:
                raise SystemExit(f"nothing sent: {result}")
            sent += result.sent
    # The UPDATE above only lets the benchmark skip the pacing wait; it is not part of the path.
    return sent, len(queries) - len(range(0, total, MAX_BATCH))


def raw_send(sink, messages):
    start = time.perf_counter()
    with smtplib.SMTP(sink.host, sink.port) as smtp:
        for message, rcpt in messages:
            smtp.send_message(message, from_addr="bench@sender.test", to_addrs=[rcpt])
    return len(messages) / (time.perf_counter() - start)


def main():
    # aiosmtpd logs every SMTP line at INFO: that would measure the logging, not the path.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    logging.getLogger("massmail.sending").setLevel(logging.WARNING)
    with throwaway_database("send_path"), SinkProcess() as sink:
        cfg = MassmailSettings.load()
        cfg.use_business_time, settings.DEMO_TIME_COMPRESSION = False, 10**6
        cfg.save()
        owner = sales_manager()
        account = EmailAccount.objects.create(
            owner=owner,
            email="bench@sender.test",
            display_name="Bench",
            smtp_host=sink.host,
            smtp_port=sink.port,
            smtp_security="none",
            massmail=True,
            daily_limit=10**7,
        )

        # Queries per message with 200 and with 20,000 recipients pending: one batch each.
        small = mailing_of(owner, 200, "small")
        _, q_small = drain(account, MAX_BATCH)
        MailingRecipient.objects.filter(mailing=small).delete()
        big = mailing_of(owner, 20_000, "big")
        _, q_big = drain(account, MAX_BATCH)
        MailingRecipient.objects.filter(mailing=big).delete()
        print(
            f"queries_per_msg with 200 pending: {q_small / MAX_BATCH:.2f}; "
            f"with 20,000 pending: {q_big / MAX_BATCH:.2f}"
        )

        # The same messages for raw smtplib, rendered beforehand (rendering is not raw's work).
        mailing = mailing_of(owner, MESSAGES, "m")
        compiled = compile_message(mailing)
        rows = MailingRecipient.objects.filter(mailing=mailing).select_related("contact__company")
        prepared = []
        for row in rows:
            row.message_id = f"<raw-{row.pk}@bench>"
            prepared.append((compiled.render(row, account), row.email))

        raw_before = raw_send(sink, prepared)
        sink.clear()
        start = time.perf_counter()
        sent, queries = drain(account, MESSAGES)
        full_per_s = sent / (time.perf_counter() - start)
        received, connections = sink.stats()
        raw_after = raw_send(sink, prepared)
        raw_per_s = (raw_before + raw_after) / 2
        print(f"full path: {sent} sent, {received} received by the sink in {connections} connections")
        print(f"raw smtplib before: {raw_before:.0f}/s, after: {raw_after:.0f}/s")
        print(
            f"ratio: {full_per_s / raw_per_s:.2f} msgs: {sent} full_per_s: {full_per_s:.0f} "
            f"raw_per_s: {raw_per_s:.0f} queries_per_msg: {queries / sent:.2f} connections: {connections}"
        )


if __name__ == "__main__":
    main()
