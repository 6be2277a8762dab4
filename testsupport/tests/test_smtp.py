import base64
import smtplib
import ssl
from email.message import EmailMessage

import pytest

from testsupport.smtp import SmtpSink


def make_message(to="rcpt@example.com", subject="Hello"):
    message = EmailMessage()
    message["From"] = "sender@example.com"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Body text\n")
    return message


def xoauth2(user, token):
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def test_plain_sink_records_message(smtp_sink):
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
        client.send_message(make_message(subject="Grüße"))

    [received] = smtp_sink.wait_for(1)
    assert received.mail_from == "sender@example.com"
    assert received.rcpt_tos == ["rcpt@example.com"]
    assert received.subject == "Grüße"
    assert received.message.get_content() == "Body text\n"
    assert b"Subject:" in received.raw
    assert received.login is None


def test_connection_count_and_clear(smtp_sink):
    for _ in range(2):
        with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
            client.send_message(make_message())
            client.send_message(make_message())

    messages = smtp_sink.wait_for(4)
    assert smtp_sink.connections == 2
    assert [m.connection for m in messages] == [1, 1, 2, 2]
    smtp_sink.clear()
    assert smtp_sink.messages == []
    assert smtp_sink.connections == 0


def test_starttls_with_login(smtp_sink_factory):
    sink = smtp_sink_factory(security="starttls", username="user", password="secret")
    with smtplib.SMTP(sink.host, sink.port) as client:
        with pytest.raises(smtplib.SMTPException):
            client.login("user", "secret")  # AUTH is offered only after STARTTLS
        client.starttls(context=sink.client_context())
        client.login("user", "secret")
        client.send_message(make_message())

    [received] = sink.wait_for(1)
    assert received.login == "user"
    assert sink.connections == 1


@pytest.mark.usefixtures("trust_tls_cert")
def test_default_ssl_context_trusts_test_cert(smtp_sink_factory):
    sink = smtp_sink_factory(security="ssl")
    with smtplib.SMTP_SSL("localhost", sink.port, context=ssl.create_default_context()) as client:
        client.send_message(make_message())
    assert len(sink.wait_for(1)) == 1


def test_starttls_is_required(smtp_sink_factory):
    sink = smtp_sink_factory(security="starttls")
    with smtplib.SMTP(sink.host, sink.port) as client, pytest.raises(smtplib.SMTPSenderRefused) as error:
        client.send_message(make_message())
    assert error.value.smtp_code == 530


def test_implicit_tls_with_auth(smtp_sink_factory):
    sink = smtp_sink_factory(security="ssl", username="user", password="secret")
    with smtplib.SMTP_SSL(sink.host, sink.port, context=sink.client_context()) as client:
        client.login("user", "secret")
        client.send_message(make_message())
    assert sink.wait_for(1)[0].login == "user"


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_wrong_password(smtp_sink_factory, mechanism):
    sink = smtp_sink_factory(username="user", password="secret", auth_required=True)
    with smtplib.SMTP(sink.host, sink.port) as client:
        client.ehlo()
        assert mechanism in client.esmtp_features["auth"]
        method = getattr(client, f"auth_{mechanism.lower()}")
        client.user, client.password = "user", "wrong"
        with pytest.raises(smtplib.SMTPAuthenticationError) as error:
            client.auth(mechanism, method)
        assert error.value.smtp_code == 535
        with pytest.raises(smtplib.SMTPSenderRefused):
            client.send_message(make_message())


def test_xoauth2(smtp_sink_factory):
    sink = smtp_sink_factory(security="starttls", username="me@example.com", xoauth2_token="tok-123")
    with smtplib.SMTP(sink.host, sink.port) as client:
        client.starttls(context=sink.client_context())
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["XOAUTH2"]
        code, _ = client.auth("XOAUTH2", lambda challenge=None: xoauth2("me@example.com", "tok-123"))
        assert code == 235
        client.send_message(make_message())
    assert sink.wait_for(1)[0].login == "me@example.com"


@pytest.mark.parametrize(
    "user, token",
    [("me@example.com", "expired"), ("other@example.com", "tok-123")],
)
def test_xoauth2_rejected(smtp_sink_factory, user, token):
    sink = smtp_sink_factory(username="me@example.com", xoauth2_token="tok-123")
    with smtplib.SMTP(sink.host, sink.port) as client:
        client.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as error:
            client.auth("XOAUTH2", lambda challenge=None: xoauth2(user, token))
    assert error.value.smtp_code == 535
    assert error.value.smtp_error.startswith(b"5.7.8")


def test_xoauth2_with_challenge(smtp_sink_factory):
    sink = smtp_sink_factory(xoauth2_token="tok-123")
    with smtplib.SMTP(sink.host, sink.port) as client:
        client.ehlo()
        assert client.docmd("AUTH", "XOAUTH2")[0] == 334
        answer = base64.b64encode(xoauth2("anyone@example.com", "tok-123").encode()).decode()
        assert client.docmd(answer)[0] == 235


@pytest.mark.parametrize(
    "reply, code",
    [
        ("450 4.2.1 Try later", 450),
        ("452 4.5.3 Too many recipients", 452),
        ("550 5.1.1 No such user", 550),
    ],
)
def test_rcpt_failure_for_one_recipient(smtp_sink, reply, code):
    smtp_sink.fail(reply, on="rcpt", rcpt="Bad@Example.com")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
        refused = client.sendmail(
            "s@example.com", ["good@example.com", "bad@example.com"], b"Subject: x\r\n\r\nx\r\n"
        )
        assert refused == {"bad@example.com": (code, reply[4:].encode())}
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("s@example.com", ["bad@example.com"], b"Subject: x\r\n\r\nx\r\n")

    [received] = smtp_sink.wait_for(1)
    assert received.rcpt_tos == ["good@example.com"]


def test_failure_applies_given_number_of_times(smtp_sink):
    smtp_sink.fail("451 4.3.0 Local error", on="data", times=1)
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
        with pytest.raises(smtplib.SMTPDataError) as error:
            client.send_message(make_message())
        assert error.value.smtp_code == 451
        client.send_message(make_message())
    assert len(smtp_sink.wait_for(1)) == 1


def test_421_closes_connection(smtp_sink):
    smtp_sink.fail("421 4.7.0 Too many connections, closing", on="rcpt")
    client = smtplib.SMTP(smtp_sink.host, smtp_sink.port)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
        client.send_message(make_message())
    assert error.value.recipients["rcpt@example.com"][0] == 421
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.noop()


def test_421_at_greeting(smtp_sink):
    smtp_sink.fail("421 4.7.0 Too many connections, closing", on="connect", times=1)
    with pytest.raises(smtplib.SMTPConnectError) as error:
        smtplib.SMTP(smtp_sink.host, smtp_sink.port)
    assert error.value.smtp_code == 421
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
        client.send_message(make_message())
    assert smtp_sink.connections == 2


def test_drop_during_data(smtp_sink):
    smtp_sink.drop_during_data(times=1)
    client = smtplib.SMTP(smtp_sink.host, smtp_sink.port)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.send_message(make_message())
    assert smtp_sink.messages == []
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
        client.send_message(make_message())
    assert len(smtp_sink.wait_for(1)) == 1


def test_failure_hook(smtp_sink):
    def hook(stage, address, envelope):
        if stage == "mail" and address.endswith("@blocked.example"):
            return "550 5.7.1 Sender blocked"
        return None

    smtp_sink.hook = hook
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as error:
            client.sendmail("x@blocked.example", ["a@example.com"], b"\r\nx\r\n")
        assert error.value.smtp_code == 550
        client.sendmail("x@fine.example", ["a@example.com"], b"\r\nx\r\n")
    assert smtp_sink.wait_for(1)[0].mail_from == "x@fine.example"


def test_sink_as_context_manager():
    with SmtpSink() as sink:
        assert sink.port
        with smtplib.SMTP(sink.host, sink.port) as client:
            assert client.noop()[0] == 250
    with pytest.raises(OSError):
        smtplib.SMTP(sink.host, sink.port, timeout=2)
