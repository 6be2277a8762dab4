import pytest

from mailaccounts.connection_test import test_connection as run_test
from mailaccounts.models import EmailAccount, ImapFolder
from testsupport._net import free_port


@pytest.fixture
def mailbox(dovecot):
    return dovecot.new_user("conn")


def make_account(owner, dovecot, mailbox, sink, **fields):
    values = {
        "owner": owner,
        "email": "alice@crm.test",
        "smtp_host": sink.host,
        "smtp_port": sink.port,
        "smtp_security": sink.security,
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_security": "none",
        "username": mailbox.name,
        "password": mailbox.password,
    }
    return EmailAccount.objects.create(**(values | fields))


@pytest.fixture
def sink(smtp_sink_factory, mailbox):
    return smtp_sink_factory(username=mailbox.name, password=mailbox.password, auth_required=True)


def test_right_password_lists_folders_and_keeps_them(alice, dovecot, mailbox, sink):
    account = make_account(alice, dovecot, mailbox, sink)
    report = run_test(account)
    assert report.ok, report.summary
    names = {f["name"]: f["special_use"] for f in account.folders}
    assert names["INBOX"] == "" and names["Sent"] == r"\Sent" and names["Trash"] == r"\Trash"
    rows = {f.name: f for f in ImapFolder.objects.filter(account=account)}
    assert rows["INBOX"].is_active and rows["Sent"].is_active
    assert not rows["Trash"].is_active and not rows["Junk"].is_active
    account.refresh_from_db()
    assert account.last_error == "" and len(account.folders) == len(names)


def test_a_second_test_keeps_the_users_folder_choices(alice, dovecot, mailbox, sink):
    account = make_account(alice, dovecot, mailbox, sink)
    run_test(account)
    ImapFolder.objects.filter(account=account, name="Trash").update(is_active=True)
    run_test(account)
    assert ImapFolder.objects.get(account=account, name="Trash").is_active


def test_wrong_password_is_a_sentence_and_the_last_error(alice, dovecot, mailbox, sink):
    account = make_account(alice, dovecot, mailbox, sink, password="wrong")
    report = run_test(account)
    assert not report.ok
    smtp, imap = report.checks
    assert smtp.auth_failed and imap.auth_failed
    assert "did not accept the login" in smtp.message
    assert imap.message.startswith("The IMAP server did not accept the user name or password")
    account.refresh_from_db()
    assert "IMAP: The IMAP server did not accept the user name or password" in account.last_error
    assert ImapFolder.objects.filter(account=account).count() == 0


def test_unreachable_ports(alice, dovecot, mailbox, sink):
    account = make_account(alice, dovecot, mailbox, sink, smtp_port=free_port(), imap_port=free_port())
    smtp, imap = run_test(account, timeout=3).checks
    assert smtp.message == imap.message == "The server refused the connection. Check the host and port."


def test_ssl_setting_on_a_plain_port(alice, dovecot, mailbox, sink):
    account = make_account(alice, dovecot, mailbox, sink, smtp_security="ssl", imap_security="ssl")
    smtp, imap = run_test(account, timeout=3).checks
    for check in (smtp, imap):
        assert not check.ok
        assert "Check the security setting" in check.message or "did not answer in time" in check.message


def test_self_signed_certificate_needs_the_allowance(alice, dovecot, mailbox, smtp_sink_factory):
    sink = smtp_sink_factory(security="starttls", username=mailbox.name, password=mailbox.password)
    account = make_account(alice, dovecot, mailbox, sink, imap_port=dovecot.imaps_port, imap_security="ssl")
    smtp, imap = run_test(account).checks
    assert "certificate is not trusted" in smtp.message
    assert "certificate is not trusted" in imap.message and "allow a certificate" in imap.message

    account.allow_untrusted_cert = True
    assert run_test(account).ok


def test_a_passing_test_reconnects_an_account_that_needed_it(alice, dovecot, mailbox, sink):
    account = make_account(alice, dovecot, mailbox, sink, is_active=False, needs_reconnect=True)
    assert run_test(account).ok
    account.refresh_from_db()
    assert account.is_active and not account.needs_reconnect


def test_smtp_only_account_without_password_uses_no_login(alice, smtp_sink):
    account = EmailAccount.objects.create(
        owner=alice, email="relay@crm.test", smtp_host=smtp_sink.host, smtp_port=smtp_sink.port,
        smtp_security="none",
    )  # fmt: skip
    report = run_test(account)
    assert report.ok and report.checks[0].message.startswith("connected (no login)")


def test_a_server_that_never_answers_times_out_in_words(alice):
    import socket

    from mailaccounts.connection_test import check_imap, check_smtp

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        account = EmailAccount(
            owner=alice, email="a@crm.test", smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
            imap_host="127.0.0.1", imap_port=port, imap_security="none",
        )  # fmt: skip
        smtp, (imap, _) = check_smtp(account, timeout=0.3), check_imap(account, timeout=0.3)
    for check in (smtp, imap):
        assert check.message.startswith("The server did not answer in time."), check.message


def test_an_unknown_host_name_is_named(alice):
    from mailaccounts.connection_test import check_imap

    account = EmailAccount(owner=alice, email="a@crm.test", imap_host="no-such-host.invalid", imap_port=993)
    check, _ = check_imap(account, timeout=2)
    assert check.message == "The host name could not be found. Check the server name."


def test_starttls_on_both_with_a_trusted_private_ca(
    settings, tls_cert, alice, dovecot, mailbox, smtp_sink_factory
):
    settings.MAIL_CA_FILE = str(tls_cert.cert_path)  # MAIL_CA_FILE: a company's own CA
    sink = smtp_sink_factory(security="starttls", username=mailbox.name, password=mailbox.password)
    account = make_account(alice, dovecot, mailbox, sink, imap_security="starttls")
    report = run_test(account)
    assert report.ok, report.summary
