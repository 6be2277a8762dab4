"""read_returned_mail on the labelled corpus (every server family's format) and on broken input."""

import email
import email.parser
from collections import Counter

import pytest

from mailkit.bounce_reasons import Reason
from mailkit.returned_mail import Kind, may_be_returned, read_returned_mail
from mailkit.tests.bounce_corpus import FAMILIES, Label, samples

SAMPLES = samples()


def verdict_of(raw: bytes):
    return read_returned_mail(email.message_from_bytes(raw))


def assert_matches(verdict, label: Label):
    assert verdict.kind == label.kind
    assert [(f.address, f.reason, f.hard) for f in verdict.failures] == [
        (e.address, e.reason, e.hard) for e in label.failures
    ]
    assert verdict.complained == label.complained
    if label.message_id:
        assert verdict.message_ids[:1] == (label.message_id,)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_sample_gets_its_label(sample):
    assert_matches(verdict_of(sample.raw), sample.label)


def test_the_corpus_covers_every_family_with_hard_and_soft_failures():
    assert len(SAMPLES) >= 300
    kinds = Counter(s.label.kind for s in SAMPLES)
    assert (
        kinds["complaint"] >= 20
        and kinds["auto_reply"] >= 30
        and kinds["delay"] >= 20
        and kinds["none"] >= 10
    )
    for family in FAMILIES:
        failures = [f for s in SAMPLES if s.family == family for f in s.label.failures]
        assert len(failures) >= 6, family
        assert {f.hard for f in failures} == {True, False}, family


def test_auto_replies_delays_and_ordinary_mail_never_suppress():
    for sample in SAMPLES:
        if sample.label.kind in ("auto_reply", "delay", "none"):
            verdict = verdict_of(sample.raw)
            assert not verdict.suppresses and not verdict.failures, sample.name


def test_a_failure_keeps_status_smtp_code_and_diagnostic():
    (sample,) = [s for s in SAMPLES if s.name == "postfix-03"]
    (failure,) = verdict_of(sample.raw).failures
    assert failure.status and failure.smtp_code and failure.diagnostic
    assert failure.diagnostic.startswith(failure.smtp_code)


def test_an_exim_bounce_marked_auto_submitted_is_a_bounce_not_an_auto_reply():
    (sample,) = [s for s in SAMPLES if s.name == "exim-03"]
    assert b"Auto-Submitted: auto-replied" in sample.raw
    assert verdict_of(sample.raw).kind is Kind.BOUNCE


def test_a_redacted_complaint_still_names_the_original_message():
    (sample,) = [s for s in SAMPLES if s.name == "arf-aol-2"]
    verdict = verdict_of(sample.raw)
    assert verdict.kind is Kind.COMPLAINT and verdict.complained == () and verdict.suppresses
    assert verdict.message_ids == (sample.label.message_id,)


DSN_IN_BASE64 = b"""From: MAILER-DAEMON@mx.example
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Sorry.
--B
Content-Type: message/delivery-status
Content-Transfer-Encoding: base64

UmVwb3J0aW5nLU1UQTogZG5zOyBteC5leGFtcGxlCgpGaW5hbC1SZWNpcGllbnQ6IHJmYzgyMjsg
cGF0QGJ1eWVyLmV4YW1wbGUKQWN0aW9uOiBmYWlsZWQKU3RhdHVzOiA1LjEuMQpEaWFnbm9zdGlj
LUNvZGU6IHNtdHA7IDU1MCA1LjEuMSBVc2VyIHVua25vd24K
--B--
"""


def test_a_delivery_status_part_the_parser_left_as_text_is_still_read():
    (failure,) = verdict_of(DSN_IN_BASE64).failures
    assert (failure.address, failure.status, failure.reason, failure.hard) == (
        "pat@buyer.example",
        "5.1.1",
        Reason.USER_UNKNOWN,
        True,
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"Content-Type: multipart/report; report-type=delivery-status\n\nno boundary at all",
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="X"\n\n--X\n',
        b'Content-Type: multipart/report; report-type=feedback-report; boundary="X"\n\n--X\nContent-Type: message/feedback-report\n\n--X--\n',
        b"From: MAILER-DAEMON@x\nSubject: =?bogus-charset?Q?Undeliverable=FF?=\nContent-Type: text/plain; charset=bogus\n\n\xff\xfe",
        b"Subject: failure notice\nFrom: MAILER-DAEMON@x\n\nHi. This is the qmail-send program at x.\n\n<\xff@x>:\nno\n",
    ],
)
def test_broken_input_gives_a_verdict_and_never_raises(raw):
    verdict = verdict_of(raw)
    assert verdict.kind in Kind and not verdict.hard_failures


def test_the_headers_alone_tell_which_bodies_to_fetch():
    for sample in SAMPLES:
        headers = email.parser.BytesParser().parsebytes(sample.raw, headersonly=True)
        if sample.family == "ordinary":
            assert not may_be_returned(headers), sample.name
        else:
            assert may_be_returned(headers), sample.name


def test_a_person_forwarding_our_message_as_an_attachment_is_no_complaint():
    (jmrp,) = [s for s in SAMPLES if s.name == "jmrp-outlook-1"]
    forwarded = jmrp.raw.replace(b"From: staff@hotmail.com", b"From: Pat Buyer <pat@hotmail.com>").replace(
        b"complaint about message from", b"Fwd: have a look at this offer from"
    )
    assert verdict_of(jmrp.raw).kind is Kind.COMPLAINT
    assert verdict_of(forwarded).kind is Kind.NONE


def test_an_arf_complaint_keeps_its_type_and_envelope_sender():
    (sample,) = [s for s in SAMPLES if s.name == "arf-generic-3"]
    verdict = verdict_of(sample.raw)
    assert (verdict.kind, verdict.feedback_type) == (Kind.COMPLAINT, "fraud")
    assert verdict.original_mail_from.startswith("bounces+") and verdict.complained == sample.label.complained


@pytest.mark.parametrize(
    "body", [b"a" * 200_000, b"x@" * 100_000, b"a." * 100_000, b"<a@b.example>:\n" * 10_000]
)
def test_a_huge_hostile_body_is_read_in_one_pass(body):
    # Quadratic patterns would take minutes on these; each is read like any other message.
    raw = (
        b"From: MAILER-DAEMON@mx.example\nSubject: failure notice\n\nHi. This is the qmail-send program.\n\n"
        + body
    )
    verdict = verdict_of(raw)
    assert not verdict.hard_failures or {f.address for f in verdict.failures} == {"a@b.example"}
