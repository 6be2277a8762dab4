"""Bounces written by hand outside the corpus generator's templates, each after a format seen in
public samples: a check that the reader is not fitted to the generator's wording only."""

import email

import pytest

from mailkit.returned_mail import Kind, read_returned_mail

H = "From: {f}\nTo: alice@crm.example\nSubject: {s}\nMessage-ID: <b1@mx.example>\n"
CASES = [
    (
        H.format(
            f="MAILER-DAEMON@mail.crm.example (Mail Delivery System)", s="Undelivered Mail Returned to Sender"
        )
        + 'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="Q"\n\n--Q\nContent-Description: Notification\nContent-Type: text/plain\n\nThis is the mail system.\n\n<pat@buyer.example>: unknown user: "pat"\n\n--Q\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.crm.example\n\nFinal-Recipient: rfc822; pat@buyer.example\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: X-Postfix; unknown user: "pat"\n\n--Q--\n',
        ("pat@buyer.example", "user_unknown", True),
    ),
    (
        H.format(f="MAILER-DAEMON@mail.crm.example", s="Undelivered Mail Returned to Sender")
        + 'Content-Type: multipart/report; report-type=delivery-status; boundary="Q"\n\n--Q\nContent-Type: text/plain\n\nx\n--Q\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; m\n\nFinal-Recipient: rfc822; pat@buyer.example\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 <pat@buyer.example> Quota exceeded (mailbox for user is full)\n\n--Q--\n',
        ("pat@buyer.example", "mailbox_full", False),
    ),
    (
        H.format(
            f="Mail Delivery System <Mailer-Daemon@mail.crm.example>",
            s="Mail delivery failed: returning message to sender",
        )
        + "X-Failed-Recipients: pat@buyer.example\n\nThis message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  pat@buyer.example\n    retry timeout exceeded\n\n------ This is a copy of the message, including all the headers. ------\n\nMessage-ID: <orig@crm.example>\n",
        ("pat@buyer.example", "expired", False),
    ),
    (
        H.format(f="MAILER-DAEMON@yahoo.com", s="Failure Notice")
        + "\nSorry, we were unable to deliver your message to the following address.\n\n<pat@buyer.example>:\nRemote host said: 554 Message not allowed - [299]\n\n--- Below this line is a copy of the message.\n\nMessage-ID: <orig@crm.example>\n",
        ("pat@buyer.example", "blocked", False),
    ),
    (
        H.format(f="postmaster@buyer.example", s="Returned mail")
        + "\nI'm sorry, your message to pat@buyer.example could not be delivered because the recipient mailbox is full.\n",
        ("pat@buyer.example", "mailbox_full", False),
    ),
    (
        H.format(f="Microsoft Outlook <postmaster@crm.example>", s="Undeliverable: News")
        + 'Content-Type: multipart/report; report-type=delivery-status; boundary="Q"\n\n--Q\nContent-Type: text/plain\n\nDelivery has failed to these recipients or groups:\n\npat@nowhere.example\n\n--Q\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;ex\n\nFinal-recipient: RFC822; pat@nowhere.example\nAction: failed\nStatus: 5.4.310\nDiagnostic-code: smtp;550 5.4.310 DNS domain nowhere.example does not exist [Message=InfoDomainNonexistent]\n\n--Q--\n',
        ("pat@nowhere.example", "no_such_domain", True),
    ),
    (
        H.format(f="System Administrator <postmaster@ex.example>", s="Undeliverable: News")
        + "Content-Type: text/plain\n\nYour message did not reach some or all of the intended recipients.\n\nThe following recipient(s) cannot be reached:\n\n      Pat Buyer on 3/4/2025 10:00 AM\n            There was a SMTP communication problem with the recipient's email server.\n            <mx.buyer.example #5.5.0 smtp;550 Requested action not taken: mailbox unavailable>\n\n      pat@buyer.example\n",
        ("pat@buyer.example", "user_unknown", True),
    ),
    (
        H.format(
            f="Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
            s="Delivery Status Notification (Failure)",
        )
        + "Content-Type: text/plain\n\n** Message blocked **\n\nYour message to pat@buyer.example has been blocked. "
        "See technical details below for more information.\n\nThe response was:\n554 5.7.1 Message rejected due to local policy\n",
        ("pat@buyer.example", "policy", False),
    ),
]


MODELS = [
    "Postfix local(8) 'unknown user' with an X-Postfix diagnostic",
    "Postfix relaying Dovecot LMTP's 'Quota exceeded (mailbox for user is full)'",
    "Exim 'retry timeout exceeded' (gave up after retries)",
    "Yahoo 'Message not allowed - [299]'",
    "a postmaster's free-form note without codes",
    "Office 365 'DNS domain ... does not exist' (5.4.310)",
    "Exchange 2003 NDR with the recipient's display name first",
    "Gmail text-only notice: its own words ('has been blocked') first, the receiver's reply below",
]


@pytest.mark.parametrize(("raw", "expected"), CASES, ids=MODELS)
def test_hand_written_bounce(raw, expected):
    verdict = read_returned_mail(email.message_from_string(raw))
    assert verdict.kind is Kind.BOUNCE
    assert [(f.address, f.reason, f.hard) for f in verdict.failures] == [expected]
