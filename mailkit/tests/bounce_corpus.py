"""A labelled corpus of what mail servers send back, written by us after each family's format.

Nothing here is copied from real mail: each family's template follows its format as the
software documents it or as it is seen in public samples (the layout of the notice, the
report's fields, where the original is returned), and each sample is filled with a receiver's
reply of the kind that server really gives. Every sample carries its expected verdict
(`Label`) and says which format it models (`Sample.models`).

    python -m mailkit.tests.bounce_corpus DIR   # writes DIR/<name>.eml and DIR/labels.json

`samples()` gives the whole corpus (tests and `bench.bounces` read it from here).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

SENDER = "alice@crm.example"
SENDER_NAME = "Alice Seller"
OUR_HOST = "mail.crm.example"
OUR_IP = "203.0.113.7"
DATE = "Tue, 4 Mar 2025 10:{m:02d}:{s:02d} +0100"


@dataclass(frozen=True)
class Expected:
    address: str
    reason: str
    hard: bool


@dataclass(frozen=True)
class Label:
    kind: str  # bounce, complaint, auto_reply, delay, none
    failures: tuple[Expected, ...] = ()
    complained: tuple[str, ...] = ()
    message_id: str = ""  # the original's Message-ID when the report returns it


@dataclass(frozen=True)
class Sample:
    name: str
    family: str
    models: str
    raw: bytes
    label: Label = field(repr=False)


@dataclass(frozen=True)
class Reply:
    """What a receiving server answered (or the sending MTA's own verdict), and its truth."""

    status: str  # the enhanced code the sending MTA reports in its DSN
    text: str  # may be multi-line ("550-5.1.1 …\n550 5.1.1 …"); {a} is the address, {ip} ours
    reason: str
    hard: bool


def R(status, text, reason, hard):  # noqa: N802 - a table row
    return Reply(status, text, reason, hard)


# Replies receivers give at RCPT or DATA, from the common receivers' documented wording.
REMOTE = [
    R(
        "5.1.1",
        "550 5.1.1 <{a}>: Recipient address rejected: User unknown in virtual mailbox table",
        "user_unknown",
        True,
    ),
    R(
        "5.1.1",
        "550 5.1.1 <{a}>: Recipient address rejected: User unknown in local recipient table",
        "user_unknown",
        True,
    ),
    R(
        "5.1.1",
        "550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
        "550-5.1.1 double-checking the recipient's email address for typos or\n"
        "550-5.1.1 unnecessary spaces. For more information, go to\n"
        "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1si2345678wrb.12 - gsmtp",
        "user_unknown",
        True,
    ),
    R(
        "5.5.0",
        "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [DB5EUR01FT012.eop-EUR01.prod.protection.outlook.com]",
        "user_unknown",
        True,
    ),
    R(
        "5.1.10",
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {a} not found by SMTP address lookup",
        "user_unknown",
        True,
    ),
    R(
        "5.0.0",
        "554 delivery error: dd This user doesn't have a yahoo.com account ({a}) [0] - mta1012.mail.gq1.yahoo.com",
        "user_unknown",
        True,
    ),
    R("5.0.0", "550 <{a}>... No such user", "user_unknown", True),
    R("5.1.1", "550 5.1.1 <{a}>... User unknown", "user_unknown", True),
    R("5.1.1", "511 sorry, no mailbox here by that name (#5.1.1 - chkuser)", "user_unknown", True),
    R(
        "5.0.0",
        "550 Message was not accepted -- invalid mailbox.  Local mailbox {a} is unavailable: user not found",
        "user_unknown",
        True,
    ),
    R("5.0.0", "550 Requested action not taken: mailbox unavailable", "user_unknown", True),
    R("5.7.1", "550 5.7.1 No such user!", "user_unknown", True),
    R("5.0.0", "550 Unrouteable address", "user_unknown", True),
    R(
        "5.4.1",
        "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [AM4PEPF00027A61.eurprd04.prod.outlook.com]",
        "user_unknown",
        True,
    ),
    R("5.0.0", "552 1 Requested mail action aborted, mailbox not found", "user_unknown", True),
    R("5.1.1", "550 5.1.1 Mailbox does not exist", "user_unknown", True),
    R(
        "5.2.1",
        "550-5.2.1 The email account that you tried to reach is disabled. Learn more at\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser b7si1234567ejc.2 - gsmtp",
        "disabled",
        True,
    ),
    R(
        "5.0.0",
        "554 30 Sorry, your message to {a} cannot be delivered. This mailbox is disabled (554.30)",
        "disabled",
        True,
    ),
    R("5.1.6", "551 5.1.6 User has moved; please try <p.new@newbuyer.example>", "moved", True),
    R(
        "5.1.10",
        "550 5.1.10 Recipient address rejected: domain has null MX (RFC 7505)",
        "no_such_domain",
        True,
    ),
    R("5.2.2", "552 5.2.2 <{a}>: Recipient address rejected: Mailbox is full", "mailbox_full", False),
    R(
        "5.2.2",
        "552-5.2.2 The email account that you tried to reach is over quota. Please direct\n"
        "552-5.2.2 the recipient to\n552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm n3si98 - gsmtp",
        "mailbox_full",
        False,
    ),
    R(
        "5.2.2",
        "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception",
        "mailbox_full",
        False,
    ),
    R("5.2.2", "522 sorry, recipient mailbox is full (#5.2.2)", "mailbox_full", False),
    R("5.0.0", "552 Requested mail action aborted: exceeded storage allocation", "mailbox_full", False),
    R(
        "5.7.1",
        "550 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{ip}",
        "blocked",
        False,
    ),
    R(
        "5.7.1",
        "554 5.7.1 Service unavailable; Client host [{ip}] blocked using Barracuda Reputation; http://www.barracudanetworks.com/reputation/?r=1&ip={ip}",
        "blocked",
        False,
    ),
    R(
        "5.7.1",
        "550 5.7.1 Unfortunately, messages from [{ip}] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
        "blocked",
        False,
    ),
    R(
        "5.7.606",
        "550 5.7.606 Access denied, banned sending IP [{ip}]. To request removal from this list please visit https://sender.office.com/ and follow the directions.",
        "blocked",
        False,
    ),
    R(
        "5.7.1",
        "553 5.7.2 [TSS09] All messages from {ip} will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
        "blocked",
        False,
    ),
    R(
        "5.7.1",
        "550 5.7.1 Message rejected by ERS (Email Reputation Services) of Trend Micro. Please see https://servicecentral.trendmicro.com/en-us/ers/ip-lookup/",
        "blocked",
        False,
    ),
    R(
        "5.7.1",
        "550-5.7.1 [{ip}] Our system has detected that this message is\n"
        "550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,\n"
        "550-5.7.1 this message has been blocked. For more information, go to\n"
        "550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError x7si - gsmtp",
        "spam",
        False,
    ),
    R(
        "5.7.1",
        "554 5.7.1 Message rejected under suspicion of SPAM; https://ya.cc/1IrBc 1741080000-AbCdEfGh",
        "spam",
        False,
    ),
    R(
        "5.0.0",
        "550 spam message rejected. Please visit http://help.mail.ru/notspam-support/id?c=AbCd or report details to abuse@corp.mail.ru. Error code: 1A2B3C.",
        "spam",
        False,
    ),
    R("5.7.1", "550 5.7.1 Message rejected as spam by Content Filtering.", "spam", False),
    R(
        "5.7.1",
        "554 5.7.1 This message has been blocked because it contains a banned attachment (offer.exe)",
        "filtered",
        False,
    ),
    R("5.7.0", "550 5.7.0 Message rejected: virus found (Eicar-Test-Signature)", "filtered", False),
    R(
        "5.7.1",
        "550 5.7.1 Message rejected because of unacceptable content. For help, please quote incident ID 22492290.",
        "filtered",
        False,
    ),
    R(
        "5.7.26",
        "550-5.7.26 This mail is unauthenticated, which poses a security risk to the\n550-5.7.26 sender and Gmail users, and has been blocked. The sender must\n550-5.7.26 authenticate with at least one of SPF or DKIM. For this message,\n550 5.7.26 DKIM checks did not pass and SPF check for [crm.example] did not pass - gsmtp",
        "policy",
        False,
    ),
    R(
        "5.7.509",
        "550 5.7.509 Access denied, sending domain crm.example does not pass DMARC verification and has a DMARC policy of reject.",
        "policy",
        False,
    ),
    R("5.7.1", "554 5.7.1 <{a}>: Relay access denied", "policy", False),
    R(
        "5.7.1",
        "550 5.7.1 Your message can't be delivered because delivery to this address is restricted.",
        "policy",
        False,
    ),
    R("5.7.1", "550 5.7.1 Delivery not authorized, message refused", "policy", False),
    R("5.7.1", "550 5.7.1 <alice@crm.example>: Sender address rejected: Domain not found", "policy", False),
    R("5.3.4", "552 5.3.4 Message size exceeds fixed limit", "too_large", False),
    R(
        "5.2.3",
        "552-5.2.3 Your message exceeded Google's message size limits. Please visit\n552-5.2.3  https://support.google.com/mail/?p=MaxSizeError to view our size\n552 5.2.3 guidelines. 5si2 - gsmtp",
        "too_large",
        False,
    ),
    R(
        "5.2.3",
        "550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient",
        "too_large",
        False,
    ),
    R(
        "5.4.14",
        "554 5.4.14 Hop count exceeded - possible mail loop ATTR34 [VI1EUR04FT003.eop-eur04.prod.protection.outlook.com]",
        "other",
        False,
    ),
    R("5.0.0", "554 Transaction failed", "other", False),
    R(
        "5.7.28",
        "550 5.7.28 [{ip}] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been blocked.",
        "spam",
        False,
    ),
]

# Temporary replies that end a message as failed after the MTA's retry time ran out.
EXPIRED = [
    R("4.4.1", "connect to mx.{d}[198.51.100.3]:25: Connection timed out", "expired", False),
    R("4.2.2", "452 4.2.2 <{a}>: Recipient address rejected: Mailbox full", "mailbox_full", False),
    R(
        "4.7.0",
        "421 4.7.0 [TSS04] Messages from {ip} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
        "rate_limited",
        False,
    ),
    R(
        "4.2.1",
        "450-4.2.1 The user you are trying to contact is receiving mail at a rate that\n450-4.2.1 prevents additional messages from being delivered. Please resend your\n450 4.2.1 message at a later point.",
        "rate_limited",
        False,
    ),
    R(
        "4.7.1",
        "450 4.7.1 <{a}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/{d}.html",
        "policy",
        False,
    ),
    R("4.7.0", "421 4.7.0 Too many connections from {ip}, try again later", "rate_limited", False),
    R(
        "4.4.3",
        "Host or domain name not found. Name service error for name={d} type=MX: Host not found, try again",
        "host_unknown",
        False,
    ),
    R(
        "4.4.7",
        "delivery temporarily suspended: connect to mx.{d}[198.51.100.3]:25: Connection refused",
        "expired",
        False,
    ),
]

DOMAINS = [
    "buyer.example",
    "acme-trade.example",
    "nordwaren.example",
    "ventas.example",
    "kontora.example",
    "shop.example",
]


@dataclass
class Ctx:
    n: int
    address: str
    domain: str
    reply: Reply
    date: str
    message_id: str
    subject: str = "Spring offer for your team"

    @property
    def text(self) -> str:
        return self.reply.text.format(a=self.address, ip=OUR_IP, d=self.domain, u=self.address.split("@")[0])

    @property
    def line(self) -> str:
        return " ".join(self.text.split("\n"))

    @property
    def status(self) -> str:
        return self.reply.status

    @property
    def code(self) -> str:
        head = self.text[:3]
        return head if head.isdigit() else ""


def original_headers(c: Ctx, to: str | None = None) -> str:
    return (
        f"Return-Path: <{SENDER}>\n"
        f"Received: from {OUR_HOST} ({OUR_HOST} [{OUR_IP}]) by smtp.crm.example with ESMTPSA id 4Z{c.n:05d}; {c.date}\n"
        f"From: {SENDER_NAME} <{SENDER}>\n"
        f"To: {to or c.address}\n"
        f"Subject: {c.subject}\n"
        f"Date: {c.date}\n"
        f"Message-ID: {c.message_id}\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "List-Unsubscribe: <https://crm.example/u/7f3a9c/>\n"
    )


def original_message(c: Ctx, to: str | None = None) -> str:
    return (
        original_headers(c, to)
        + "\nHello,\n\nour spring offer is attached to this mail.\n\nBest regards,\nAlice\n"
    )


def headers(subject: str, sender: str, c: Ctx, content_type: str, extra: str = "") -> str:
    return (
        "Return-Path: <>\n"
        f"Received: from mx.{c.domain} by {OUR_HOST}; {c.date}\n"
        f"From: {sender}\n"
        f"To: {SENDER}\n"
        f"Subject: {subject}\n"
        f"Date: {c.date}\n"
        f"Message-ID: <r{c.n:04d}.bounce@{c.domain}>\n"
        f"{extra}"
        "MIME-Version: 1.0\n"
        f"Content-Type: {content_type}\n"
    )


def report(boundary: str, *parts: str) -> str:
    body = "This is a MIME-encapsulated message.\n\n"
    for part in parts:
        body += f"--{boundary}\n{part}\n"
    return body + f"--{boundary}--\n"


def dsn_part(
    reporting: str,
    c: Ctx,
    *,
    action="failed",
    status=None,
    diagnostic=None,
    remote=True,
    per_message="",
    per_recipient="",
    recipients=None,
) -> str:
    blocks = f"Content-Type: message/delivery-status\n\nReporting-MTA: dns; {reporting}\n{per_message}"
    for address, st, diag in recipients or [
        (c.address, status or c.status, diagnostic if diagnostic is not None else f"smtp; {c.line}")
    ]:
        blocks += f"\nFinal-Recipient: rfc822; {address}\nAction: {action}\nStatus: {st}\n"
        if remote:
            blocks += f"Remote-MTA: dns; mx.{address.split('@')[1]}\n"
        if diag:
            blocks += f"Diagnostic-Code: {diag}\n"
        blocks += per_recipient
    return blocks


def rfc822_part(c: Ctx) -> str:
    return "Content-Type: message/rfc822\nContent-Description: Undelivered Message\n\n" + original_message(c)


def headers_part(c: Ctx) -> str:
    return (
        "Content-Type: text/rfc822-headers\nContent-Description: Undelivered Message Headers\n\n"
        + original_headers(c)
    )


def indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line for line in text.split("\n"))


# --- bounce families -------------------------------------------------------------------------------


def postfix(c: Ctx, delayed=False) -> str:
    host = OUR_HOST
    local = c.reply in EXPIRED or not c.code
    said = (
        c.line if local else f"host mx.{c.domain}[198.51.100.3] said: {c.line} (in reply to RCPT TO command)"
    )
    if delayed:
        subject = "Delayed Mail (still being retried)"
        intro = (
            f"This is the mail system at host {host}.\n\n####################################################################\n"
            "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
            "####################################################################\n\n"
            "Your message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n\n"
            f"For further assistance, please send mail to postmaster.\n\n                   The mail system\n\n<{c.address}>: {said}\n"
        )
        action, status = "delayed", "4.4.1"
    else:
        subject = "Undelivered Mail Returned to Sender"
        intro = (
            f"This is the mail system at host {host}.\n\nI'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients. It's attached below.\n\nFor further assistance, please send mail to postmaster.\n\n"
            "If you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n"
            f"                   The mail system\n\n<{c.address}>: {said}\n"
        )
        action, status = "failed", c.status
    diag = f"X-Postfix; {c.line}" if local else f"smtp; {c.line}"
    return (
        headers(
            subject,
            f"MAILER-DAEMON@{host} (Mail Delivery System)",
            c,
            'multipart/report; report-type=delivery-status;\n\tboundary="6B2F8C1E0A.1741082400/mail.crm.example"',
            "Auto-Submitted: auto-replied\n",
        )
        + "\n"
        + report(
            "6B2F8C1E0A.1741082400/mail.crm.example",
            f"Content-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n{intro}",
            "Content-Description: Delivery report\n"
            + dsn_part(
                host,
                c,
                action=action,
                status=status,
                diagnostic=diag,
                remote=not local,
                per_message=f"X-Postfix-Queue-ID: 6B2F8C1E0A\nX-Postfix-Sender: rfc822; {SENDER}\nArrival-Date: {c.date}\n",
                per_recipient=("Will-Retry-Until: Sun,  9 Mar 2025 10:00:00 +0100\n" if delayed else ""),
            ),
            headers_part(c),
        )
    )


def sendmail(c: Ctx, delayed=False) -> str:
    if delayed:
        subject = "Warning: could not send message for past 4 hours"
        intro = (
            f"    **********************************************\n    **      THIS IS A WARNING MESSAGE ONLY      **\n"
            "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n    **********************************************\n\n"
            f"The original message was received at {c.date}\nfrom {OUR_HOST} [{OUR_IP}]\n\n"
            f"   ----- Transcript of session follows -----\n<{c.address}>... Deferred: Connection timed out with mx.{c.domain}.\n"
            "Warning: message still undelivered after 4 hours\nWill keep trying until message is 5 days old\n"
        )
        action, status = "delayed", "4.4.7"
    else:
        subject = "Returned mail: see transcript for details"
        intro = (
            f"The original message was received at {c.date}\nfrom {OUR_HOST} [{OUR_IP}]\n\n"
            f"   ----- The following addresses had permanent fatal errors -----\n<{c.address}>\n"
            f"    (reason: {c.line})\n\n   ----- Transcript of session follows -----\n"
            f"... while talking to mx.{c.domain}.:\n>>> RCPT To:<{c.address}>\n<<< {c.text.split(chr(10))[-1]}\n"
        )
        action, status = "failed", c.status
    return (
        headers(
            subject,
            f"Mail Delivery Subsystem <MAILER-DAEMON@{OUR_HOST}>",
            c,
            f'multipart/report; report-type=delivery-status;\n\tboundary="24AAuY{c.n:04d}.{c.n}/{OUR_HOST}"',
            "Auto-Submitted: auto-generated (failure)\n",
        )
        + "\n"
        + report(
            f"24AAuY{c.n:04d}.{c.n}/{OUR_HOST}",
            f"Content-Type: text/plain\n\n{intro}",
            dsn_part(
                OUR_HOST,
                c,
                action=action,
                status=status,
                diagnostic=f"SMTP; {c.line}" if not delayed else "",
                per_message=f"Received-From-MTA: DNS; {OUR_HOST}\nArrival-Date: {c.date}\n",
                per_recipient=f"Last-Attempt-Date: {c.date}\n",
            ),
            rfc822_part(c) if c.n % 2 else headers_part(c),
        )
    )


def sendmail_old(c: Ctx) -> str:
    reply = c.text.split("\n")[-1]
    return headers(
        "Returned mail: User unknown"
        if c.reply.reason == "user_unknown"
        else "Returned mail: Service unavailable",
        f"Mail Delivery Subsystem <MAILER-DAEMON@{OUR_HOST}>",
        c,
        "text/plain",
    ) + (
        f"\n   ----- Transcript of session follows -----\n"
        f"While talking to mx.{c.domain}:\n>>> RCPT To:<{c.address}>\n<<< {reply}\n"
        f"{reply[:3]} <{c.address}>... {reply[4:]}\n\n"
        "   ----- The following addresses had permanent errors -----\n"
        f"{c.address}\n\n   ----- Unsent message follows -----\n" + original_message(c)
    )


def exim(c: Ctx, delayed=False) -> str:
    local = not c.code
    if delayed:
        return headers(
            f"Warning: message 1tXyZa-000{c.n:03d}-Ab delayed 24 hours",
            f"Mail Delivery System <Mailer-Daemon@{OUR_HOST}>",
            c,
            "text/plain; charset=us-ascii",
            "Auto-Submitted: auto-replied\n",
        ) + (
            "\nThis message was created automatically by mail delivery software.\n"
            f"A message that you sent has not yet been delivered to one or more of its\nrecipients after more than 24 hours on the queue on {OUR_HOST}.\n\n"
            f"The message identifier is:     1tXyZa-000{c.n:03d}-Ab\nThe subject of the message is: {c.subject}\nThe date of the message is:    {c.date}\n\n"
            f"The address to which the message has not yet been delivered is:\n\n  {c.address}\n"
            f"    host mx.{c.domain} [198.51.100.3]\n    Delay reason: SMTP error from remote mail server after RCPT TO:<{c.address}>:\n    {c.line}\n\n"
            "No action is required on your part. Delivery attempts will continue for\nsome time, and this warning may be repeated at intervals if the message\n"
            "remains undelivered. Eventually the mail delivery software will give up,\nand when that happens, the message will be returned to you.\n"
        )
    detail = (
        f"    {c.line}"
        if local
        else (
            f"    host mx.{c.domain} [198.51.100.3]\n    SMTP error from remote mail server after RCPT TO:<{c.address}>:\n{indent(c.text)}"
        )
    )
    return headers(
        "Mail delivery failed: returning message to sender",
        f"Mail Delivery System <Mailer-Daemon@{OUR_HOST}>",
        c,
        "text/plain; charset=us-ascii",
        f"X-Failed-Recipients: {c.address}\nAuto-Submitted: auto-replied\n",
    ) + (
        "\nThis message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n"
        f"  {c.address}\n{detail}\n\n------ This is a copy of the message, including all the headers. ------\n\n"
        + original_message(c)
    )


def exim_old(c: Ctx) -> str:
    return headers(
        "Mail delivery failed: returning message to sender",
        f"Mail Delivery System <MAILER-DAEMON@{OUR_HOST}>",
        c,
        "text/plain",
    ) + (
        "\nThis message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to all of its recipients.\nThe following address(es) failed:\n\n"
        f"  {c.address}:\n    SMTP error from remote mailer after RCPT TO:<{c.address}>:\n"
        f"    host mx.{c.domain} [198.51.100.3]: {c.line}\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n" + original_message(c)
    )


QMAIL_LOCAL = [
    R("5.1.1", "Sorry, no mailbox here by that name. (#5.1.1)", "user_unknown", True),
    R("5.1.2", "Sorry, I couldn't find any host named {d}. (#5.1.2)", "host_unknown", True),
    R("5.2.2", "The users mailfolder is over the allowed quota (size). (#5.2.2)", "mailbox_full", False),
    R(
        "4.4.1",
        "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\nI'm not going to try again; this message has been in the queue too long.",
        "expired",
        False,
    ),
    R("5.1.1", "This address no longer accepts mail.", "user_unknown", True),
]


def qmail(c: Ctx) -> str:
    if c.code:
        said = (
            f"198.51.100.3 does not like recipient.\nRemote host said: {c.line}\nGiving up on 198.51.100.3."
        )
    else:
        said = c.text
    return headers("failure notice", f"MAILER-DAEMON@{OUR_HOST}", c, "text/plain") + (
        f"\nHi. This is the qmail-send program at {OUR_HOST}.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<{c.address}>:\n{said}\n\n--- Below this line is a copy of the message.\n\n" + original_message(c)
    )


FRIENDLY = {
    "user_unknown": "The e-mail account does not exist at the organization this message was sent to.  Check the e-mail address, or contact the recipient directly to find out the correct address.",
    "disabled": "The recipient's e-mail account has been disabled.",
    "moved": "The e-mail address has moved.",
    "no_such_domain": "The domain name in the e-mail address is incorrect.  Check the address and try again.",
    "host_unknown": "The destination server could not be found.",
    "mailbox_full": "The recipient's mailbox is full and can't accept messages now. Please try resending your message later, or contact the recipient directly.",
    "too_large": "The message is too large for the recipient to accept.",
}


def exchange2003(c: Ctx) -> str:
    words = FRIENDLY.get(
        c.reply.reason, "Either there are no alternate hosts, or delivery failed to all alternate hosts."
    )
    code = c.status if c.status != "5.0.0" else "5.5.0"
    return (
        headers(
            f"Undeliverable: {c.subject}",
            "System Administrator <postmaster@exch.crm.example>",
            c,
            'multipart/mixed;\n\tboundary="----_=_NextPart_001_01C8A1B2.3C4D5E6F"',
            "X-MimeOLE: Produced By Microsoft Exchange V6.5\n",
        )
        + "\n"
        + report(
            "----_=_NextPart_001_01C8A1B2.3C4D5E6F",
            'Content-Type: text/plain;\n\tcharset="iso-8859-1"\nContent-Transfer-Encoding: quoted-printable\n\n'
            f"Your message\n\n  To:      {c.address}\n  Subject: {c.subject}\n  Sent:    {c.date}\n\n"
            f"did not reach the following recipient(s):\n\n{c.address} on {c.date}\n    {words}\n"
            f"    <mx.{c.domain} #{code} smtp;{c.line}>\n",
            "Content-Type: message/rfc822\n\n" + original_message(c),
        )
    )


EXCHANGE_LOCAL = [
    R("5.1.1", "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found", "user_unknown", True),
    R("5.4.4", "554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain", "no_such_domain", True),
    R("5.4.1", "550 5.4.1 Relay Access Denied ATTR36", "policy", False),
    R("5.7.1", "550 5.7.1 RESOLVER.RST.AuthRequired; authentication required", "policy", False),
    R(
        "5.2.2",
        "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded",
        "mailbox_full",
        False,
    ),
]


def exchange2013(c: Ctx, delayed=False, o365=False) -> str:
    server = (
        f"AM0PR0{c.n % 9}MB{c.n:04d}.eurprd0{c.n % 7}.prod.outlook.com" if o365 else "EX01.corp.crm.example"
    )
    words = FRIENDLY.get(
        c.reply.reason, "A problem occurred during the delivery of this message to this e-mail address."
    )
    if delayed:
        subject = f"Delivery delayed:{c.subject}"
        text = (
            f"Delivery is delayed to these recipients or groups:\n\n{c.address}\n\nSubject: {c.subject}\n\n"
            "This message hasn't been delivered yet. Delivery will continue to be attempted.\n\n"
            f"The server will keep trying to deliver this message for the next 1 days, 19 hours and 52 minutes. You'll be notified if the message can't be delivered by that time.\n\n"
            f"Diagnostic information for administrators:\n\nGenerating server: {server}\nReceiving server: mx.{c.domain}\n\n{c.address}\nRemote Server returned '{c.line}'\n"
        )
        action, status = "delayed", "4.4.7"
    elif o365:
        subject = f"Undeliverable: {c.subject}"
        text = (
            f"Your message to {c.address} couldn't be delivered.\n\n{words}\n\n{c.address.split('@')[0]}\nOffice 365\n\nAction Required\n\n"
            f"How to Fix It\n\nDiagnostic information for administrators:\n\nGenerating server: {server}\n\n{c.address}\n"
            f"Remote Server returned '{c.line}'\n\nOriginal message headers:\n\n"
        ) + original_headers(c)
        action, status = "failed", c.status
    else:
        subject = f"Undeliverable: {c.subject}"
        text = (
            f"Delivery has failed to these recipients or groups:\n\n{c.address}\n{words}\n\n\n"
            f"Diagnostic information for administrators:\n\nGenerating server: {server}\n\n{c.address}\n"
            f"mx.{c.domain}\nRemote Server returned '{c.line}'\n\nOriginal message headers:\n\n"
        ) + original_headers(c)
        action, status = "failed", c.status
    html = (
        "<html><body><p>"
        + text.split("Diagnostic information")[0].replace("\n\n", "</p><p>")
        + "</p></body></html>"
    )
    boundary = f"_000_{c.n:04d}EX01corpcrmexample_"
    return (
        headers(
            subject,
            "Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@crm.example>",
            c,
            f'multipart/report; report-type=delivery-status;\n\tboundary="{boundary}"',
            "Auto-Submitted: auto-replied\nX-MS-Exchange-Message-Is-Ndr:\nContent-Language: en-US\n",
        )
        + "\n"
        + report(
            boundary,
            'Content-Type: multipart/alternative; differences=Content-Type;\n\tboundary="b2_'
            + boundary
            + '"\n\n'
            + report(
                "b2_" + boundary,
                f'Content-Type: text/plain; charset="us-ascii"\n\n{text}',
                f'Content-Type: text/html; charset="us-ascii"\n\n{html}',
            ),
            dsn_part(
                server,
                c,
                action=action,
                status=status,
                diagnostic=f"smtp;{c.line}",
                remote=True,
                per_message=f"Received-From-MTA: dns;{OUR_HOST}\nArrival-Date: {c.date}\n",
                per_recipient=f"X-Display-Name: {c.address.split('@')[0].title()}\n",
            ),
            headers_part(c),
        )
    )


GMAIL_WORDS = {
    "user_unknown": (
        "Address not found",
        "Your message wasn't delivered to {a} because the address couldn't be found, or is unable to receive mail.",
    ),
    "no_such_domain": (
        "Address not found",
        "Your message wasn't delivered to {a} because the domain {d} couldn't be found. Check for typos or unnecessary spaces and try again.",
    ),
    "mailbox_full": (
        "Message not delivered",
        "Your message couldn't be delivered to {a} because the remote server is misconfigured. See technical details below for more information.",
    ),
}
GMAIL_LOCAL = [
    R(
        "5.1.2",
        "DNS Error: DNS type 'mx' lookup of {d} responded with code NXDOMAIN Domain name not found: {d}",
        "no_such_domain",
        True,
    ),
    R(
        "4.4.1",
        "The recipient server did not accept our requests to connect. Learn more at https://support.google.com/mail/answer/7720 [mx.{d}. 198.51.100.3: timed out]",
        "expired",
        False,
    ),
]


def gmail(c: Ctx, delayed=False) -> str:
    title, words = GMAIL_WORDS.get(
        c.reply.reason,
        (
            "Message blocked",
            "Your message to {a} has been blocked. See technical details below for more information.",
        ),
    )
    if delayed:
        title, words = (
            "Message not delivered yet",
            "There was a temporary problem delivering your message to {a}. Gmail will retry for 46 more hours. You'll be notified if the delivery fails permanently.",
        )
    words = words.format(a=c.address, d=c.domain)
    text = f"\n** {title} **\n\n{words}\n\nThe response from the remote server was:\n{c.text}\n"
    boundary = f"000000000000{c.n:04d}a1b2c3d4e5f6"
    returned = rfc822_part(c) if c.n % 2 else headers_part(c)
    return (
        headers(
            "Delivery Status Notification (Delay)" if delayed else "Delivery Status Notification (Failure)",
            "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
            c,
            f'multipart/report; boundary="{boundary}"; report-type=delivery-status',
            "Auto-Submitted: auto-replied\n",
        )
        + "\n"
        + report(
            boundary,
            'Content-Type: multipart/related; boundary="r'
            + boundary
            + '"\n\n'
            + report(
                "r" + boundary,
                'Content-Type: multipart/alternative; boundary="a'
                + boundary
                + '"\n\n'
                + report(
                    "a" + boundary,
                    f'Content-Type: text/plain; charset="UTF-8"\n{text}',
                    f'Content-Type: text/html; charset="UTF-8"\n\n<html><body><h2>{title}</h2><p>{words}</p></body></html>',
                ),
            ),
            dsn_part(
                "googlemail.com",
                c,
                action="delayed" if delayed else "failed",
                status="4.4.1" if delayed else c.status,
                diagnostic=f"smtp; {c.line}",
                per_message=f"Received-From-MTA: dns; {SENDER}\nArrival-Date: {c.date}\nX-Original-Message-ID: {c.message_id}\n",
                per_recipient=(
                    f"Last-Attempt-Date: {c.date}\n"
                    + ("Will-Retry-Until: Thu, 6 Mar 2025 08:00:00 -0800 (PST)\n" if delayed else "")
                ),
            ),
            returned,
        )
    )


YAHOO_LOCAL = [
    R(
        "5.0.0",
        "554 delivery error: dd This user doesn't have a yahoo.com account ({a}) [0] - mta1234.mail.ne1.yahoo.com",
        "user_unknown",
        True,
    ),
    R(
        "5.0.0",
        "554 delivery error: dd Sorry your message to {a} cannot be delivered. This mailbox is disabled (554.30). - mta4012.mail.bf1.yahoo.com",
        "disabled",
        True,
    ),
]


def yahoo(c: Ctx) -> str:
    return headers(
        "Failure Notice", "MAILER-DAEMON@yahoo.com", c, "text/plain; charset=us-ascii", "X-YMailISG: Ab3x\n"
    ) + (
        "\nSorry, we were unable to deliver your message to the following address.\n\n"
        f"<{c.address}>:\nRemote host said: {c.line} [RCPT_TO]\n\n"
        "--- Below this line is a copy of the message.\n\n" + original_message(c)
    )


def ses(c: Ctx) -> str:
    boundary = f"0100019{c.n:04d}abcdef-ses"
    return (
        headers(
            "Delivery Status Notification (Failure)",
            "MAILER-DAEMON@amazonses.com",
            c,
            f'multipart/report; report-type=delivery-status; boundary="{boundary}"',
            "X-SES-Outgoing: 2025.03.04-54.240.8.1\nFeedback-ID: 1.us-east-1.Abc=:AmazonSES\n",
        )
        + "\n"
        + report(
            boundary,
            f"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 7bit\n\n"
            f"An error occurred while trying to deliver the mail to the following recipients:\n{c.address}\n",
            "Content-Type: message/delivery-status\n\nReporting-MTA: dns; a8-12.smtp-out.amazonses.com\n\n"
            f"Action: failed\nFinal-Recipient: rfc822; {c.address}\nDiagnostic-Code: smtp; {c.line}\nStatus: {c.status}\n",
            rfc822_part(c),
        )
    )


def workmail(c: Ctx) -> str:
    boundary = f"workmail-dsn-{c.n:04d}"
    return (
        headers(
            "Undeliverable: " + c.subject,
            "MAILER-DAEMON@us-east-1.awsapps.com",
            c,
            f'multipart/report; report-type=delivery-status; boundary="{boundary}"',
        )
        + "\n"
        + report(
            boundary,
            "Content-Type: text/plain; charset=UTF-8\n\n"
            f"The following message to <{c.address}> was undeliverable.\nThe reason for the problem:\n"
            f"{c.status} - {c.line}\n",
            dsn_part(
                "smtp.mail.us-east-1.awsapps.com",
                c,
                per_message=f"Arrival-Date: {c.date}\n",
            ),
            rfc822_part(c),
        )
    )


def mailru(c: Ctx) -> str:
    if c.reply.reason == "spam" or c.n % 3 == 0:
        return headers(
            "Mail failure - rejected by local scanning code",
            "Mail Delivery System <MAILER-DAEMON@corp.mail.ru>",
            c,
            "text/plain; charset=utf-8",
        ) + (
            "\nThis message was created automatically by mail delivery software.\n\n"
            "A message that you sent was rejected by the local scanning code that\n"
            "checks incoming messages on this system. The following error was given:\n\n"
            f"  {c.address} {c.line}\n\n------ This is a copy of your message, including all the headers. ------\n\n"
            + original_message(c)
        )
    return headers(
        "=?UTF-8?B?0J3QtSDQtNC+0YHRgtCw0LLQu9C10L3QvdC+0LUg0YHQvtC+0LHRidC10L3QuNC1?=",
        "Mail Delivery System <MAILER-DAEMON@corp.mail.ru>",
        c,
        "text/plain; charset=utf-8",
        f"X-Failed-Recipients: {c.address}\nAuto-Submitted: auto-replied\n",
    ) + (
        "\nНе удалось доставить сообщение одному или нескольким получателям.\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n"
        f"  {c.address}\n    SMTP error from remote mail server after RCPT TO:<{c.address}>:\n"
        f"    host mx.{c.domain} [198.51.100.3]: {c.line}\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n" + original_message(c)
    )


def gmx(c: Ctx, delayed=False) -> str:
    if delayed:
        return headers(
            f"Warning: message 1MwfA0-1t{c.n:03d} delayed 24 hours",
            "Mail Delivery System <mailer-daemon@gmx.net>",
            c,
            "text/plain",
        ) + (
            "\nThis message was created automatically by mail delivery software.\n\n"
            "A message that you sent has not yet been delivered to one or more of its\n"
            "recipients after more than 24 hours on the queue on mout.gmx.net.\n\n"
            f"The message identifier is:     1MwfA0-1t{c.n:03d}\nThe subject of the message is: {c.subject}\n\n"
            f"The address to which the message has not yet been delivered is:\n\n  {c.address}\n"
            f"    Delay reason: SMTP error from remote server for RCPT TO command, host: mx.{c.domain} (198.51.100.3) reason: {c.line}\n\n"
            "No action is required on your part. Delivery attempts will continue for\nsome time, and this warning may be repeated at intervals if the message\nremains undelivered.\n"
        )
    return headers(
        "Mail delivery failed: returning message to sender",
        "Mail Delivery System <mailer-daemon@gmx.net>",
        c,
        "text/plain",
    ) + (
        "\nThis message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of\nits recipients. This is a permanent error. The following address(es)\nfailed:\n\n"
        f"{c.address}:\nSMTP error from remote server for RCPT TO command, host: mx.{c.domain} (198.51.100.3) reason: {c.line}\n\n"
        "--- The header of the original message is following. ---\n\n" + original_headers(c)
    )


def mcafee(c: Ctx) -> str:
    if c.n % 2:
        return headers("Undeliverable mail: " + c.subject, "MAILER-DAEMON@mxlogic.net", c, "text/plain") + (
            "\nThis Message was undeliverable due to the following reason:\n\n"
            f"The following address failed:\n\n    <{c.address}>\n\n{c.line}\n\n"
            "Included is a copy of the message header:\n-----------------------------------------\n"
            + original_headers(c)
        )
    boundary = f"MEG-{c.n:04d}"
    return (
        headers(
            "Delivery Status Notification (Failure)",
            "postmaster@meg.crm.example",
            c,
            f'multipart/report; report-type=delivery-status; boundary="{boundary}"',
            "X-NAI-Spam-Level: \n",
        )
        + "\n"
        + report(
            boundary,
            "Content-Type: text/plain\n\nThis is an automatically generated Delivery Status Notification from McAfee Email Gateway.\n\n"
            f"Delivery to the following recipients failed.\n\n       {c.address}\n",
            dsn_part("meg.crm.example", c),
            headers_part(c),
        )
    )


def trendmicro(c: Ctx) -> str:
    if c.n % 2:
        return headers(
            "Undeliverable Mail", "InterScan MSS <postmaster@imss.crm.example>", c, "text/plain"
        ) + (
            f"\nUnable to deliver message to <{c.address}>.\n\n{c.line}\n\n"
            "**************************** End of message ***************************\n\n"
            "Received: " + original_headers(c).split("Received: ", 1)[1]
        )
    boundary = f"TMES-{c.n:04d}"
    return (
        headers(
            "Undeliverable: " + c.subject,
            "Trend Micro Email Security <postmaster@tmes.trendmicro.eu>",
            c,
            f'multipart/report; report-type=delivery-status; boundary="{boundary}"',
        )
        + "\n"
        + report(
            boundary,
            f"Content-Type: text/plain\n\nTrend Micro Email Security could not deliver your message to:\n\n  {c.address}\n\nReason: {c.line}\n",
            dsn_part("tmes.trendmicro.eu", c),
            rfc822_part(c),
        )
    )


def barracuda(c: Ctx) -> str:
    boundary = f"BARRACUDA.{c.n:04d}"
    return (
        headers(
            "Undelivered Mail Returned to Sender",
            "MAILER-DAEMON@barracuda.crm.example (Mail Delivery System)",
            c,
            f'multipart/report; report-type=delivery-status; boundary="{boundary}"',
            "X-Barracuda-Connect: UNKNOWN[198.51.100.3]\nX-Barracuda-Start-Time: 1741082400\nX-Barracuda-URL: https://barracuda.crm.example:443/cgi-mod/mark.cgi\n",
        )
        + "\n"
        + report(
            boundary,
            "Content-Description: Notification\nContent-Type: text/plain\n\n"
            "This is the mail system at host barracuda.crm.example.\n\nI'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients. It's attached below.\n\n                   The mail system\n\n"
            f"<{c.address}>: host mx.{c.domain}[198.51.100.3] said: {c.line} (in reply to end of DATA command)\n",
            "Content-Description: Delivery report\n"
            + dsn_part(
                "barracuda.crm.example",
                c,
                per_message=f"X-Barracuda-Envelope-From: {SENDER}\nArrival-Date: {c.date}\n",
            ),
            headers_part(c),
        )
    )


def courier(c: Ctx, delayed=False) -> str:
    boundary = f"=_courier-{c.n:04d}-1741082400"
    heading = "DELAYED MAIL" if delayed else "UNDELIVERABLE MAIL"
    lead = (
        "Your message to the following recipients has not been delivered yet.\nDelivery attempts will continue."
        if delayed
        else "Your message to the following recipients cannot be delivered:"
    )
    return (
        headers(
            "NOTICE: mail delivery status.",
            f"Courier mail server at {OUR_HOST} <@>",
            c,
            f'multipart/report; report-type=delivery-status;\n    boundary="{boundary}"',
        )
        + "\n"
        + report(
            boundary,
            "Content-Type: text/plain; charset=us-ascii\n\n"
            f"This is a delivery status notification from {OUR_HOST},\nrunning the Courier mail server, version 1.1.2.\n\n"
            f"The original message was received on {c.date}\nfrom {OUR_HOST} [{OUR_IP}]\n\n"
            "---------------------------------------------------------------------------\n\n"
            f"                           {heading}\n\n{lead}\n\n<{c.address}>:\n    mx.{c.domain} [198.51.100.3]:\n"
            f">>> RCPT TO:<{c.address}>\n<<< {c.line}\n\n"
            "---------------------------------------------------------------------------\n",
            dsn_part(
                OUR_HOST,
                c,
                action="delayed" if delayed else "failed",
                status="4.0.0" if delayed else "5.0.0",
                per_message=f"Arrival-Date: {c.date}\n",
            ),
            headers_part(c),
        )
    )


def opensmtpd(c: Ctx, delayed=False) -> str:
    boundary = f"{c.n:04d}.1741082400/{OUR_HOST}"
    if delayed:
        words = (
            "    Message is delayed for more than 4 hours for the following\n    list of recipients:\n\n"
            f"{c.address}: {c.line}\n\n    Please note that this is only a temporary failure report.\n"
            "    The message is kept in the queue for up to 4 days.\n    You DO NOT NEED to re-send the message to these recipients.\n"
        )
    else:
        words = (
            "    An error has occurred while attempting to deliver a message for\n    the following list of recipients:\n\n"
            f"{c.address}: {c.line}\n"
        )
    return (
        headers(
            "Delivery status notification: " + ("delay" if delayed else "error"),
            f"Mailer Daemon <MAILER-DAEMON@{OUR_HOST}>",
            c,
            f'multipart/report; report-type="delivery-status"; boundary="{boundary}"',
        )
        + "\n"
        + report(
            boundary,
            "Content-Type: text/plain; charset=utf-8\nContent-Description: Notification\n\n"
            f"Hi!\n\nThis is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\n{words}\n    Below is a copy of the original message:\n",
            "Content-Description: Delivery Report\n"
            + dsn_part(
                OUR_HOST,
                c,
                action="delayed" if delayed else ("error" if c.n % 2 else "failed"),
                status="4.0.0" if delayed else "5.0.0",
                remote=False,
                per_message=f"Arrival-Date: {c.date}\n",
            ),
            "Content-Description: Message headers\n"
            + "Content-Type: text/rfc822-headers\n\n"
            + original_headers(c),
        )
    )


DOMINO_LOCAL = [
    R("5.0.0", "User {u} ({a}) not listed in Domino Directory", "user_unknown", True),
    R("5.0.0", "Unable to deliver message to {a}: recipient's mail file is full", "mailbox_full", False),
    R(
        "5.0.0",
        "No route found to domain {d} from server NOTES01/CRM. Check Server, Connection and Domain documents in Domino Directory.",
        "host_unknown",
        True,
    ),
]


def domino(c: Ctx) -> str:
    because = c.line
    if c.n % 2:
        boundary = f"=_alternative {c.n:04d}ABCD_="
        return (
            headers(
                f"DELIVERY FAILURE: {because[:60]}",
                "Mail Router <postmaster@notes.crm.example>",
                c,
                f'multipart/report; report-type=delivery-status; boundary="{boundary}"',
            )
            + "\n"
            + report(
                boundary,
                f"Content-Type: text/plain\n\nYour message\n\n  Subject: {c.subject}\n\nwas not delivered to:\n\n  {c.address}\n\nbecause:\n\n  {because}\n",
                dsn_part("notes.crm.example", c, diagnostic=f"X-Notes; {because}", remote=False),
                rfc822_part(c),
            )
        )
    return headers(
        f"DELIVERY FAILURE: {because[:60]}", "Mail Router <postmaster@notes.crm.example>", c, "text/plain"
    ) + (
        f"\nYour message\n\n  Subject: {c.subject}\n\nwas not delivered to:\n\n  {c.address}\n\nbecause:\n\n  {because}\n\n"
        "Original message headers:\n\n" + original_headers(c)
    )


# family: (template, what it models, the family's own verdicts, how many receivers' replies it wraps)
FAMILIES = {
    "postfix": (
        postfix,
        "Postfix bounce(8): multipart/report, 'Notification' text, delivery-status with X-Postfix fields, text/rfc822-headers",
        EXPIRED[:1]
        + [
            R(
                "5.4.4",
                "Host or domain name not found. Name service error for name={d} type=MX: Host not found",
                "no_such_domain",
                True,
            )
        ],
        12,
    ),
    "sendmail": (
        sendmail,
        "Sendmail 8.x DSN: 'Returned mail: see transcript for details', fatal-errors list and transcript, delivery-status, the original or its headers",
        [
            R(
                "5.1.2",
                "550 5.1.2 {a}... Host unknown (Name server: {d}: host not found)",
                "host_unknown",
                True,
            )
        ],
        10,
    ),
    "sendmail_old": (
        sendmail_old,
        "pre-DSN Sendmail plain text: transcript, 'addresses had permanent errors', 'Unsent message follows'",
        [R("5.1.1", "550 5.1.1 <{a}>... User unknown", "user_unknown", True)],
        8,
    ),
    "exim": (
        exim,
        "Exim 4 plain text: X-Failed-Recipients, 'This message was created automatically by mail delivery software', a copy of the message",
        [
            R("5.0.0", "Unrouteable address", "user_unknown", True),
            R(
                "5.0.0",
                "all hosts for '{d}' have been failing for a long time (and retry time not reached)",
                "expired",
                False,
            ),
        ],
        12,
    ),
    "exim_old": (
        exim_old,
        "Exim 3 plain text without X-Failed-Recipients: 'could not be delivered to all of its recipients'",
        [R("5.0.0", '550 Unknown local-part "{u}" in domain "{d}"', "user_unknown", True)],
        8,
    ),
    "qmail": (
        qmail,
        "qmail QSBMF: 'Hi. This is the qmail-send program', '<address>:' paragraphs, 'Below this line is a copy of the message'",
        QMAIL_LOCAL,
        8,
    ),
    "exchange2003": (
        exchange2003,
        "Exchange 2000/2003 NDR: multipart/mixed, 'did not reach the following recipient(s)', '<host #5.x.x smtp;...>', the original attached",
        [],
        10,
    ),
    "exchange2013": (
        exchange2013,
        "Exchange 2007-2019 NDR: multipart/report with text and HTML, 'Delivery has failed to these recipients or groups', diagnostic information, text/rfc822-headers",
        EXCHANGE_LOCAL,
        9,
    ),
    "office365": (
        lambda c: exchange2013(c, o365=True),
        "Office 365 / Exchange Online NDR: 'Your message to ... couldn't be delivered', Generating server *.prod.outlook.com, DSN",
        EXCHANGE_LOCAL[:2],
        10,
    ),
    "gmail": (
        gmail,
        "Gmail / Google Workspace: 'Delivery Status Notification (Failure)', '** Address not found **', DSN with X-Original-Message-ID",
        GMAIL_LOCAL,
        10,
    ),
    "yahoo": (
        yahoo,
        "Yahoo Mail sender bounce: 'Sorry, we were unable to deliver your message to the following address.', 'Below this line is a copy of the message'",
        YAHOO_LOCAL,
        8,
    ),
    "ses": (
        ses,
        "Amazon SES bounce by email: MAILER-DAEMON@amazonses.com, DSN with Action before Final-Recipient, message/rfc822",
        [],
        9,
    ),
    "workmail": (
        workmail,
        "Amazon WorkMail: 'The following message to <...> was undeliverable. The reason for the problem:', DSN",
        [],
        7,
    ),
    "mailru": (
        mailru,
        "Mail.ru (Exim based): Russian and English notice with X-Failed-Recipients, or 'rejected by the local scanning code'",
        [],
        10,
    ),
    "gmx": (
        gmx,
        "GMX / 1&1 (kundenserver): 'A message that you sent could not be delivered', 'The header of the original message is following'",
        [],
        9,
    ),
    "mcafee": (
        mcafee,
        "McAfee MX Logic 'The following address failed:' and McAfee Email Gateway DSN",
        [],
        9,
    ),
    "trendmicro": (
        trendmicro,
        "Trend Micro InterScan 'Unable to deliver message to <...>' / '*** End of message ***' and Trend Micro Email Security DSN",
        [],
        9,
    ),
    "barracuda": (
        barracuda,
        "Barracuda Email Security Gateway (Postfix based) NDR with X-Barracuda headers and DSN",
        [],
        9,
    ),
    "courier": (
        courier,
        "Courier: 'NOTICE: mail delivery status.', UNDELIVERABLE MAIL transcript, DSN with the generic Status 5.0.0",
        [],
        9,
    ),
    "opensmtpd": (
        opensmtpd,
        "OpenSMTPD: 'Delivery status notification: error', 'Hi! This is the MAILER-DAEMON', DSN with Status 5.0.0 (and the non-standard Action: error)",
        [],
        9,
    ),
    "domino": (
        domino,
        "HCL/Lotus Domino: 'DELIVERY FAILURE:', 'was not delivered to: ... because:', DSN with X-Notes diagnostic or plain text",
        DOMINO_LOCAL,
        6,
    ),
}

DELAY_FAMILIES = {
    "postfix": (
        lambda c: postfix(c, delayed=True),
        "Postfix delay warning: 'Delayed Mail (still being retried)', Action: delayed",
    ),
    "sendmail": (
        lambda c: sendmail(c, delayed=True),
        "Sendmail warning: 'could not send message for past 4 hours', Action: delayed",
    ),
    "exim": (
        lambda c: exim(c, delayed=True),
        "Exim delay warning: 'has not yet been delivered ... No action is required on your part'",
    ),
    "gmail": (
        lambda c: gmail(c, delayed=True),
        "Gmail 'Delivery Status Notification (Delay)', '** Message not delivered yet **'",
    ),
    "exchange2013": (
        lambda c: exchange2013(c, delayed=True),
        "Exchange 'Delivery delayed:' DSN, Action: delayed",
    ),
    "gmx": (lambda c: gmx(c, delayed=True), "GMX/kundenserver delay warning 'has not yet been delivered'"),
    "courier": (lambda c: courier(c, delayed=True), "Courier DELAYED MAIL, Action: delayed, Status 4.0.0"),
    "opensmtpd": (lambda c: opensmtpd(c, delayed=True), "OpenSMTPD 'Delivery status notification: delay'"),
}


def _ctx(n: int, family: str, reply: Reply, local: str | None = None) -> Ctx:
    domain = DOMAINS[n % len(DOMAINS)]
    if family == "yahoo" and reply in YAHOO_LOCAL:
        domain = "yahoo.com"
    locals_ = [
        "pat.buyer",
        "j.smith",
        "info",
        "m.mueller",
        "anna",
        "sales",
        "orders",
        "k.ivanova",
        "li.wei",
        "tom",
    ]
    address = f"{local or locals_[n % len(locals_)]}{n}@{domain}"
    return Ctx(
        n=n,
        address=address,
        domain=domain,
        reply=reply,
        date=DATE.format(m=n % 60, s=(n * 7) % 60),
        message_id=f"<m{n:04d}.{family}@crm.example>",
    )


def _bounces(counter) -> list[Sample]:
    out = []
    for index, (family, (template, models, own, remote_count)) in enumerate(FAMILIES.items()):
        replies = list(own)
        start = index * 7
        replies += [REMOTE[(start + k * 3) % len(REMOTE)] for k in range(remote_count)]
        for number, reply in enumerate(replies, 1):
            n = next(counter)
            c = _ctx(n, family, reply)
            raw = template(c)
            out.append(
                Sample(
                    name=f"{family}-{number:02d}",
                    family=family,
                    models=models,
                    raw=_crlf(raw),
                    label=Label(
                        "bounce",
                        (Expected(c.address, reply.reason, reply.hard),),
                        message_id=_returned_id(raw, c),
                    ),
                )
            )
    return out


def _returned_id(raw: str, c: Ctx) -> str:
    return c.message_id if raw.count(c.message_id) else ""


def _delays(counter) -> list[Sample]:
    out = []
    for family, (template, models) in DELAY_FAMILIES.items():
        for number, reply in enumerate([EXPIRED[0], EXPIRED[1], EXPIRED[3]], 1):
            c = _ctx(next(counter), family, reply)
            raw = template(c)
            out.append(
                Sample(
                    f"delay-{family}-{number}",
                    family,
                    models,
                    _crlf(raw),
                    Label("delay", message_id=_returned_id(raw, c)),
                )
            )
    for number in range(1, 4):
        c = _ctx(next(counter), "dsn_success", REMOTE[0])
        action = ["relayed", "delivered", "expanded"][number - 1]
        raw = (
            headers(
                "Successful Mail Delivery Report" if number < 3 else "Delivery Status Notification (Relay)",
                f"MAILER-DAEMON@{OUR_HOST} (Mail Delivery System)",
                c,
                'multipart/report; report-type=delivery-status; boundary="ok"',
            )
            + "\n"
            + report(
                "ok",
                f"Content-Type: text/plain\n\nThis is the mail system at host {OUR_HOST}.\n\nYour message was successfully delivered to the destination(s)\nlisted below.\n\n<{c.address}>: {action}\n",
                dsn_part(
                    OUR_HOST,
                    c,
                    action=action,
                    status="2.0.0",
                    diagnostic=f"smtp; 250 2.0.0 Ok: queued as 4Z{c.n}",
                ),
                headers_part(c),
            )
        )
        out.append(
            Sample(
                f"delay-success-{number}",
                "dsn_success",
                "RFC 3464 success/relay notice (NOTIFY=SUCCESS), Action: relayed/delivered/expanded",
                _crlf(raw),
                Label("delay", message_id=c.message_id),
            )
        )
    return out


def _two_recipient_bounces(counter) -> list[Sample]:
    """One report about two recipients with different fates."""
    out = []
    pairs = [
        (REMOTE[0], REMOTE[20]),
        (REMOTE[16], REMOTE[25]),
        (REMOTE[3], REMOTE[44]),
        (REMOTE[31], REMOTE[19]),
    ]
    for number, (first, second) in enumerate(pairs, 1):
        n = next(counter)
        a, b = _ctx(n, "postfix", first, "one"), _ctx(n, "postfix", second, "two")
        raw = (
            headers(
                "Undelivered Mail Returned to Sender",
                f"MAILER-DAEMON@{OUR_HOST} (Mail Delivery System)",
                a,
                'multipart/report; report-type=delivery-status; boundary="two"',
            )
            + "\n"
            + report(
                "two",
                f"Content-Description: Notification\nContent-Type: text/plain\n\nThis is the mail system at host {OUR_HOST}.\n\n"
                "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n"
                f"                   The mail system\n\n<{a.address}>: host mx.{a.domain} said: {a.line}\n\n<{b.address}>: host mx.{b.domain} said: {b.line}\n",
                dsn_part(
                    OUR_HOST,
                    a,
                    recipients=[
                        (a.address, first.status, f"smtp; {a.line}"),
                        (b.address, second.status, f"smtp; {b.line}"),
                    ],
                ),
                headers_part(a),
            )
        )
        out.append(
            Sample(
                f"postfix-two-{number}",
                "postfix",
                "Postfix bounce naming two recipients",
                _crlf(raw),
                Label(
                    "bounce",
                    (
                        Expected(a.address, first.reason, first.hard),
                        Expected(b.address, second.reason, second.hard),
                    ),
                    message_id=a.message_id,
                ),
            )
        )
        n = next(counter)
        a, b = _ctx(n, "exim", first, "one"), _ctx(n, "exim", second, "two")
        raw = headers(
            "Mail delivery failed: returning message to sender",
            f"Mail Delivery System <Mailer-Daemon@{OUR_HOST}>",
            a,
            "text/plain",
            f"X-Failed-Recipients: {a.address},\n  {b.address}\nAuto-Submitted: auto-replied\n",
        ) + (
            "\nThis message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\n"
            "recipients. This is a permanent error. The following address(es) failed:\n\n"
            f"  {a.address}\n    host mx.{a.domain} [198.51.100.3]\n    SMTP error from remote mail server after RCPT TO:<{a.address}>:\n{indent(a.text)}\n\n"
            f"  {b.address}\n    host mx.{b.domain} [198.51.100.4]\n    SMTP error from remote mail server after RCPT TO:<{b.address}>:\n{indent(b.text)}\n\n"
            "------ This is a copy of the message, including all the headers. ------\n\n"
            + original_message(a, f"{a.address}, {b.address}")
        )
        out.append(
            Sample(
                f"exim-two-{number}",
                "exim",
                "Exim bounce naming two recipients",
                _crlf(raw),
                Label(
                    "bounce",
                    (
                        Expected(a.address, first.reason, first.hard),
                        Expected(b.address, second.reason, second.hard),
                    ),
                    message_id=a.message_id,
                ),
            )
        )
    return out


# --- complaints ---------------------------------------------------------------------------------------


def arf(
    c: Ctx,
    sender: str,
    agent: str,
    *,
    feedback="abuse",
    rcpt=True,
    redact=False,
    intro="",
    version="1",
    subject=None,
) -> str:
    boundary = f"arf-{c.n:04d}"
    to = "redacted@" + c.domain if redact else c.address
    fields = f"Feedback-Type: {feedback}\nUser-Agent: {agent}\nVersion: {version}\nOriginal-Mail-From: <bounces+{c.n}@crm.example>\n"
    if rcpt:
        fields += f"Original-Rcpt-To: <{c.address}>\n"
    fields += f"Arrival-Date: {c.date}\nSource-IP: {OUR_IP}\nReported-Domain: crm.example\nAuthentication-Results: mx.{c.domain}; spf=pass smtp.mailfrom=crm.example; dkim=pass header.d=crm.example\n"
    return (
        headers(
            subject or "Abuse Report",
            sender,
            c,
            f'multipart/report; report-type=feedback-report; boundary="{boundary}"',
        )
        + "\n"
        + report(
            boundary,
            f'Content-Type: text/plain; charset="US-ASCII"\nContent-Transfer-Encoding: 7bit\n\n{intro or "This is an email abuse report for an email message received from IP " + OUR_IP + " on " + c.date}\n',
            f"Content-Type: message/feedback-report\n\n{fields}",
            "Content-Type: message/rfc822\nContent-Disposition: inline\n\n" + original_message(c, to),
        )
    )


def jmrp(c: Ctx) -> str:
    boundary = f"jmrp-{c.n:04d}"
    inner = original_headers(c).replace(
        "Return-Path:",
        f"X-HmXmrOriginalRecipient: <{c.address}>\nX-Message-Delivery: Vj0xLjE7dXM9MA==\nReturn-Path:",
        1,
    )
    inner = inner.replace(f"To: {c.address}", "To: <redacted>" if c.n % 2 else f"To: {c.address}")
    return (
        headers(
            f"complaint about message from {OUR_IP}",
            "staff@hotmail.com",
            c,
            f'multipart/mixed; boundary="{boundary}"',
        )
        + "\n"
        + report(
            boundary,
            'Content-Type: text/plain; charset="us-ascii"\n\nThis is an email abuse report for an email message received from IP '
            f"{OUR_IP} on {c.date}.\nFor more information about this format please see http://postmaster.live.com/\n",
            "Content-Type: message/rfc822\nContent-Disposition: inline\n\n"
            + inner
            + "\nHello,\n\nour spring offer...\n",
        )
    )


def _complaints(counter) -> list[Sample]:
    out = []

    def add(name, family, models, build, complained=True, kind="complaint", domain=None):
        c = _ctx(next(counter), family, REMOTE[0])
        if domain:
            c.address = c.address.split("@")[0] + "@" + domain
            c.domain = domain
        raw = build(c)
        label = Label(
            kind,
            complained=(c.address,) if complained and kind == "complaint" else (),
            message_id=c.message_id if kind == "complaint" else "",
        )
        out.append(Sample(name, family, models, _crlf(raw), label))

    for k in range(4):
        add(
            f"arf-yahoo-{k + 1}",
            "arf_yahoo",
            "Yahoo CFL: ARF with User-Agent Yahoo!-Mail-Feedback/2.0, Original-Rcpt-To",
            lambda c: arf(
                c,
                "feedback@arf.mail.yahoo.com",
                "Yahoo!-Mail-Feedback/2.0",
                version="0.1",
                subject="FW: " + c.subject,
            ),
            domain="yahoo.com",
        )
    for k in range(4):
        redact = k % 2 == 1
        add(
            f"arf-aol-{k + 1}",
            "arf_aol",
            "AOL SComp ARF (the recipient redacted in some, found by Message-ID then)",
            lambda c, redact=redact: arf(
                c,
                "scomp@aol.net",
                "AOL SComp",
                rcpt=not redact,
                redact=redact,
                intro="This is an email abuse report for an email message from aol.com",
            ),
            complained=not redact,
            domain="aol.com",
        )
    for k in range(4):
        add(
            f"jmrp-outlook-{k + 1}",
            "jmrp_outlook",
            "Outlook.com JMRP: multipart/mixed, the message returned with X-HmXmrOriginalRecipient",
            jmrp,
            domain="hotmail.com",
        )
    for k in range(4):
        add(
            f"fbl-mailru-{k + 1}",
            "fbl_mailru",
            "Mail.ru FBL: ARF with User-Agent Mail.Ru FBL/1.0",
            lambda c: arf(c, "fbl@corp.mail.ru", "Mail.Ru FBL/1.0", subject="Mail.Ru FBL report"),
            domain="mail.ru",
        )
    for k in range(3):
        add(
            f"arf-ses-{k + 1}",
            "arf_ses",
            "Amazon SES email feedback forwarding: the ISP's ARF from complaints@email-abuse.amazonses.com",
            lambda c: arf(
                c,
                "complaints@email-abuse.amazonses.com",
                "Comcast Feedback Loop (V0.01)",
                subject="Complaint from ISP",
            ),
        )
    for k, (agent, sender, feedback) in enumerate(
        [
            ("Fastmail ARF/1.0", "abuse-report@fastmail.com", "abuse"),
            ("Zoho Feedback/1.0", "feedbackloop@zoho.example", "abuse"),
            ("Comcast Feedback Loop (V0.01)", "feedbackloop@comcastfbl.example", "fraud"),
            ("SomeISP/1.0", "fbl@isp.example", "opt-out"),
        ]
    ):
        add(
            f"arf-generic-{k + 1}",
            "arf_generic",
            f"RFC 5965 ARF, Feedback-Type: {feedback}",
            lambda c, agent=agent, sender=sender, feedback=feedback: arf(c, sender, agent, feedback=feedback),
        )
    add(
        "arf-not-spam",
        "arf_generic",
        "RFC 5965 ARF with Feedback-Type: not-spam (no complaint)",
        lambda c: arf(c, "fbl@isp.example", "SomeISP/1.0", feedback="not-spam"),
        kind="none",
    )
    add(
        "arf-auth-failure",
        "arf_generic",
        "RFC 6591 authentication failure report (no complaint)",
        lambda c: arf(
            c,
            "dmarc-failure@isp.example",
            "OpenDMARC/1.4",
            feedback="auth-failure",
            subject="FW: Authentication failure",
        ),
        kind="none",
    )
    return out


# --- auto-replies and ordinary mail ----------------------------------------------------------------------


AUTO_REPLIES = [
    # (subject, extra headers, body, what it models)
    (
        "Automatic reply: {s}",
        "Auto-Submitted: auto-generated\nX-MS-Exchange-Inbox-Rules-Loop: {a}\nX-Auto-Response-Suppress: All\n",
        "I am out of the office until March 10 with limited access to email.",
        "Exchange / Outlook OOF (English)",
    ),
    (
        "Out of Office: {s}",
        "",
        "I am currently out of the office and will respond on my return.",
        "older Exchange OOF subject, no Auto-Submitted",
    ),
    (
        "Out of Office AutoReply: {s}",
        "X-MimeOLE: Produced By Microsoft Exchange V6.5\n",
        "I'll be back on Monday.",
        "Exchange 2003 OOF",
    ),
    (
        "Automatische Antwort: {s}",
        "Auto-Submitted: auto-generated\n",
        "Ich bin bis zum 10.03. nicht im Büro.",
        "Exchange OOF (German)",
    ),
    (
        "Abwesenheitsnotiz: {s}",
        "",
        "Vielen Dank für Ihre Nachricht. Ich bin im Urlaub.",
        "German absence note, subject only",
    ),
    (
        "Réponse automatique : {s}",
        "Auto-Submitted: auto-generated\n",
        "Je suis absent du bureau jusqu'au 10 mars.",
        "Exchange OOF (French)",
    ),
    ("Absence du bureau : {s}", "", "Je serai de retour lundi.", "French absence subject"),
    (
        "Respuesta automática: {s}",
        "Auto-Submitted: auto-generated\n",
        "Estoy fuera de la oficina hasta el lunes.",
        "Exchange OOF (Spanish)",
    ),
    ("Fuera de la oficina: {s}", "", "Gracias por su mensaje.", "Spanish subject only"),
    (
        "Risposta automatica: {s}",
        "Auto-Submitted: auto-generated\n",
        "Sono fuori ufficio fino al 10 marzo.",
        "Exchange OOF (Italian)",
    ),
    (
        "Automatisch antwoord: {s}",
        "Auto-Submitted: auto-generated\n",
        "Ik ben afwezig tot 10 maart.",
        "Exchange OOF (Dutch)",
    ),
    ("Resposta automática: {s}", "", "Estou ausente do escritório.", "Portuguese subject only"),
    (
        "=?UTF-8?B?0JDQstGC0L7QvNCw0YLQuNGH0LXRgdC60LjQuSDQvtGC0LLQtdGCOg==?= {s}",
        "",
        "Я в отпуске до 10 марта.",
        "Exchange OOF (Russian, RFC 2047 subject)",
    ),
    (
        "=?UTF-8?Q?Odpowied=C5=BA_automatyczna:?= {s}",
        "Auto-Submitted: auto-generated\n",
        "Jestem na urlopie.",
        "Exchange OOF (Polish)",
    ),
    ("Automatiskt svar: {s}", "", "Jag är på semester.", "Swedish subject only"),
    (
        "=?ISO-2022-JP?B?GyRCPCtGMDF+RXobKEI=?=: {s}",
        "Auto-Submitted: auto-replied\n",
        "Out of office.",
        "Japanese auto-response subject",
    ),
    (
        "Auto: {s}",
        "Auto-Submitted: auto-replied (vacation)\nPrecedence: bulk\n",
        "I am on vacation.",
        "Dovecot Pigeonhole Sieve vacation",
    ),
    (
        "Re: {s}",
        "Auto-Submitted: auto-replied\nX-Autoreply: yes\n",
        "I'm away this week.",
        "Postfix vacation(1) / X-Autoreply",
    ),
    ("Re: {s}", "X-Autorespond: yes\n", "Thanks, we got your message.", "X-Autorespond header only"),
    (
        "Re: {s}",
        "Precedence: auto_reply\n",
        "Autoresponder: we will get back to you.",
        "Precedence: auto_reply only",
    ),
    (
        "{s}",
        "Auto-Submitted: auto-replied\n",
        "Gmail vacation responder: I'm away until Monday.",
        "Gmail vacation responder (original subject kept)",
    ),
    ("Re: {s} (Out of Office)", "", "Zimbra-style subject suffix.", "subject with (Out of Office) suffix"),
    (
        "Pat Buyer is out of the office.",
        "",
        "I will be out of the office starting 03/04/2025 and will not return until 03/10/2025.",
        "Lotus Domino out-of-office subject",
    ),
    (
        "Pat Buyer ist außer Haus.",
        "",
        "Ich werde ab 04.03.2025 nicht im Büro sein.",
        "Lotus Domino out-of-office (German)",
    ),
    ("Auto Response", "X-Autogenerated: Reply\n", "Yahoo auto response.", "Yahoo vacation response"),
    (
        "AutoReply: {s}",
        "X-Autoreply: yes\nAuto-Submitted: auto-replied\n",
        "We received your request #4821 and will answer soon.",
        "helpdesk acknowledgement",
    ),
    ("Vacation: {s}", "", "On vacation.", "vacation subject"),
    ("Automatisch antwoord: {s}", "", "Ik ben er niet.", "Dutch subject only"),
    (
        "Autosvar: {s}",
        "Auto-Submitted: auto-replied\n",
        "Jeg er på ferie.",
        "Norwegian/Danish Auto-Submitted",
    ),
    ("Automaattinen vastaus: {s}", "", "Olen lomalla.", "Finnish subject only"),
    ("自动回复: {s}", "Auto-Submitted: auto-replied\n", "我不在办公室。", "Chinese auto-reply"),
    (
        "Re: {s}",
        "Auto-Submitted: auto-replied\n",
        "Exim autoreply transport.",
        "Exim autoreply (Auto-Submitted only)",
    ),
    ("Out of the office", "Auto-Submitted: auto-generated\n", "Back next week.", "plain 'Out of the office'"),
    (
        "Abwesend: {s}",
        "Auto-Submitted: auto-replied\n",
        "Bin nicht da.",
        "German 'Abwesend' with Auto-Submitted",
    ),
]


def _auto_replies(counter) -> list[Sample]:
    out = []
    for number, (subject, extra, body, models) in enumerate(AUTO_REPLIES, 1):
        c = _ctx(next(counter), "auto", REMOTE[0])
        raw = (
            f"Return-Path: <{c.address}>\nFrom: Pat Buyer <{c.address}>\nTo: {SENDER_NAME} <{SENDER}>\n"
            f"Subject: {subject.format(s=c.subject)}\nDate: {c.date}\nMessage-ID: <auto{c.n}@{c.domain}>\n"
            f"In-Reply-To: {c.message_id}\nReferences: {c.message_id}\n{extra.format(a=c.address)}"
            f"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}\n"
        )
        out.append(Sample(f"auto-{number:02d}", "auto_reply", models, _crlf(raw), Label("auto_reply")))
    for number in range(1, 4):
        c = _ctx(next(counter), "mdn", REMOTE[0])
        raw = (
            headers(
                f"Read: {c.subject}",
                f"Pat Buyer <{c.address}>",
                c,
                'multipart/report; report-type=disposition-notification; boundary="mdn"',
            ).replace("Return-Path: <>\n", "")
            + "\n"
            + report(
                "mdn",
                f"Content-Type: text/plain\n\nYour message\n\n  To: {c.address}\n  Subject: {c.subject}\n\nwas read on {c.date}.\n",
                f"Content-Type: message/disposition-notification\n\nReporting-UA: buyer-pc; Microsoft Outlook 16.0\nFinal-Recipient: rfc822;{c.address}\nOriginal-Message-ID: {c.message_id}\nDisposition: manual-action/MDN-sent-manually; displayed\n",
            )
        )
        out.append(
            Sample(
                f"mdn-{number}",
                "auto_reply",
                "RFC 8098 read receipt (message/disposition-notification)",
                _crlf(raw),
                Label("auto_reply"),
            )
        )
    return out


ORDINARY = [
    (
        "Re: {s}",
        "Thanks Alice, the address pat@old.example does not exist any more, please use this one.",
        "a customer's reply that mentions a dead address",
    ),
    (
        "Re: {s}",
        "Our mailbox is full of offers, but yours is interesting. Call me.",
        "a reply that mentions a full mailbox",
    ),
    (
        "Question about the offer",
        "Your message could not be delivered to our purchasing team last week, please resend the price list.",
        "a person quoting bounce-like words",
    ),
    (
        "Fwd: Undelivered Mail Returned to Sender",
        "FYI, your mail to my colleague bounced:\n\n<j.doe@buyer.example>: host mx.buyer.example said: 550 5.1.1 User unknown\n",
        "a person forwarding a bounce as text",
    ),
    (
        "Re: Out of office policy",
        "About the out of office question: yes, Friday works.",
        "a reply whose subject mentions out of office after Re:",
    ),
    (
        "Newsletter March",
        "Our March newsletter. Unsubscribe: https://news.example/u",
        "a newsletter with Precedence: bulk",
    ),
    ("Order 4821 confirmed", "Thank you for your order.", "an order confirmation"),
    ("Re: {s}", "We have moved to a new office, same address for mail.", "a reply saying the company moved"),
    (
        "Meeting next week",
        "Hi Alice, can we meet on Tuesday? Delivery of the samples failed twice with the courier.",
        "a person talking about failed deliveries",
    ),
    ("Re: {s}", "Bitte senden Sie mir das Angebot erneut.", "a German reply"),
]


def _ordinary(counter) -> list[Sample]:
    out = []
    for number, (subject, body, models) in enumerate(ORDINARY, 1):
        c = _ctx(next(counter), "ordinary", REMOTE[0])
        extra = "Precedence: bulk\nList-Id: <news.news.example>\n" if "newsletter" in models else ""
        raw = (
            f"Return-Path: <{c.address}>\nFrom: Pat Buyer <{c.address}>\nTo: {SENDER}\nSubject: {subject.format(s=c.subject)}\n"
            f"Date: {c.date}\nMessage-ID: <person{c.n}@{c.domain}>\n{extra}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}\n"
        )
        out.append(Sample(f"ordinary-{number:02d}", "ordinary", models, _crlf(raw), Label("none")))
    return out


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def samples() -> list[Sample]:
    counter = iter(range(1, 100_000))
    return (
        _bounces(counter)
        + _two_recipient_bounces(counter)
        + _delays(counter)
        + _complaints(counter)
        + _auto_replies(counter)
        + _ordinary(counter)
    )


def write(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    labels = {}
    for sample in samples():
        (directory / f"{sample.name}.eml").write_bytes(sample.raw)
        labels[sample.name] = {"family": sample.family, "models": sample.models, **asdict(sample.label)}
    (directory / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    write(Path(sys.argv[1]))
