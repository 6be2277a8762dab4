"""OAuth2 against a token endpoint on loopback and the SMTP sink's XOAUTH2 check."""

import datetime
import json
import threading
import urllib.parse
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import signing
from django.db import connection
from django.utils import timezone

from mailaccounts import oauth
from mailaccounts.models import EmailAccount
from mailaccounts.smtp import AccountMailer, Outcome
from testsupport._net import free_port


class TokenEndpoint:
    """An OAuth2 token endpoint: answers queued (status, json) replies, records the forms."""

    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, dict]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                endpoint.requests.append(form)
                status, body = endpoint.replies.pop(0) if endpoint.replies else (500, {"error": "unexpected"})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reply(self, status=200, **body):
        self.replies.append((status, body))

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def token_endpoint(settings):
    endpoint = TokenEndpoint()
    settings.GOOGLE_OAUTH_CLIENT_ID = "client-123"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "shh"
    settings.GOOGLE_OAUTH_AUTH_URL = "https://accounts.example/auth"
    settings.GOOGLE_OAUTH_TOKEN_URL = endpoint.url
    yield endpoint
    endpoint.stop()


@pytest.fixture
def google_account(alice):
    return EmailAccount.objects.create(
        owner=alice,
        email="alice@gmail.example",
        auth_method="oauth_google",
        oauth_access_token="old-access",
        oauth_refresh_token="refresh-1",
        oauth_expires_at=timezone.now() - datetime.timedelta(minutes=5),
    )


class Request:
    def __init__(self, user):
        self.user = user


def state_from(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_authorization_url_asks_for_mail_access_with_a_signed_state(token_endpoint, google_account, alice):
    url = oauth.authorization_url(google_account, "google", "https://crm.example/cb/", alice)
    assert url.startswith("https://accounts.example/auth?")
    query = state_from(url)
    assert query["client_id"] == "client-123"
    assert query["redirect_uri"] == "https://crm.example/cb/"
    assert query["scope"] == "https://mail.google.com/"
    assert query["access_type"] == "offline" and query["login_hint"] == "alice@gmail.example"
    state = signing.loads(query["state"], salt=oauth.STATE_SALT)
    assert state == {"a": google_account.pk, "p": "google", "u": alice.pk}


def test_unconfigured_provider_tells_the_user_whom_to_ask_and_the_log_what_to_set(
    settings, google_account, alice, caplog
):
    settings.MICROSOFT_OAUTH_CLIENT_ID = ""
    with pytest.raises(oauth.OAuthError) as raised:
        oauth.authorization_url(google_account, "microsoft", "https://crm.example/cb/", alice)
    assert raised.value.message == "Sign-in with Microsoft is not set up; ask your administrator."
    assert "set MICROSOFT_OAUTH_CLIENT_ID and MICROSOFT_OAUTH_CLIENT_SECRET" in caplog.text


def test_callback_exchanges_the_code_and_stores_tokens_encrypted(token_endpoint, alice):
    account = EmailAccount.objects.create(owner=alice, email="alice@gmail.example")
    url = oauth.authorization_url(account, "google", "https://crm.example/cb/", alice)
    token_endpoint.reply(access_token="ya29.new", refresh_token="1//refresh", expires_in=3599)

    oauth.complete_authorization(
        {"code": "auth-code", "state": state_from(url)["state"]}, "https://crm.example/cb/", alice
    )

    [form] = token_endpoint.requests
    assert form == {
        "grant_type": "authorization_code",
        "code": "auth-code",
        "redirect_uri": "https://crm.example/cb/",
        "client_id": "client-123",
        "client_secret": "shh",
    }
    account.refresh_from_db()
    assert account.auth_method == "oauth_google" and account.provider == "gmail"
    assert (account.oauth_access_token, account.oauth_refresh_token) == ("ya29.new", "1//refresh")
    assert account.smtp_host == "smtp.gmail.com" and account.imap_host == "imap.gmail.com"
    assert account.oauth_expires_at > timezone.now() + datetime.timedelta(minutes=59)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT oauth_refresh_token FROM mailaccounts_emailaccount WHERE id = %s", [account.pk]
        )
        assert "1//refresh" not in cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"code": "c", "state": "forged"}, "invalid or expired"),
        ({"error": "access_denied", "error_description": "The user said no"}, "did not grant access"),
    ],
)
def test_callback_failures_are_sentences(token_endpoint, google_account, alice, params, message):
    url = oauth.authorization_url(google_account, "google", "https://crm.example/cb/", alice)
    params = {"state": state_from(url)["state"], **params}
    with pytest.raises(oauth.OAuthError, match=message):
        oauth.complete_authorization(params, "https://crm.example/cb/", alice)


def test_callback_of_another_user_is_refused(token_endpoint, google_account, alice, bob):
    url = oauth.authorization_url(google_account, "google", "https://crm.example/cb/", alice)
    with pytest.raises(oauth.OAuthError, match="another user"):
        oauth.complete_authorization({"code": "c", "state": state_from(url)["state"]}, "x", bob)


def test_an_expired_token_is_refreshed_and_kept(token_endpoint, google_account):
    token_endpoint.reply(access_token="fresh-access", expires_in=3600)  # Google sends no new refresh token
    assert oauth.access_token(google_account) == "fresh-access"
    assert token_endpoint.requests[0]["grant_type"] == "refresh_token"
    assert token_endpoint.requests[0]["refresh_token"] == "refresh-1"
    google_account.refresh_from_db()
    assert (google_account.oauth_access_token, google_account.oauth_refresh_token) == (
        "fresh-access",
        "refresh-1",
    )
    assert oauth.access_token(google_account) == "fresh-access"
    assert len(token_endpoint.requests) == 1  # still valid: no second request


def test_a_dead_grant_is_an_auth_failure_of_the_mailer(token_endpoint, google_account, smtp_sink_factory):
    sink = smtp_sink_factory(xoauth2_token="fresh-access")
    google_account.smtp_host, google_account.smtp_port, google_account.smtp_security = (
        sink.host,
        sink.port,
        "none",
    )
    token_endpoint.reply(400, error="invalid_grant", error_description="Token has been expired or revoked.")
    with AccountMailer(google_account) as mailer:
        result = mailer.send(message())
    assert result.outcome is Outcome.AUTH
    assert "no longer accepts" in result.message and "revoked" in result.message


def test_an_unreachable_token_endpoint_is_a_connection_failure(settings, google_account, smtp_sink):
    settings.GOOGLE_OAUTH_CLIENT_ID = "client-123"
    settings.GOOGLE_OAUTH_TOKEN_URL = "http://127.0.0.1:9/token"  # discard port: refused
    google_account.smtp_host, google_account.smtp_port, google_account.smtp_security = (
        smtp_sink.host, smtp_sink.port, "none",
    )  # fmt: skip
    with AccountMailer(google_account) as mailer:
        assert mailer.send(message()).outcome is Outcome.CONNECTION


def message():
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "alice@gmail.example", "x@example.com", "Hi"
    msg.set_content("Hi")
    return msg


@pytest.mark.parametrize(("token", "outcome"), [("fresh-access", Outcome.SENT), ("other", Outcome.AUTH)])
def test_xoauth2_over_smtp(token_endpoint, google_account, smtp_sink_factory, token, outcome):
    sink = smtp_sink_factory(xoauth2_token=token, username="alice@gmail.example", auth_required=True)
    google_account.smtp_host, google_account.smtp_port, google_account.smtp_security = (
        sink.host,
        sink.port,
        "none",
    )
    token_endpoint.reply(access_token="fresh-access", expires_in=3600)
    with AccountMailer(google_account) as mailer:
        assert mailer.send(message()).outcome is outcome
    if outcome is Outcome.SENT:
        assert sink.wait_for(1)[0].login == "alice@gmail.example"


def test_connect_with_google_from_the_accounts_page(
    client, settings, token_endpoint, alice, smtp_sink_factory
):
    settings.SITE_URL = "https://crm.example"
    sink = smtp_sink_factory(xoauth2_token="ya29.page", username="alice@gmail.example")
    account = EmailAccount.objects.create(
        owner=alice,
        email="alice@gmail.example",
        smtp_host=sink.host,
        smtp_port=sink.port,
        smtp_security="none",
        imap_host="127.0.0.1",
        imap_port=free_port(),
        imap_security="none",
    )
    client.force_login(alice)
    response = client.post(
        f"/crm/mailaccounts/emailaccount/{account.pk}/oauth-start/", {"provider": "google"}
    )
    assert response.status_code == 302
    query = state_from(response["Location"])
    assert query["redirect_uri"] == "https://crm.example/crm/mailaccounts/emailaccount/oauth/callback/"

    token_endpoint.reply(access_token="ya29.page", refresh_token="1//r", expires_in=3600)
    response = client.get(
        "/crm/mailaccounts/emailaccount/oauth/callback/",
        {"code": "c0de", "state": query["state"]},
        follow=True,
    )
    page = response.content.decode()
    assert "Connected alice@gmail.example; testing it now." in page
    assert "SMTP: logged in" in page
    assert "IMAP: The server refused the connection." in page
    account.refresh_from_db()
    assert account.auth_method == "oauth_google" and account.oauth_refresh_token == "1//r"


def test_oauth_start_for_anothers_account_is_a_404(client, token_endpoint, alice, bob):
    bobs = EmailAccount.objects.create(owner=bob, email="bob@gmail.example")
    client.force_login(alice)
    response = client.post(f"/crm/mailaccounts/emailaccount/{bobs.pk}/oauth-start/", {"provider": "google"})
    assert response.status_code == 404


def test_a_failing_token_endpoint_during_the_callback_is_a_message(client, token_endpoint, alice):
    account = EmailAccount.objects.create(owner=alice, email="alice@gmail.example")
    client.force_login(alice)
    url = oauth.authorization_url(account, "google", oauth.callback_url(), alice)
    token_endpoint.reply(503, error="temporarily_unavailable")
    response = client.get(
        "/crm/mailaccounts/emailaccount/oauth/callback/",
        {"code": "c", "state": state_from(url)["state"]},
        follow=True,
    )
    assert response.status_code == 200
    assert (
        "The account was not connected: Google&#x27;s token endpoint answered 503"
        in response.content.decode()
    )
    response = client.get("/crm/mailaccounts/emailaccount/oauth/callback/", follow=True)  # no state at all
    assert "The authorization answer is invalid or expired" in response.content.decode()
