"""Unsubscribing without a login: a signed per-recipient token, and what unsubscribing does.

The token is `django.core.signing` output with a salt of its own, carrying the recipient row
id and the address it was sent to; it never expires (an old newsletter must still work).
Unsubscribing suppresses the address (so no mailing of any record type reaches it again),
turns `massmail` off on every Company, Contact and Lead with that address, and skips the
address's pending rows in running mailings.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse

from crm.models import Company, Contact, Lead
from massmail.models import Mailing, MailingRecipient, Suppression, normalize_email

SALT = "massmail.unsubscribe"
SKIP_REASON = "unsubscribed"


def make_token(recipient) -> str:
    return signing.dumps([recipient.pk, recipient.email], salt=SALT, compress=False)


@dataclass(frozen=True)
class TokenData:
    recipient_id: int
    email: str


def read_token(token: str) -> TokenData | None:
    """The recipient id and address in a token, or None when it was not made by us."""
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
