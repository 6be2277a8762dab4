"""SMTP delivery through one EmailAccount: one connection per batch, every outcome classified.

with AccountMailer(account) as mailer:
    for message in messages:
        result = mailer.send(message)   # never raises for SMTP or network errors
        if result.outcome is Outcome.AUTH:
            record_auth_failure(account, result.message)
            break
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum

from django.conf import settings

from mailaccounts import destinations
from mailaccounts.destinations import RefusedDestination
from mailaccounts.oauth import access_token, xoauth2_string


class Outcome(StrEnum):
    SENT = "sent"
    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    THROTTLED = "throttled"
    AUTH = "auth"
    CONNECTION = "connection"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    code: int | None
    message: str  # one sentence a person can act on
    detail: str  # the full server reply or exception, for operators

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SENT

    @property
    def drops_connection(self) -> bool:
        """The session is unusable after this result: the next send reconnects."""
        return self.outcome in (Outcome.CONNECTION, Outcome.AUTH) or self.code == 421


SENT = SendResult(Outcome.SENT, 250, "Sent.", "")

# Replies that say "slow down" rather than "this message is wrong": rate limits, quotas,
# too many connections or recipients. Enhanced status 4.7.x is policy (mostly rate) in
# practice; 5.4.5 is Google's and Microsoft's "daily sending quota exceeded".
_THROTTLE_TEXT = re.compile(
    r"too many|rate.?limit|throttl|slow down|quota|limit exceeded|exceeded.*limit"
    r"|\b4\.7\.\d+|\b5\.4\.5\b",
    re.IGNORECASE,
)
_AUTH_CODES = {530, 534, 535, 538}


def _text(reply) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)


def _reply(code: int, text: str) -> str:
    return f"{code} {' '.join(text.split())}".strip()


def classify_reply(code: int, text: str, stage: str = "rcpt") -> SendResult:
    """Classify one SMTP reply (``stage``: "mail", "rcpt", "data", "auth" or "connect").

    The mapping, first match wins:

    - 530, 534, 535, 538 (authentication required / rejected) -> AUTH, on any stage.
    - 421 (the server closes the session) -> THROTTLED: back off the whole account.
    - 4xx whose text speaks of rates, quotas or "too many", or has an enhanced status
      4.7.x (e.g. "451 4.7.1 rate limited", "452 4.5.3 Too many recipients") -> THROTTLED.
    - 5xx with 5.4.5 or a quota text ("550 5.4.5 Daily sending quota exceeded") -> THROTTLED:
      the account is out of quota, the recipient is fine.
    - other 4xx (450, 451, 452 mailbox full, 454 …) and greylisting -> TEMPORARY: try this
      recipient later.
    - other 5xx on MAIL/RCPT/DATA -> PERMANENT: this message will never be accepted.
    - on the "auth" stage any other 5xx -> AUTH; any 4xx -> TEMPORARY (454 "try later").
    """
    reply = _reply(code, text)
    if code in _AUTH_CODES or (stage == "auth" and code >= 500):
        return SendResult(
            Outcome.AUTH,
            code,
            f"The server did not accept the login: {reply}. Check the user name and password and re-connect.",
            reply,
        )
    # Greylisting (often "451 4.7.1") is about this sender/recipient pair, not the account's pace.
    throttled = bool(_THROTTLE_TEXT.search(text)) and "greylist" not in text.lower()
    if code == 421 or (400 <= code < 500 and throttled):
        return SendResult(
            Outcome.THROTTLED, code, f"The server asked to slow down, sending later: {reply}", reply
        )
    if 400 <= code < 500:
        return SendResult(Outcome.TEMPORARY, code, f"The server asked to try again later: {reply}", reply)
    if code >= 500 and throttled and ("5.4.5" in text or "quota" in text.lower()):
        return SendResult(
            Outcome.THROTTLED, code, f"The account's sending quota is used up, sending later: {reply}", reply
        )
    if code >= 500:
        what = {"mail": "the sender address", "data": "the message", "connect": "the connection"}.get(
            stage, "the recipient"
        )
        return SendResult(Outcome.PERMANENT, code, f"The server refused {what}: {reply}", reply)
    return SendResult(Outcome.TEMPORARY, code, f"Unexpected server reply: {reply}", reply)


def network_error_message(exc: BaseException) -> str:
    """A sentence a person can act on for a socket, TLS or timeout failure (SMTP or IMAP)."""
    if isinstance(exc, RefusedDestination):
        return str(exc)
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, OSError):
        exc = exc.__context__  # smtplib hides a timeout or reset behind "unexpectedly closed"
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or "verification failed"
        return (
            f"The server's certificate is not trusted ({reason}). If the server uses a self-signed "
            "certificate, tick 'allow a certificate not signed by a CA'."
        )
    if isinstance(exc, ssl.SSLError):
        return (
            "The secure connection failed: the port may not speak SSL/TLS. "
            "Check the security setting (SSL/TLS, STARTTLS or none) and the port."
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return (
            "The server did not answer in time. Check the host and port, and whether the port expects "
            "SSL/TLS."
        )
    if isinstance(exc, socket.gaierror):
        return "The host name could not be found. Check the server name."
    if isinstance(exc, ConnectionRefusedError):
        return "The server refused the connection. Check the host and port."
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionResetError | EOFError):
        return "The server closed the connection unexpectedly."
    if isinstance(exc, OSError) and exc.errno in (101, 113):  # network / host unreachable
        return "The host is unreachable from here. Check the server name and the network."
    return f"Could not talk to the server: {exc}"


def classify(exc: BaseException) -> SendResult:
    """The outcome of a failed SMTP step. Pure: looks only at the exception."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # Every recipient refused; the first one's reply stands for the message.
        refused = exc.recipients or {}
        if refused:
            address, (code, text) = next(iter(refused.items()))
            result = classify_reply(code, _text(text), "rcpt")
            details = "; ".join(f"{a}: {_reply(c, _text(t))}" for a, (c, t) in refused.items())
            return SendResult(result.outcome, code, result.message, details)
        return SendResult(Outcome.PERMANENT, None, "The server refused every recipient.", detail)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        result = classify_reply(exc.smtp_code, _text(exc.smtp_error), "auth")
        return SendResult(result.outcome, result.code, result.message, result.detail)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return classify_reply(exc.smtp_code, _text(exc.smtp_error), "mail")
    if isinstance(exc, smtplib.SMTPDataError):
        return classify_reply(exc.smtp_code, _text(exc.smtp_error), "data")
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        code, text = exc.smtp_code, _text(exc.smtp_error)
        if code == 421 or (400 <= code < 500 and _THROTTLE_TEXT.search(text)):
            return classify_reply(code, text, "connect")
        # The greeting is the remote's text (whatever listens on that port): operators read it
        # in the detail, people get our sentence.
        return SendResult(
            Outcome.CONNECTION,
            code if code > 0 else None,
            "The server did not answer as an SMTP server should. Check the host, port and security.",
            f"{detail} ({_reply(code, text)})",
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return classify_reply(exc.smtp_code, _text(exc.smtp_error), "rcpt")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        text = str(exc)
        if "SMTPUTF8" in text:
            return SendResult(
                Outcome.PERMANENT,
                None,
                "The server cannot take addresses with non-ASCII characters (no SMTPUTF8).",
                detail,
            )
        if "AUTH" in text:
            return SendResult(
                Outcome.AUTH,
                None,
                "The server does not offer a login on this connection: choose STARTTLS or SSL/TLS, "
                "or clear the password to send without login.",
                detail,
            )
        if "STARTTLS" in text:
            return SendResult(
                Outcome.CONNECTION,
                None,
                "The server does not offer STARTTLS on this port. Check the security setting and the port.",
                detail,
            )
        return SendResult(
            Outcome.PERMANENT, None, f"The server does not support this message: {text}", detail
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError | EOFError):
        return SendResult(Outcome.CONNECTION, None, network_error_message(exc), detail)
    if isinstance(exc, smtplib.SMTPException):
        return SendResult(Outcome.TEMPORARY, None, f"The mail server failed: {exc}", detail)
    return SendResult(Outcome.CONNECTION, None, f"Could not send: {exc}", detail)


def tls_context(account) -> ssl.SSLContext:
    """Certificate and host name checked unless the account allows an untrusted certificate.

    MAIL_CA_FILE (settings) adds a private CA, e.g. a company's own mail server's.
    """
    context = ssl.create_default_context()
    ca_file = settings.MAIL_CA_FILE
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if account.allow_untrusted_cert:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class AccountMailer:
    """Sends messages through one account over ONE SMTP connection, opened on the first send."""

    # A connection idle longer than this is checked with NOOP before reuse: servers close idle
    # sessions, and a message must not be lost to a connection that died while we waited.
    IDLE_CHECK_SECONDS = 20

    def __init__(self, account, timeout: float = 30, public_only: bool = False):
        self.account = account
        self.timeout = timeout
        # Connect only to a public address, the one checked (mailaccounts/destinations.py).
        self.public_only = public_only
        self.connection: smtplib.SMTP | None = None
        self.connections_opened = 0
        self._last_used = 0.0

    def __enter__(self) -> AccountMailer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def open(self) -> SendResult | None:
        """Connect and log in if not connected yet; a failure comes back as a SendResult."""
        if self.connection is not None:
            return None
        if not self.account.smtp_host:
            return SendResult(Outcome.CONNECTION, None, "No SMTP server is set for this account.", "")
        try:
            self.connection = self._connect()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a result
            return classify(exc) if _is_mail_error(exc) else _unexpected(exc)
        self.connections_opened += 1
        return None

    def _connect(self) -> smtplib.SMTP:
        account = self.account
        host, port = account.smtp_host, account.smtp_port
        plain, secure = (
            (_PublicSMTP, _PublicSMTP_SSL) if self.public_only else (smtplib.SMTP, smtplib.SMTP_SSL)
        )
        if account.smtp_security == "ssl":
            connection = secure(host, port, timeout=self.timeout, context=tls_context(account))
        else:
            connection = plain(host, port, timeout=self.timeout)
        try:
            connection.ehlo()
            if account.smtp_security == "starttls":
                connection.starttls(context=tls_context(account))
                connection.ehlo()
            self._login(connection)
        except BaseException:
            _quietly_close(connection)
            raise
        return connection

    def _login(self, connection: smtplib.SMTP) -> None:
        account = self.account
        if account.auth_method != "password":
            token = access_token(account)  # raises SMTPAuthenticationError when it cannot refresh
            sasl = xoauth2_string(account.login, token)
            # On failure a server may send a 334 challenge with a JSON error; answer it empty.
            connection.auth("XOAUTH2", lambda challenge=None: sasl if challenge is None else "")
        elif account.password:
            connection.login(account.login, account.password)
        # An empty password: no AUTH at all, as through an internal relay.

    def send(
        self,
        message: EmailMessage,
        from_addr: str | None = None,
        to_addrs: list[str] | str | None = None,
    ) -> SendResult:
        self._drop_if_stale()
        failure = self.open()
        if failure is not None:
            return failure
        self._last_used = time.monotonic()
        try:
            refused = self.connection.send_message(
                message, from_addr=from_addr or self.account.email, to_addrs=to_addrs
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a result
            result = classify(exc) if _is_mail_error(exc) else _unexpected(exc)
            if result.drops_connection:
                self._drop()
            return result
        if refused:
            # Some recipients were accepted, so the message went out; keep who was refused.
            detail = "; ".join(f"{a}: {_reply(c, _text(t))}" for a, (c, t) in refused.items())
            return SendResult(Outcome.SENT, 250, "Sent, but some recipients were refused.", detail)
        return SENT

    def _drop_if_stale(self) -> None:
        if self.connection is None or time.monotonic() - self._last_used < self.IDLE_CHECK_SECONDS:
            return
        try:
            alive = self.connection.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            alive = False
        if not alive:
            self._drop()

    def _drop(self) -> None:
        if self.connection is not None:
            _quietly_close(self.connection, polite=False)
            self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            _quietly_close(self.connection)
            self.connection = None


class _PublicSMTP(smtplib.SMTP):
    """Connects only to the public address its host resolved to (TLS still checks the name)."""

    def _get_socket(self, host, port, timeout):
        return destinations.connect(host, port, timeout)


class _PublicSMTP_SSL(smtplib.SMTP_SSL, _PublicSMTP):  # noqa: N801 - smtplib's own naming
    pass  # SMTP_SSL wraps the socket _PublicSMTP opened


def _is_mail_error(exc: BaseException) -> bool:
    return isinstance(exc, smtplib.SMTPException | OSError | EOFError)


def _unexpected(exc: BaseException) -> SendResult:
    if isinstance(exc, UnicodeError | ValueError):
        # e.g. a non-ASCII address the server cannot take (no SMTPUTF8): this message only.
        return SendResult(Outcome.PERMANENT, None, f"The message could not be sent: {exc}", repr(exc))
    raise exc


def _quietly_close(connection: smtplib.SMTP, polite: bool = True) -> None:
    try:
        if polite:
            connection.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        connection.close()
