"""SSRF: "Save and test connection" reaches only public addresses for a sales manager.

A loopback listener stands in for an internal service (it greets like NATS, with a secret in
its banner) and records every connection: for a sales manager it gets none, whatever the
host is spelled as; a superuser may reach it, and the banner is never shown on the page.
"""

import socket
import threading

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from mailaccounts.destinations import RefusedDestination, public_address, refused_kind
from mailaccounts.models import EmailAccount
from mailaccounts.tests.test_accounts_page import form_data

BANNER = b'INFO {"server_id":"NATS-SECRET-42","auth_required":false}\r\n'


class Listener:
    """A TCP service on loopback that greets with BANNER and counts who connected."""

    def __init__(self, host):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(5)
                try:
                    conn.sendall(BANNER)
                    conn.recv(1024)
                except OSError:
                    pass

    def close(self):
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the serving thread
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def private_hosts_refused(settings):
    settings.MAIL_ALLOW_PRIVATE_HOSTS = False


@pytest.fixture
def listener():
    server = Listener("127.0.0.1")
    yield server
    server.close()


@pytest.fixture
def listener_v6():
    server = Listener("::1")
    yield server
    server.close()


def account_for(owner, host, port):
    return EmailAccount.objects.create(
        owner=owner,
        email="alice@crm.test",
        smtp_host=host,
        smtp_port=port,
        smtp_security="none",
        imap_host=host,
        imap_port=port,
        imap_security="none",
        password="secret",
    )


def save_and_test(account, **changes):
    """The account form as posted with "Save and test connection"."""
    return form_data(account, _test_connection="Save and test connection", **changes)


def page_messages(response):
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("[::1]", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("localhost", "loopback"),
    ],
)
def test_a_sales_manager_cannot_point_the_form_at_a_private_address(
    client, alice, listener, private_hosts_refused, host, kind
):
    account = account_for(alice, "smtp.example.com", 587)
    client.force_login(alice)
    url = reverse("crm:mailaccounts_emailaccount_change", args=[account.pk])

    response = client.post(url, save_and_test(account, smtp_host=host, smtp_port=listener.port))

    assert response.status_code == 200  # the form again, with the reason
    errors = response.context["adminform"].form.errors["smtp_host"]
    assert f"resolves to a {kind} address" in errors[0] and "ask an administrator" in errors[0]
    account.refresh_from_db()
    assert account.smtp_host == "smtp.example.com"
    assert listener.connections == 0


def test_the_connection_test_refuses_a_private_server_already_on_the_account(
    client, alice, listener, private_hosts_refused
):
    account = account_for(alice, "127.0.0.1", listener.port)  # e.g. set before this check existed
    client.force_login(alice)
    url = reverse("crm:mailaccounts_emailaccount_change", args=[account.pk])

    response = client.post(url, save_and_test(account), follow=True)

    text = page_messages(response)
    assert "SMTP: 127.0.0.1 resolves to a loopback address" in text
    assert "IMAP: 127.0.0.1 resolves to a loopback address" in text
    assert "NATS-SECRET" not in response.content.decode() and "NATS-SECRET" not in text
    assert listener.connections == 0


def test_an_ipv6_loopback_server_is_refused_too(client, alice, listener_v6, private_hosts_refused):
    account = account_for(alice, "::1", listener_v6.port)
    client.force_login(alice)
    url = reverse("crm:mailaccounts_emailaccount_change", args=[account.pk])
    response = client.post(url, save_and_test(account), follow=True)
    assert "::1 resolves to a loopback address" in page_messages(response)
    assert listener_v6.connections == 0


def test_a_superuser_may_test_a_loopback_server_and_never_sees_its_banner(
    client, root, listener, private_hosts_refused
):
    account = account_for(root, "127.0.0.1", listener.port)
    client.force_login(root)
    url = reverse("admin:mailaccounts_emailaccount_change", args=[account.pk])
    data = save_and_test(
        account,
        email=account.email,
        owner=str(root.pk),
        daily_limit="100",
        is_active="on",
        assignment="manual",
    )
    data |= {"grants-TOTAL_FORMS": "0", "grants-INITIAL_FORMS": "0"}

    response = client.post(url, data, follow=True)

    text = page_messages(response)
    assert listener.connections >= 1
    assert "SMTP: The server did not answer as an SMTP server should." in text
    assert "IMAP: Cannot connect to 127.0.0.1" in text
    assert "NATS-SECRET" not in text and "NATS-SECRET" not in response.content.decode()


def test_the_operator_setting_lets_a_sales_manager_reach_loopback(client, alice, listener, settings):
    settings.MAIL_ALLOW_PRIVATE_HOSTS = True
    account = account_for(alice, "127.0.0.1", listener.port)
    client.force_login(alice)
    url = reverse("crm:mailaccounts_emailaccount_change", args=[account.pk])
    client.post(url, save_and_test(account), follow=True)
    assert listener.connections >= 1


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("192.168.1.20", "private"),
        ("172.16.0.1", "private"),
        ("fd00::1", "private"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        ("::ffff:10.0.0.1", "private"),
        ("93.184.215.14", ""),
        ("2606:4700::1111", ""),
    ],
)
def test_address_kinds(address, kind):
    assert refused_kind(address) == kind


def test_every_address_a_name_resolves_to_is_checked():
    with pytest.raises(RefusedDestination):
        public_address("localhost", 25)
