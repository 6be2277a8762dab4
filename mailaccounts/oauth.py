"""OAuth2 for Google and Microsoft mailboxes: authorization code flow, refresh, XOAUTH2.

Client ids, secrets and endpoint URLs come from settings (GOOGLE_OAUTH_*, MICROSOFT_OAUTH_*),
so tests point them at a token endpoint on loopback. The `state` parameter is signed with
SECRET_KEY and names the account and the user, so a callback cannot be replayed for
another account or by another user. Tokens are stored encrypted (EncryptedTextField).
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from mailaccounts.models import EmailAccount
from mailaccounts.presets import fill_empty

log = logging.getLogger(__name__)

STATE_SALT = "mailaccounts.oauth.state"
STATE_MAX_AGE = 15 * 60
EXPIRY_MARGIN = timedelta(seconds=60)  # refresh a little early: a send takes time
TOKEN_TIMEOUT = 15
# Token endpoint errors that mean "this grant is dead, authorize again" (RFC 6749, 5.2).
DEAD_GRANT_ERRORS = {"invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope"}


class OAuthError(smtplib.SMTPAuthenticationError):
    """No usable access token: a person has to authorize the account again.

    An SMTPAuthenticationError, so AccountMailer classifies it as AUTH."""

    def __init__(self, message):
        super().__init__(535, message.encode())
        self.message = message

    def __str__(self):
        return self.message


class TokenEndpointUnreachable(ConnectionError):
    """The provider's token endpoint did not answer: try later (a CONNECTION outcome)."""


@dataclass(frozen=True)
class Provider:
    key: str  # "google" or "microsoft"
    label: str
    auth_method: str  # EmailAccount.AuthMethod value
    preset: str  # presets key
    client_id: str
    client_secret: str
    auth_url: str
    token_url: str
    scope: str
    extra: tuple[tuple[str, str], ...] = ()


def providers() -> dict[str, Provider]:
    tenant = settings.MICROSOFT_OAUTH_TENANT
    microsoft = f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
    return {
        "google": Provider(
            "google",
            "Google",
            "oauth_google",
            "gmail",
            settings.GOOGLE_OAUTH_CLIENT_ID,
            settings.GOOGLE_OAUTH_CLIENT_SECRET,
            settings.GOOGLE_OAUTH_AUTH_URL or "https://accounts.google.com/o/oauth2/v2/auth",
            settings.GOOGLE_OAUTH_TOKEN_URL or "https://oauth2.googleapis.com/token",
            "https://mail.google.com/",
            # offline + consent: Google sends a refresh token only then
            (("access_type", "offline"), ("prompt", "consent")),
        ),
        "microsoft": Provider(
            "microsoft",
            "Microsoft",
            "oauth_microsoft",
            "outlook",
            settings.MICROSOFT_OAUTH_CLIENT_ID,
            settings.MICROSOFT_OAUTH_CLIENT_SECRET,
            settings.MICROSOFT_OAUTH_AUTH_URL or f"{microsoft}/authorize",
            settings.MICROSOFT_OAUTH_TOKEN_URL or f"{microsoft}/token",
            "offline_access https://outlook.office.com/SMTP.Send https://outlook.office.com/IMAP.AccessAsUser.All",
        ),
    }


def configured_providers() -> list[Provider]:
    return [p for p in providers().values() if p.client_id]


def provider_for(account) -> Provider:
    for provider in providers().values():
        if provider.auth_method == account.auth_method:
            return provider
    raise OAuthError("The account does not use OAuth2.")


def _configured(key: str) -> Provider:
    provider = providers().get(key)
    if provider is None:
        raise OAuthError(f"Unknown OAuth2 provider {key!r}.")
    if not provider.client_id:
        # What to set is for operators (the log); the person who pressed the button is told whom to ask.
        name = key.upper()
        log.warning(
            "OAuth2 with %s is not set up: set %s_OAUTH_CLIENT_ID and %s_OAUTH_CLIENT_SECRET in the environment.",
            provider.label,
            name,
            name,
        )
        raise OAuthError(f"Sign-in with {provider.label} is not set up; ask your administrator.")
    return provider


# --- the authorization code flow ---------------------------------------------------------------


def callback_url() -> str:
    """The one redirect URI registered with the providers: on the /crm/ site, under SITE_URL
    (the public address, right behind a proxy too). Superusers use it as well."""
    from django.urls import reverse

    return settings.SITE_URL + reverse("crm:mailaccounts_emailaccount_oauth_callback")


def authorization_url(account, provider_key: str, redirect_uri: str, user) -> str:
    """Where to send the user's browser to grant the CRM access to the mailbox."""
    provider = _configured(provider_key)
    state = signing.dumps({"a": account.pk, "p": provider.key, "u": user.pk}, salt=STATE_SALT)
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scope,
        "state": state,
        "login_hint": account.email,
        **dict(provider.extra),
    }
    return f"{provider.auth_url}?{urllib.parse.urlencode(query)}"


def complete_authorization(params, redirect_uri: str, user):
    """The callback: check the state, exchange the code for tokens, store them. Returns the account."""
    try:
        state = signing.loads(params.get("state", ""), salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature as error:
        raise OAuthError(
            "The authorization answer is invalid or expired: start the connection again."
        ) from error
    if state.get("u") != user.pk:
        raise OAuthError("This authorization was started by another user.")
    account = EmailAccount.objects.editable_by(user).filter(pk=state.get("a")).first()
    if account is None:
        raise OAuthError("The account of this authorization no longer exists or is not yours.")
    provider = _configured(state.get("p", ""))
    if params.get("error"):
        reason = params.get("error_description") or params["error"]
        raise OAuthError(f"{provider.label} did not grant access: {reason}")
    if not params.get("code"):
        raise OAuthError(f"{provider.label} sent no authorization code: start the connection again.")
    tokens = token_request(
        provider,
        {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": redirect_uri},
    )
    if not tokens.get("refresh_token"):
        raise OAuthError(
            f"{provider.label} sent no refresh token: remove the CRM's access and connect again."
        )
    account.auth_method = provider.auth_method
    if account.provider == EmailAccount.Provider.CUSTOM:
        account.provider = provider.preset
    for name, value in fill_empty(
        {"smtp_host": account.smtp_host, "imap_host": account.imap_host}, provider.preset
    ).items():
        setattr(account, name, value)
    _store(account, tokens)
    account.save()
    return account


# --- tokens --------------------------------------------------------------------------------


def token_request(provider: Provider, fields: dict) -> dict:
    """POST to the token endpoint; the JSON answer, OAuthError for a dead grant."""
    body = urllib.parse.urlencode(
        {**fields, "client_id": provider.client_id, "client_secret": provider.client_secret}
    ).encode()
    request = urllib.request.Request(
        provider.token_url,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TOKEN_TIMEOUT) as response:  # noqa: S310 - URL from settings
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read() or b"{}")
        except ValueError:
            answer = {}
        code = answer.get("error", "")
        if code in DEAD_GRANT_ERRORS:
            reason = answer.get("error_description") or code
            raise OAuthError(
                f"{provider.label} no longer accepts the account's authorization ({reason}): connect it again."
            ) from error
        raise TokenEndpointUnreachable(
            f"{provider.label}'s token endpoint answered {error.code} {code}".strip()
        ) from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise TokenEndpointUnreachable(
            f"{provider.label}'s token endpoint is unreachable: {error}"
        ) from error


def _store(account, tokens: dict) -> None:
    if not isinstance(tokens, dict) or not tokens.get("access_token"):
        raise TokenEndpointUnreachable("The token endpoint answered without an access token.")
    account.oauth_access_token = tokens["access_token"]
    if tokens.get("refresh_token"):  # Google keeps the old one and sends none on refresh
        account.oauth_refresh_token = tokens["refresh_token"]
    account.oauth_expires_at = timezone.now() + timedelta(seconds=int(tokens.get("expires_in", 3600)))


def xoauth2_string(user: str, access_token: str) -> str:
    """The SASL XOAUTH2 initial response (before base64), for SMTP and IMAP."""
    return f"user={user}\x01auth=Bearer {access_token}\x01\x01"


def access_token(account) -> str:
    """A valid access token, refreshed (and stored) when it is about to expire."""
    if not account.oauth_refresh_token and not account.oauth_access_token:
        raise OAuthError("The account is not authorized yet: connect it with Google or Microsoft.")
    if account.oauth_expires_at and account.oauth_expires_at - EXPIRY_MARGIN > timezone.now():
        return account.oauth_access_token
    if not account.oauth_refresh_token:
        raise OAuthError("The account's authorization has expired: connect it again.")
    provider = provider_for(account)
    with transaction.atomic():
        # Workers of one account refresh one at a time; the second one finds a fresh token.
        row = EmailAccount.objects.select_for_update().get(pk=account.pk)
        if row.oauth_expires_at and row.oauth_expires_at - EXPIRY_MARGIN > timezone.now():
            fresh = row
        else:
            tokens = token_request(
                provider, {"grant_type": "refresh_token", "refresh_token": row.oauth_refresh_token}
            )
            _store(row, tokens)
            row.save(update_fields=["oauth_access_token", "oauth_refresh_token", "oauth_expires_at"])
            fresh = row
    account.oauth_access_token = fresh.oauth_access_token
    account.oauth_refresh_token = fresh.oauth_refresh_token
    account.oauth_expires_at = fresh.oauth_expires_at
    return account.oauth_access_token


def imap_login(client, account) -> None:
    """AUTHENTICATE XOAUTH2 on an imaplib connection (used by imap_sync.login)."""
    import imaplib

    try:
        token = access_token(account)
    except OAuthError as error:
        raise imaplib.IMAP4.error(error.message) from error
    sasl = xoauth2_string(account.login, token).encode()
    # A failing server sends a challenge with a JSON error; answering it empty ends the exchange.
    answers = iter([sasl])
    client.authenticate("XOAUTH2", lambda _challenge: next(answers, b""))
