import imaplib
import re

import pytest

from testsupport.dovecot import SPECIAL_USE

MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Stored\r\n\r\nHello IMAP\r\n"


def test_login_right_and_wrong_password(dovecot, imap_user):
    client = dovecot.connect(imap_user.name, imap_user.password)
    assert client.state == "AUTH"
    client.logout()

    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        dovecot.connect(imap_user.name, "wrong")


def test_user_added_while_running_and_removed(dovecot):
    dovecot.add_user("late-comer", "pw-1")
    dovecot.connect("late-comer", "pw-1").logout()
    dovecot.add_user("late-comer", "pw-2")
    dovecot.connect("late-comer", "pw-2").logout()
    dovecot.remove_user("late-comer")
    with pytest.raises(imaplib.IMAP4.error):
        dovecot.connect("late-comer", "pw-2")


def test_append_then_fetch(dovecot, imap_user):
    uid = dovecot.append(imap_user.name, imap_user.password, "INBOX", MESSAGE, flags=r"(\Seen)")
    assert uid == 1

    client = dovecot.connect(imap_user.name, imap_user.password)
    typ, data = client.select("INBOX", readonly=True)
    assert (typ, data) == ("OK", [b"1"])
    typ, data = client.uid("FETCH", "1", "(FLAGS RFC822)")
    assert typ == "OK"
    assert rb"\Seen" in data[0][0]
    assert data[0][1] == MESSAGE
    client.logout()


def test_special_use_folders_are_listed(dovecot, imap_user):
    client = dovecot.connect(imap_user.name, imap_user.password)
    typ, lines = client.list()
    client.logout()
    assert typ == "OK"
    folders = {}
    for line in lines:
        flags, name = re.match(rb'\((.*?)\) "/" (.+)', line).groups()
        folders[name.decode().strip('"')] = flags.decode()
    assert set(folders) == {"INBOX", *SPECIAL_USE}
    for name, flag in SPECIAL_USE.items():
        assert flag in folders[name]


def test_create_folder_and_append(dovecot, imap_user):
    dovecot.create_folder(imap_user.name, imap_user.password, "Projects/2025 Q1")
    assert dovecot.append(imap_user.name, imap_user.password, "Projects/2025 Q1", MESSAGE) == 1

    client = dovecot.connect(imap_user.name, imap_user.password)
    typ, lines = client.list('""', "Projects/*")
    client.logout()
    assert any(b'"Projects/2025 Q1"' in line for line in lines)


def test_change_uidvalidity(dovecot, imap_user):
    dovecot.append(imap_user.name, imap_user.password, "INBOX", MESSAGE)
    before = dovecot.uidvalidity(imap_user.name, imap_user.password, "INBOX")

    after = dovecot.change_uidvalidity(imap_user.name, "INBOX")

    assert after != before
    assert dovecot.uidvalidity(imap_user.name, imap_user.password, "INBOX") == after
    assert dovecot.change_uidvalidity(imap_user.name, "INBOX", new=12345) == 12345
    assert dovecot.uidvalidity(imap_user.name, imap_user.password, "INBOX") == 12345


def test_starttls_and_imaps(dovecot, imap_user):
    client = dovecot.connect()
    assert "STARTTLS" in client.capabilities
    client.starttls(ssl_context=dovecot.client_context())
    client.login(imap_user.name, imap_user.password)
    client.logout()

    client = dovecot.connect_ssl()
    client.login(imap_user.name, imap_user.password)
    assert client.select("INBOX")[0] == "OK"
    client.logout()
