"""XOAUTH2 over IMAP. The test Dovecot has no OAuth2 passdb, so a small loopback IMAP server
speaks the few commands the connection test sends and checks the SASL string."""

import base64
import datetime
import socketserver
import threading

import pytest
from django.utils import timezone

from mailaccounts.connection_test import check_imap
from mailaccounts.models import EmailAccount

USER, TOKEN = "alice@gmail.example", "ya29.imap"


class XOAuth2Imap(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.send("* OK IMAP4rev1 test server ready")
        authenticated = False
        while line := self.rfile.readline().decode().strip():
            tag, command, *rest = line.split(" ", 2)
            command = command.upper()
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 AUTH=XOAUTH2")
                self.send(f"{tag} OK CAPABILITY done")
            elif command == "AUTHENTICATE" and rest == ["XOAUTH2"]:
                self.send("+ ")
                blob = base64.b64decode(self.rfile.readline().strip()).decode()
                if blob == f"user={USER}\x01auth=Bearer {TOKEN}\x01\x01":
                    authenticated = True
                    self.send(f"{tag} OK Authenticated")
                else:  # as Gmail does: a JSON error as a challenge, then NO
                    self.send("+ " + base64.b64encode(b'{"status":"400"}').decode())
                    self.rfile.readline()
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
            elif command == "LIST" and authenticated:
                self.send('* LIST (\\HasNoChildren) "/" INBOX')
                self.send('* LIST (\\HasNoChildren \\Sent) "/" "[Gmail]/Sent Mail"')
                self.send('* LIST (\\HasNoChildren \\Trash) "/" "[Gmail]/Trash"')
                self.send(f"{tag} OK LIST done")
            elif command == "LOGOUT":
                self.send("* BYE")
                self.send(f"{tag} OK LOGOUT done")
                return
            else:
                self.send(f"{tag} BAD unexpected")


@pytest.fixture
def imap_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), XOAuth2Imap)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def oauth_account(owner, server, token):
    return EmailAccount.objects.create(
        owner=owner,
        email=USER,
        auth_method="oauth_google",
        imap_host="127.0.0.1",
        imap_port=server.server_address[1],
        imap_security="none",
        oauth_access_token=token,
        oauth_refresh_token="1//r",
        oauth_expires_at=timezone.now() + datetime.timedelta(hours=1),
    )


def test_xoauth2_login_lists_folders(alice, imap_server):
    check, folders = check_imap(oauth_account(alice, imap_server, TOKEN), timeout=5)
    assert check.ok, check.message
    assert {f["name"]: f["special_use"] for f in folders} == {
        "INBOX": "",
        "[Gmail]/Sent Mail": r"\Sent",
        "[Gmail]/Trash": r"\Trash",
    }


def test_a_refused_token_is_an_authentication_failure(alice, imap_server):
    check, folders = check_imap(oauth_account(alice, imap_server, "stale"), timeout=5)
    assert not check.ok and check.auth_failed and folders == []
    assert check.message.startswith("The IMAP server did not accept the OAuth2 authorization: connect")
