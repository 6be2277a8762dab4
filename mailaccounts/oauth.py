"""OAuth2 for Google and Microsoft mailboxes (authorization code flow, refresh, XOAUTH2)."""

import smtplib


class OAuthError(smtplib.SMTPAuthenticationError):
    """No usable access token: the user has to authorize the account again."""

    def __init__(self, message):
        super().__init__(535, message.encode())
        self.message = message


def access_token(account):
    """A valid access token for the account."""
    if not account.oauth_access_token:
        raise OAuthError("The account is not authorized yet: connect it with Google or Microsoft.")
    return account.oauth_access_token
