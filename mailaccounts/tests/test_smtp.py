import smtplib
import socket
import ssl
from email.message import EmailMessage

import pytest

from mailaccounts.models import EmailAccount
from mailaccounts.smtp import AccountMailer, Outcome, classify, classify_reply
from testsupport._net import free_port


def account_for(sink, **fields):
    fields.setdefault("email", "alice@crm.test")
    return EmailAccount(
        smtp_host=sink.host,
        smtp_port=sink.port,
        smtp_security=sink.security,
        username=sink.username or "",
        password=sink.password or "",
        **fields,
    )


def message(to="rcpt@example.com", subject="Hello"):
    msg = EmailMessage()
    msg["From"] = "alice@crm.test"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Hi\n")
    return msg


@pytest.fixture
def trust_sink(settings, tls_cert):
    settings.MAIL_CA_FILE = str(tls_cert.cert_path)


# --- classify: pure ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "outcome", "code"),
    [
        (smtplib.SMTPRecipientsRefused({"x@y.z": (550, b"5.1.1 No such user")}), Outcome.PERMANENT, 550),
        (smtplib.SMTPRecipientsRefused({"x@y.z": (450, b"4.2.1 Mailbox busy")}), Outcome.TEMPORARY, 450),
        (
            smtplib.SMTPRecipientsRefused({"x@y.z": (452, b"4.5.3 Too many recipients")}),
            Outcome.THROTTLED,
            452,
        ),
        (smtplib.SMTPRecipientsRefused({"x@y.z": (452, b"4.2.2 Mailbox full")}), Outcome.TEMPORARY, 452),
        (smtplib.SMTPDataError(451, b"4.7.1 Rate limited, try later"), Outcome.THROTTLED, 451),
        (smtplib.SMTPDataError(451, b"4.3.0 Local error"), Outcome.TEMPORARY, 451),
        (
            smtplib.SMTPRecipientsRefused({"x@y.z": (451, b"4.7.1 Greylisted, try again later")}),
            Outcome.TEMPORARY,
            451,
        ),
        (smtplib.SMTPRecipientsRefused({"x@y.z": (450, b"4.2.1 Try again later")}), Outcome.TEMPORARY, 450),
        (smtplib.SMTPDataError(554, b"5.7.1 Message rejected as spam"), Outcome.PERMANENT, 554),
        (smtplib.SMTPDataError(550, b"5.4.5 Daily user sending quota exceeded"), Outcome.THROTTLED, 550),
        (
            smtplib.SMTPSenderRefused(421, b"4.7.0 Try again later, closing connection", "a@b"),
            Outcome.THROTTLED,
            421,
        ),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "a@b"), Outcome.PERMANENT, 553),
        (smtplib.SMTPSenderRefused(530, b"5.7.0 Authentication required", "a@b"), Outcome.AUTH, 530),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), Outcome.AUTH, 535),
        (
            smtplib.SMTPAuthenticationError(534, b"5.7.9 Application-specific password required"),
            Outcome.AUTH,
            534,
        ),
        (smtplib.SMTPAuthenticationError(454, b"4.7.0 Too many login attempts"), Outcome.THROTTLED, 454),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), Outcome.CONNECTION, None),
        (ConnectionRefusedError(111, "Connection refused"), Outcome.CONNECTION, None),
        (TimeoutError("timed out"), Outcome.CONNECTION, None),
        (socket.gaierror(-2, "Name or service not known"), Outcome.CONNECTION, None),
        (smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server."), Outcome.AUTH, None),
        (
            smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
            Outcome.CONNECTION,
            None,
        ),
    ],
)
def test_classify(exc, outcome, code):
    result = classify(exc)
    assert (result.outcome, result.code) == (outcome, code)
    assert result.message and result.detail


def test_classify_message_is_a_sentence_and_detail_the_full_reply():
    result = classify(smtplib.SMTPRecipientsRefused({"x@y.z": (550, b"5.1.1 No such user")}))
    assert result.message == "The server refused the recipient: 550 5.1.1 No such user"
    assert result.detail == "x@y.z: 550 5.1.1 No such user"


def test_classify_reply_on_data_and_mail_names_what_was_refused():
    assert "the message" in classify_reply(554, "5.6.0 Bad content", "data").message
    assert "the sender address" in classify_reply(553, "5.1.8 Bad sender", "mail").message


def test_certificate_error_says_what_to_tick():
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.verify_message = "self-signed certificate"
    result = classify(exc)
    assert result.outcome is Outcome.CONNECTION
    assert "not trusted" in result.message and "allow a certificate" in result.message


# --- against the aiosmtpd sink ---------------------------------------------------------------


def test_plain_without_auth_when_password_is_empty(smtp_sink):
    with AccountMailer(account_for(smtp_sink)) as mailer:
        assert mailer.send(message()).outcome is Outcome.SENT
    [received] = smtp_sink.wait_for(1)
    assert received.login is None
    assert received.mail_from == "alice@crm.test"


@pytest.mark.usefixtures("trust_sink")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_right_password(smtp_sink_factory, security):
    sink = smtp_sink_factory(security=security, username="alice", password="s3cret", auth_required=True)
    with AccountMailer(account_for(sink)) as mailer:
        assert mailer.send(message()).outcome is Outcome.SENT
    assert sink.wait_for(1)[0].login == "alice"


@pytest.mark.usefixtures("trust_sink")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_wrong_password_is_auth(smtp_sink_factory, security):
    sink = smtp_sink_factory(security=security, username="alice", password="s3cret", auth_required=True)
    account = account_for(sink)
    account.password = "wrong"
    with AccountMailer(account) as mailer:
        result = mailer.send(message())
    assert result.outcome is Outcome.AUTH
    assert result.code == 535
    assert "re-connect" in result.message
    assert sink.messages == []


def test_empty_password_on_a_server_that_requires_auth_is_auth(smtp_sink_factory):
    sink = smtp_sink_factory(username="alice", password="s3cret", auth_required=True)
    account = account_for(sink)
    account.password = ""
    with AccountMailer(account) as mailer:
        result = mailer.send(message())
    assert result.outcome is Outcome.AUTH
    assert result.code == 530


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_self_signed_certificate_is_not_trusted_by_default(smtp_sink_factory, security):
    sink = smtp_sink_factory(security=security)
    with AccountMailer(account_for(sink)) as mailer:
        result = mailer.send(message())
    assert result.outcome is Outcome.CONNECTION
    assert "certificate is not trusted" in result.message


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_untrusted_certificate_allowed_when_the_account_says_so(smtp_sink_factory, security):
    sink = smtp_sink_factory(security=security)
    with AccountMailer(account_for(sink, allow_untrusted_cert=True)) as mailer:
        assert mailer.send(message()).outcome is Outcome.SENT


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        ("550 5.1.1 No such user", Outcome.PERMANENT),
        ("450 4.2.1 Try later", Outcome.TEMPORARY),
        ("451 4.7.1 Rate limit exceeded", Outcome.THROTTLED),
        ("452 4.5.3 Too many recipients", Outcome.THROTTLED),
        ("421 4.7.0 Too many connections, closing", Outcome.THROTTLED),
    ],
)
def test_refused_recipient(smtp_sink, reply, outcome):
    smtp_sink.fail(reply, on="rcpt", rcpt="bad@example.com")
    with AccountMailer(account_for(smtp_sink)) as mailer:
        result = mailer.send(message(to="bad@example.com"))
        assert (result.outcome, result.code) == (outcome, int(reply[:3]))
        assert reply in result.detail
        # the session goes on (or reconnects after 421) for the next recipient
        assert mailer.send(message(to="good@example.com")).outcome is Outcome.SENT
    assert [m.rcpt_tos for m in smtp_sink.wait_for(1)] == [["good@example.com"]]
    assert smtp_sink.connections == (2 if reply.startswith("421") else 1)


def test_refused_message_after_data_is_permanent(smtp_sink):
    smtp_sink.fail("554 5.7.1 Message rejected", on="data", times=1)
    with AccountMailer(account_for(smtp_sink)) as mailer:
        result = mailer.send(message())
    assert result.outcome is Outcome.PERMANENT
    assert result.message == "The server refused the message: 554 5.7.1 Message rejected"


def test_connection_dropped_during_data_then_reconnects(smtp_sink):
    smtp_sink.drop_during_data(times=1)
    with AccountMailer(account_for(smtp_sink)) as mailer:
        result = mailer.send(message(subject="first"))
        assert result.outcome is Outcome.CONNECTION
        assert "closed the connection" in result.message
        assert mailer.send(message(subject="second")).outcome is Outcome.SENT
    assert [m.subject for m in smtp_sink.wait_for(1)] == ["second"]
    assert smtp_sink.connections == 2


def test_refused_connection():
    account = EmailAccount(email="a@b.c", smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none")
    with AccountMailer(account, timeout=2) as mailer:
        result = mailer.send(message())
    assert result.outcome is Outcome.CONNECTION
    assert result.message == "The server refused the connection. Check the host and port."


def test_timeout_when_the_server_never_greets():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        account = EmailAccount(
            email="a@b.c", smtp_host="127.0.0.1", smtp_port=silent.getsockname()[1], smtp_security="none"
        )
        with AccountMailer(account, timeout=0.3) as mailer:
            result = mailer.send(message())
    assert result.outcome is Outcome.CONNECTION
    assert "did not answer in time" in result.message


def test_greeting_421_is_throttled(smtp_sink):
    smtp_sink.fail("421 4.7.0 Too many connections", on="connect", times=1)
    with AccountMailer(account_for(smtp_sink)) as mailer:
        result = mailer.send(message())
    assert (result.outcome, result.code) == (Outcome.THROTTLED, 421)


def test_many_messages_over_one_connection(smtp_sink):
    with AccountMailer(account_for(smtp_sink)) as mailer:
        results = [mailer.send(message(to=f"r{i}@example.com")) for i in range(5)]
    assert {r.outcome for r in results} == {Outcome.SENT}
    assert len(smtp_sink.wait_for(5)) == 5
    assert smtp_sink.connections == 1


def test_envelope_overrides(smtp_sink):
    with AccountMailer(account_for(smtp_sink)) as mailer:
        mailer.send(message(), from_addr="bounces@crm.test", to_addrs=["other@example.com"])
    [received] = smtp_sink.wait_for(1)
    assert (received.mail_from, received.rcpt_tos) == ("bounces@crm.test", ["other@example.com"])


def test_close_without_sending_opens_nothing(smtp_sink):
    with AccountMailer(account_for(smtp_sink)):
        pass
    assert smtp_sink.connections == 0


def test_non_ascii_address_without_smtputf8_fails_alone():
    exc = smtplib.SMTPNotSupportedError(
        "One or more source or delivery addresses require internationalized email support, but the "
        "server does not advertise the required SMTPUTF8 capability"
    )
    assert classify(exc).outcome is Outcome.PERMANENT


def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending(smtp_sink):
    with AccountMailer(account_for(smtp_sink)) as mailer:
        assert mailer.send(message(subject="first")).ok
        mailer.connection.sock.shutdown(socket.SHUT_RDWR)  # as if the server had hung up while idle
        mailer._last_used -= AccountMailer.IDLE_CHECK_SECONDS
        assert mailer.send(message(subject="second")).ok
    assert [m.subject for m in smtp_sink.wait_for(2)] == ["first", "second"]
    assert smtp_sink.connections == 2


def test_an_account_without_smtp_server_says_so():
    with AccountMailer(EmailAccount(email="a@b.c", smtp_host="")) as mailer:
        result = mailer.send(message())
    assert (result.outcome, result.message) == (Outcome.CONNECTION, "No SMTP server is set for this account.")
