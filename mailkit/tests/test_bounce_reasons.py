"""classify(status, smtp_code, text): the reason of one failed recipient and whether it is for good."""

import pytest

from mailkit.bounce_reasons import HARD_REASONS, Reason, classify, find_smtp_code, find_status


@pytest.mark.parametrize(
    ("status", "smtp_code", "text", "reason", "hard"),
    [
        # The status code alone, when the text says nothing we know.
        ("5.1.1", None, "", Reason.USER_UNKNOWN, True),
        ("5.1.2", "550", "", Reason.HOST_UNKNOWN, True),
        ("5.1.10", "550", "", Reason.USER_UNKNOWN, True),
        ("5.4.4", None, "", Reason.HOST_UNKNOWN, True),
        ("5.1.6", "551", "", Reason.MOVED, True),
        ("5.2.2", "552", "", Reason.MAILBOX_FULL, False),
        ("5.3.4", "552", "", Reason.TOO_LARGE, False),
        ("5.7.1", "550", "", Reason.POLICY, False),
        ("4.4.7", None, "", Reason.EXPIRED, False),
        # A 5xx is not permanent by itself.
        ("", "550", "550 Requested action not taken", Reason.OTHER, False),
        ("5.0.0", "554", "554 Transaction failed", Reason.OTHER, False),
        # 5.7.1 is a block, a spam verdict or a policy, never the address's fault...
        (
            "5.7.1",
            "550",
            "Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org",
            Reason.BLOCKED,
            False,
        ),
        (
            "5.7.1",
            "550",
            "Our system has detected that this message is likely unsolicited mail",
            Reason.SPAM,
            False,
        ),
        (
            "5.7.1",
            "554",
            "This message has been blocked because it contains a banned attachment",
            Reason.FILTERED,
            False,
        ),
        ("5.7.1", "554", "<pat@buyer.example>: Relay access denied", Reason.POLICY, False),
        ("5.7.26", "550", "This mail is unauthenticated ... SPF or DKIM", Reason.POLICY, False),
        # ...unless its words say the user does not exist.
        ("5.7.1", "550", "550 5.7.1 No such user!", Reason.USER_UNKNOWN, True),
        # Words about our own sender are our configuration, not the recipient's domain.
        (
            "5.7.1",
            "550",
            "<alice@crm.example>: Sender address rejected: Domain not found",
            Reason.POLICY,
            False,
        ),
        # "address rejected" with a full mailbox or a spam verdict stays soft.
        (
            "5.2.2",
            "552",
            "<pat@buyer.example>: Recipient address rejected: Mailbox is full",
            Reason.MAILBOX_FULL,
            False,
        ),
        ("5.7.1", "550", "Recipient address rejected: Message rejected as spam", Reason.SPAM, False),
        # The hard words.
        ("", "550", "<pat@buyer.example>... User unknown", Reason.USER_UNKNOWN, True),
        ("", "550", "No such user here", Reason.USER_UNKNOWN, True),
        ("", "550", "The mailbox does not exist", Reason.USER_UNKNOWN, True),
        ("", "553", "Recipient address rejected", Reason.USER_UNKNOWN, True),
        ("", "550", "Unrouteable address", Reason.USER_UNKNOWN, True),
        (
            "",
            "",
            "Host or domain name not found. Name service error for name=gone.example type=MX: Host not found",
            Reason.NO_SUCH_DOMAIN,
            True,
        ),
        ("", "", "Sorry, I couldn't find any host named gone.example. (#5.1.2)", Reason.HOST_UNKNOWN, True),
        ("5.2.1", "550", "The email account that you tried to reach is disabled.", Reason.DISABLED, True),
        (
            "5.4.1",
            "550",
            "5.4.1 Recipient address rejected: Access denied. AS(201806281)",
            Reason.USER_UNKNOWN,
            True,
        ),
        # A generic Status takes the precise one from the diagnostic.
        ("5.0.0", None, "smtp; 550 5.1.1 <pat@buyer.example>: no", Reason.USER_UNKNOWN, True),
        ("5.0.0", None, "550 5.2.2 over the limit", Reason.MAILBOX_FULL, False),
        # Every temporary failure is soft, whatever it says.
        (
            "4.1.1",
            "450",
            "<pat@buyer.example>: Recipient address rejected: unverified address: User unknown",
            Reason.USER_UNKNOWN,
            False,
        ),
        (
            "4.4.3",
            None,
            "Host or domain name not found. Name service error: Host not found, try again",
            Reason.NO_SUCH_DOMAIN,
            False,
        ),
        ("", "452", "452 4.2.2 Mailbox full", Reason.MAILBOX_FULL, False),
        (
            "4.7.0",
            "421",
            "Too many connections from 203.0.113.7, try again later",
            Reason.RATE_LIMITED,
            False,
        ),
        (
            "4.4.1",
            None,
            "connect to mx.buyer.example[198.51.100.3]:25: Connection timed out",
            Reason.EXPIRED,
            False,
        ),
        ("", "421", "", Reason.RATE_LIMITED, False),
        # A refusal that names no reason is a block, and "address rejected" under 5.7.x a policy.
        ("5.7.1", "554", "<pat@buyer.example>: Recipient address rejected: Blocked", Reason.BLOCKED, False),
        ("5.7.1", "550", "Recipient address rejected", Reason.POLICY, False),
        ("", "550", "Administrative prohibition", Reason.BLOCKED, False),
        (
            "4.4.7",
            None,
            "connect to mx.buyer.example[198.51.100.3]:25: Connection refused",
            Reason.EXPIRED,
            False,
        ),
        ("5.1.0", "550", "550 #5.1.0 Address rejected.", Reason.USER_UNKNOWN, True),
        ("", "550", "Verification failed for <alice@crm.example>", Reason.POLICY, False),
        ("5.4.300", "550", "550 5.4.300 Message expired", Reason.EXPIRED, False),
        (
            "5.1.1",
            "550",
            "Email address could not be found, or was misspelled (G8)",
            Reason.USER_UNKNOWN,
            True,
        ),
    ],
)
def test_classify(status, smtp_code, text, reason, hard):
    assert classify(status, smtp_code, text) == (reason, hard)


def test_the_smtp_code_is_found_in_the_text_when_not_given():
    assert classify("", None, "550 User unknown")[1] is True
    assert classify("", None, "450 User unknown")[1] is False


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("550 5.1.1 <pat@buyer.example>", "5.1.1"),
        ("<mx.buyer.example #5.1.10 smtp;550>", "5.1.10"),
        ("(#5.2.2)", "5.2.2"),
        ("host mx.buyer.example[10.5.1.1] said: 550 no", ""),  # part of an IP address
        ("Microsoft Exchange V6.5.7226", ""),
        ("", ""),
    ],
)
def test_find_status(text, status):
    assert find_status(text) == status


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("550 5.1.1 User unknown", "550"),
        ("550-5.1.1 The email account", "550"),
        ("host mx.buyer.example[198.51.100.3] said: 452 4.2.2 Full", "452"),
        ("#550 5.1.1 RESOLVER.ADR.RecipNotFound", "550"),
        ("Connection timed out after 550 seconds", ""),
        ("mx.buyer.example[198.51.100.3]:25", ""),
    ],
)
def test_find_smtp_code(text, code):
    assert find_smtp_code(text) == code


def test_only_a_dead_address_or_domain_is_hard():
    assert {
        Reason.USER_UNKNOWN,
        Reason.DISABLED,
        Reason.HOST_UNKNOWN,
        Reason.NO_SUCH_DOMAIN,
        Reason.MOVED,
    } == HARD_REASONS
    assert Reason.MAILBOX_FULL.hard is False and Reason.USER_UNKNOWN.hard is True


def test_every_reason_has_a_label_for_choices():
    choices = dict(Reason.choices())
    assert set(choices) == {r.value for r in Reason}
    assert choices["mailbox_full"] == "Mailbox full"
