"""What a message looks like for one record, a test send to oneself, and which accounts can send.

Used by the /crm/ pages; nothing here is on the drip engine's path.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db.models import Q
from django.template import TemplateSyntaxError
from django.utils import timezone

from massmail.models import MailingRecipient, MassmailSettings, RecipientType
from massmail.rendering import compile_message

RECORD_FIELDS = {
    RecipientType.COMPANIES: "company",
    RecipientType.CONTACTS: "contact",
    RecipientType.LEADS: "lead",
}


@dataclass
class Preview:
    record: object = None
    subject: str = ""
    html: str = ""
    text: str = ""
    error: str = ""


def find_record(user, recipient_type, search=""):
    """The first record of this type the user sees that matches a name or address."""
    from massmail.mailings import recipient_types

    model = {kind: model for model, kind in recipient_types().items()}[recipient_type]
    records = model.objects.visible_to(user)
    if recipient_type == RecipientType.CONTACTS:
        records = records.select_related("company")
    search = (search or "").strip()
    if search:
        name = (
            Q(full_name__icontains=search)
            if model.__name__ == "Company"
            else Q(first_name__icontains=search) | Q(last_name__icontains=search)
        )
        records = records.filter(name | Q(email__icontains=search))
    return records.order_by("pk").first()


def recipient_for(record, recipient_type, email=None):
    """An unsaved MailingRecipient for a record: what a preview and a test send render."""
    row = MailingRecipient(email=email if email is not None else (record.email if record else ""))
    if record is not None:
        setattr(row, RECORD_FIELDS[recipient_type], record)
    return row


def preview(message, user, recipient_type, search=""):
    record = find_record(user, recipient_type, search)
    result = Preview(record=record)
    try:
        subject, html, text = compile_message(message).render_parts(recipient_for(record, recipient_type))
    except TemplateSyntaxError as exc:
        result.error = f"The message has a template error: {exc}"
        return result
    result.subject, result.html, result.text = subject, html, text
    return result


def default_account(user):
    """The account a user's own test mail goes through: their default, else any usable one."""
    from mailaccounts.models import EmailAccount

    return (
        EmailAccount.objects.sendable_by(user)
        .filter(is_active=True, needs_reconnect=False)
        .order_by("-is_default", "pk")
        .first()
    )


def send_test(message, user, recipient_type=RecipientType.CONTACTS, search=""):
    """Send the message, filled for a record, to the user's own address. Returns (ok, sentence)."""
    from mailaccounts.smtp import AccountMailer

    if not user.email:
        return False, "Your user has no email address to send the test to."
    account = default_account(user)
    if account is None:
        return False, (
            "You have no usable email account to send from: connect one (or ask for one to be "
            "shared with you), or reconnect a disabled one."
        )
    record = find_record(user, recipient_type, search)
    try:
        email = compile_message(message).render(
            recipient_for(record, recipient_type, email=user.email), account
        )
    except TemplateSyntaxError as exc:
        return False, f"The message has a template error: {exc}"
    except ValueError as exc:  # RenderError, UnsafeAddress: an address that cannot be used
        return False, f"The test could not be built: {exc}"
    email.replace_header("Subject", f"[Test] {email['Subject']}")
    with AccountMailer(account) as mailer:
        result = mailer.send(email)
    if result.outcome == "sent":
        return True, f"A test was sent to {user.email} through {account.email}."
    return False, f"The test could not be sent through {account.email}: {result.message}"


# --- which accounts can send -------------------------------------------------------------


def local_today(cfg=None):
    cfg = cfg or MassmailSettings.load()
    try:
        zone = zoneinfo.ZoneInfo(cfg.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = datetime.UTC
    return timezone.now().astimezone(zone).date(), zone


def start_of_today(cfg=None):
    today, zone = local_today(cfg)
    return datetime.datetime.combine(today, datetime.time(), tzinfo=zone)


@dataclass(frozen=True)
class AccountState:
    email: str
    usable: bool
    why: str


def account_state(account, today):
    if not account.is_active:
        return AccountState(account.email, False, f"{account.email}: disabled. {account.last_error}".strip())
    if account.needs_reconnect:
        return AccountState(account.email, False, f"{account.email}: needs to be reconnected.")
    sent = account.sent_on(today)
    if sent >= account.daily_limit:
        return AccountState(
            account.email, False, f"{account.email}: daily limit of {account.daily_limit} reached."
        )
    main = " Main account: VIP recipients only." if account.is_main else ""
    return AccountState(
        account.email, True, f"{account.email}: usable, {sent} of {account.daily_limit} sent today.{main}"
    )


def mailing_accounts_by_owner(owner_ids):
    """{owner id: [AccountState]} of the mailing accounts each owner may send through: one query."""
    from mailaccounts.models import AccountGrant, EmailAccount

    today, _ = local_today()
    accounts = (
        EmailAccount.objects.filter(massmail=True)
        .filter(
            Q(owner_id__in=owner_ids) | Q(grants__user_id__in=owner_ids, grants__access__in=["full", "send"])
        )
        .distinct()
        .order_by("email")
    )
    grants = AccountGrant.objects.filter(user_id__in=owner_ids, access__in=["full", "send"]).values_list(
        "account_id", "user_id"
    )
    granted = {}
    for account_id, user_id in grants:
        granted.setdefault(account_id, set()).add(user_id)
    found = {owner_id: [] for owner_id in owner_ids}
    for account in accounts:
        state = account_state(account, today)
        for owner_id in {account.owner_id, *granted.get(account.pk, ())} & set(owner_ids):
            found[owner_id].append(state)
    return found
