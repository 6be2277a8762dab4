"""An in-process SMTP server (aiosmtpd) that records what it receives.

    with SmtpSink(security="starttls", cert=make_cert(), username="u", password="p") as sink:
        sink.fail("450 4.2.1 Try later", on="rcpt", rcpt="busy@example.com", times=1)
        ...send...
        sink.wait_for(3)

Failure rules are checked in the order they were added; the first match wins.
A rule's ``reply`` is an SMTP reply line or ``DROP`` (close the connection
without replying). A ``421`` reply closes the connection after it is sent,
as a real server does.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email
import email.policy
import shutil
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword

from ._net import free_port
from .certs import TlsCert, make_cert

DROP = "drop"
SECURITIES = ("none", "starttls", "ssl")
STAGES = ("connect", "mail", "rcpt", "data")

# hook(stage, address, envelope) -> reply line, DROP, or None to go on normally.
# ``address`` is the MAIL FROM / RCPT TO address, None for "connect" and "data".
FailureHook = Callable[[str, "str | None", Envelope], "str | None"]


@dataclass
class Rule:
    reply: str
    on: str = "rcpt"
    rcpt: str | None = None  # only for this recipient (any case); None: every one
    times: int | None = None  # how many more times it applies; None: always

    def matches(self, stage: str, address: str | None, envelope: Envelope) -> bool:
        if self.on != stage or self.times == 0:
            return False
        if self.rcpt is None:
            return True
        wanted = self.rcpt.lower()
        if stage == "rcpt":
            return (address or "").lower() == wanted
        return any(r.lower() == wanted for r in envelope.rcpt_tos)


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage = field(repr=False)
    login: str | None  # the AUTH user of the session, if any
    connection: int  # 1-based number of the connection that delivered it

    @property
    def subject(self) -> str | None:
        return self.message["Subject"]


class SmtpSink:
    def __init__(
        self,
        *,
        security: str = "none",
        cert: TlsCert | None = None,
        username: str | None = None,
        password: str | None = None,
        xoauth2_token: str | None = None,
        auth_required: bool = False,
        hook: FailureHook | None = None,
        host: str = "127.0.0.1",
    ):
        """``username``/``password`` enable AUTH LOGIN and PLAIN; ``xoauth2_token``
        enables AUTH XOAUTH2 (for ``username`` if given, else for any user)."""
        if security not in SECURITIES:
            raise ValueError(f"security must be one of {SECURITIES}, not {security!r}")
        if (username is None) != (password is None) and xoauth2_token is None:
            raise ValueError("give both username and password")
        self.security = security
        self.host = host
        self.port: int | None = None
        self.username = username
        self.password = password
        self.xoauth2_token = xoauth2_token
        self.auth_required = auth_required
        self.hook = hook
        self._cert = cert
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._rules: list[Rule] = []
        self._connections = 0
        self._starting = False
        self._controller: Controller | None = None
        self._own_cert_dir: Path | None = None

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> SmtpSink:
        if self._controller is not None:
            return self
        if self.security != "none" and self._cert is None:
            self._cert = make_cert()
            self._own_cert_dir = self._cert.cert_path.parent
        smtp_kwargs: dict = {"server_hostname": "localhost"}
        auth_kinds = []
        if self.password is not None:
            auth_kinds += ["LOGIN", "PLAIN"]
        if self.xoauth2_token is not None:
            auth_kinds.append("XOAUTH2")
        if auth_kinds:
            smtp_kwargs["authenticator"] = self._check_password
            smtp_kwargs["auth_require_tls"] = self.security == "starttls"
            smtp_kwargs["auth_exclude_mechanism"] = [
                m for m in ("LOGIN", "PLAIN", "XOAUTH2") if m not in auth_kinds
            ]
        if self.security == "starttls":
            smtp_kwargs["tls_context"] = self._cert.server_context()
            smtp_kwargs["require_starttls"] = True
        if self.security == "ssl":
            smtp_kwargs["ssl_context"] = self._cert.server_context()

        last_error: Exception | None = None
        for _ in range(5):  # another process may grab the free port in between
            port = free_port(self.host)
            controller = _SinkController(self, _Handler(self), hostname=self.host, port=port, **smtp_kwargs)
            self._starting = True  # Controller.start() opens one connection itself
            try:
                controller.start()
            except OSError as error:
                last_error = error
                continue
            finally:
                self._starting = False
            self._controller, self.port = controller, port
            return self
        raise RuntimeError(f"SmtpSink could not start: {last_error}")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._own_cert_dir is not None:
            shutil.rmtree(self._own_cert_dir, ignore_errors=True)
            self._own_cert_dir = self._cert = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- what was received ----------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def connections(self) -> int:
        """Connections opened by clients since start (or the last clear())."""
        with self._lock:
            return self._connections

    @property
    def cert(self) -> TlsCert | None:
        return self._cert

    def client_context(self) -> ssl.SSLContext:
        """An SSL context for smtplib that trusts this sink's certificate."""
        if self._cert is None:
            raise RuntimeError("this sink has no certificate (security='none')")
        return self._cert.client_context()

    def clear(self) -> None:
        """Forget received messages and the connection count (failure rules stay)."""
        with self._lock:
            self._messages.clear()
            self._connections = 0

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Wait until at least ``count`` messages arrived; return all of them."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages
            if len(messages) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if len(messages) < count:
            raise AssertionError(f"expected {count} messages within {timeout}s, got {len(messages)}")
        return messages

    # --- programmed failures -----------------------------------------------------------

    def fail(
        self, reply: str, *, on: str = "rcpt", rcpt: str | None = None, times: int | None = None
    ) -> Rule:
        """Answer ``reply`` (or DROP the connection) at stage ``on``:
        "connect" (greeting), "mail", "rcpt" or "data" (after the message body)."""
        if on not in STAGES:
            raise ValueError(f"on must be one of {STAGES}, not {on!r}")
        rule = Rule(reply=reply, on=on, rcpt=rcpt, times=times)
        with self._lock:
            self._rules.append(rule)
        return rule

    def drop_during_data(self, *, rcpt: str | None = None, times: int | None = None) -> Rule:
        """Close the connection after the message body, without a reply."""
        return self.fail(DROP, on="data", rcpt=rcpt, times=times)

    def clear_failures(self) -> None:
        with self._lock:
            self._rules.clear()
        self.hook = None

    # --- called from the server thread ------------------------------------------------

    def _reply_for(self, stage: str, address: str | None, envelope: Envelope) -> str | None:
        if self._starting:
            return None
        if self.hook is not None:
            reply = self.hook(stage, address, envelope)
            if reply:
                return reply
        with self._lock:
            for rule in self._rules:
                if rule.matches(stage, address, envelope):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule.reply
        return None

    def _connection_opened(self) -> int:
        with self._lock:
            if not self._starting:
                self._connections += 1
            return self._connections

    def _record(self, envelope: Envelope, login: str | None, connection: int) -> None:
        raw = envelope.original_content or b""
        # parsed from LF line ends, so get_content() gives text as it was written
        message = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        received = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            raw=raw,
            message=message,
            login=login,
            connection=connection,
        )
        with self._lock:
            self._messages.append(received)

    def _check_password(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if mechanism in ("LOGIN", "PLAIN") and isinstance(auth_data, LoginPassword):
            ok = (
                self.password is not None
                and auth_data.login.decode() == self.username
                and auth_data.password.decode() == self.password
            )
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
        return AuthResult(success=False, handled=False)

    def _check_xoauth2(self, blob: bytes) -> str | None:
        """The user of a valid XOAUTH2 SASL string, or None."""
        try:
            text = blob.decode()
        except UnicodeDecodeError:
            return None
        parts = text.split("\x01")
        if len(parts) != 4 or parts[2:] != ["", ""]:
            return None
        user_part, auth_part = parts[0], parts[1]
        if not user_part.startswith("user=") or not auth_part.startswith("auth=Bearer "):
            return None
        user = user_part.removeprefix("user=")
        token = auth_part.removeprefix("auth=Bearer ")
        if token != self.xoauth2_token or (self.username is not None and user != self.username):
            return None
        return user


class _SinkSMTP(SMTP):
    def __init__(self, sink: SmtpSink, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sink = sink
        self.connection_number = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._original_transport is None:  # not the restart after STARTTLS
            self.connection_number = self.sink._connection_opened()
        super().connection_made(transport)

    async def _handle_client(self) -> None:
        reply = self.sink._reply_for("connect", None, self.envelope)
        if reply:
            if reply != DROP:
                await self.push(reply)
            self.transport.close()
            return
        await super()._handle_client()


class _SinkController(Controller):
    def __init__(self, sink: SmtpSink, handler, **kwargs):
        self.sink = sink
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        return _SinkSMTP(self.sink, self.handler, **self.SMTP_kwargs)


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    def _apply(self, server: _SinkSMTP, reply: str | None):
        if not reply:
            return MISSING
        if reply == DROP:
            server.transport.close()
            return "421 dropped"  # never reaches the client: the transport is closed
        if reply.startswith("421"):
            server.loop.call_soon(server.transport.close)
        return reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # Checked here rather than with aiosmtpd's auth_required, which warns
        # whenever AUTH is allowed without TLS.
        if self.sink.auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        return self._apply(server, self.sink._reply_for("mail", address, envelope))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return self._apply(server, self.sink._reply_for("rcpt", address, envelope))

    async def handle_DATA(self, server, session, envelope):
        status = self._apply(server, self.sink._reply_for("data", None, envelope))
        if status is not MISSING:
            return status
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        self.sink._record(envelope, login, server.connection_number)
        return "250 2.0.0 OK"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        if len(args) == 1:
            blob = await server.challenge_auth("", encode_to_b64=False)
            if blob is MISSING:
                return AuthResult(success=False, handled=True)
        else:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except (binascii.Error, ValueError):
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        user = self.sink._check_xoauth2(blob)
        if user is None:
            return AuthResult(
                success=False, handled=False, message="535 5.7.8 Authentication credentials invalid"
            )
        return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))
