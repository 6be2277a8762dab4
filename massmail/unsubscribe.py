"""Unsubscribing without a login: an opaque per-recipient token, and what unsubscribing does.

The token carries the recipient row id and the address it was sent to, encrypted (AES-SIV,
an authenticated cipher) under a key derived from SECRET_KEY: nothing in it can be read, and
a changed token decrypts to nothing. It is made when the message is rendered, so creating a
mailing stays one INSERT … SELECT with no token column to fill, and it still works once the
mailing is deleted (the address is inside). SIV is deterministic: one recipient row always
gets the same link, and no nonce is needed. It never expires (an old newsletter must still
work); keys of SECRET_KEY_FALLBACKS still open it after SECRET_KEY is rotated.

Tokens of the earlier format (`django.core.signing`, readable base64 JSON) are still accepted,
so links in mail already sent keep working; they are no longer made.

Unsubscribing suppresses the address (so no mailing of any record type reaches it again),
turns `massmail` off on every Company, Contact and Lead with that address, and skips the
address's pending rows in running mailings.
"""

import base64
import binascii
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse

from crm.models import Company, Contact, Lead
from massmail.models import Mailing, MailingRecipient, Suppression, normalize_email

SALT = "massmail.unsubscribe"
SKIP_REASON = "unsubscribed"
ID_BYTES = 8


@lru_cache(maxsize=8)
def _cipher(secret_key: str) -> AESSIV:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=SALT.encode())
    return AESSIV(hkdf.derive(secret_key.encode()))


def make_token(recipient) -> str:
    plain = recipient.pk.to_bytes(ID_BYTES, "big") + recipient.email.encode()
    return base64.urlsafe_b64encode(_cipher(settings.SECRET_KEY).encrypt(plain, None)).decode().rstrip("=")


@dataclass(frozen=True)
class TokenData:
    recipient_id: int
    email: str


def read_token(token: str) -> TokenData | None:
    """The recipient id and address in a token, or None when it was not made by us."""
    if ":" in token:  # the earlier, signed format
        return _read_signed_token(token)
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    for key in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        try:
            plain = _cipher(key).decrypt(sealed, None)
        except (InvalidTag, ValueError):
            continue
        address = plain[ID_BYTES:].decode(errors="replace")
        return TokenData(int.from_bytes(plain[:ID_BYTES], "big"), address) if address else None
    return None


def _read_signed_token(token: str) -> TokenData | None:
    try:
        recipient_id, address = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(recipient_id, int) or not isinstance(address, str) or not address:
        return None
    return TokenData(recipient_id, address)


def unsubscribe_url(recipient) -> str:
    return settings.SITE_URL + reverse("massmail:unsubscribe", args=[make_token(recipient)])


def record_models():
    return (Company, Contact, Lead)


@transaction.atomic
def unsubscribe(address: str, detail: str = "") -> Suppression:
    """Never mail this address again, whichever record (or records) it belongs to."""
    address = normalize_email(address)
    suppression = Suppression.suppress(address, Suppression.Reason.UNSUBSCRIBED, detail)
    for model in record_models():
        model.objects.filter(email__iexact=address, massmail=True).update(massmail=False)
    pending = MailingRecipient.objects.filter(email__iexact=address, status=MailingRecipient.Status.PENDING)
    per_mailing = dict(pending.values_list("mailing_id").annotate(n=Count("id")).order_by())
    pending.update(status=MailingRecipient.Status.SKIPPED, skip_reason=SKIP_REASON)
    for mailing_id, count in per_mailing.items():
        Mailing.objects.filter(pk=mailing_id).update(skipped_count=F("skipped_count") + count)
    return suppression


def unsubscribe_token(data: TokenData, how: str) -> Suppression:
    return unsubscribe(data.email, detail=f"{how}, mailing recipient #{data.recipient_id}")
