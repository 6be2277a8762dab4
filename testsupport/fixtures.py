"""pytest plugin: ``pytest_plugins = ["testsupport.fixtures"]`` in the root conftest.

Session-scoped fixtures are per process, so each xdist worker gets its own
Dovecot and browser. Nothing here imports Django.
"""

from __future__ import annotations

import os
import shutil

import pytest

from .certs import TlsCert, make_cert
from .smtp import SmtpSink


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory) -> TlsCert:
    """A self-signed certificate for localhost / 127.0.0.1."""
    return make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trust_tls_cert(tls_cert, monkeypatch) -> TlsCert:
    """Make ``ssl.create_default_context()`` (Django's SMTP backend, imaplib)
    trust ``tls_cert`` for this test, through SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_cert.cert_path))
    return tls_cert


@pytest.fixture
def smtp_sink_factory(tls_cert):
    """Call with SmtpSink's keyword arguments; returns a started sink."""
    sinks: list[SmtpSink] = []

    def start(**options) -> SmtpSink:
        options.setdefault("cert", tls_cert)
        sink = SmtpSink(**options).start()
        sinks.append(sink)
        return sink

    yield start
    for sink in sinks:
        sink.stop()


@pytest.fixture
def smtp_sink(smtp_sink_factory) -> SmtpSink:
    """A started plain SMTP sink without AUTH."""
    return smtp_sink_factory()


@pytest.fixture(scope="session")
def dovecot(tls_cert):
    """A private Dovecot (IMAP on 127.0.0.1, plain text, STARTTLS and IMAPS)."""
    from .dovecot import Dovecot, DovecotUnavailable

    try:
        server = Dovecot(cert=tls_cert)
    except DovecotUnavailable as error:
        pytest.fail(f"{error} (see scripts/services.sh)", pytrace=False)
    with server:
        yield server


@pytest.fixture
def imap_user(dovecot):
    """A fresh Dovecot user (``.name``, ``.password``) with an empty mailbox."""
    return dovecot.new_user()


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (Debian's /usr/bin/chromium) via Playwright's sync API."""
    # Playwright's sync API runs an event loop in this thread; without this,
    # Django (live_server, ORM in tests) refuses to run here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from .browser import CHROMIUM, chromium

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing (run scripts/services.sh as root)", pytrace=False)
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser):
    """A page in a fresh browser context, closed after the test."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
