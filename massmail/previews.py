"""What a message looks like for one record, a test send to oneself, and which accounts can send.

Used by the /crm/ pages; nothing here is on the drip engine's path.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.template import TemplateSyntaxError

from mailaccounts.accounts import local_today
from mailaccounts.models import AccountGrant, EmailAccount
from mailaccounts.smtp import AccountMailer, Outcome
from massmail.compiling import compile_message
from massmail.mailings import recipient_types
from massmail.models import MailingRecipient, RecipientType

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


def find_record(user, recipient_type, search="", record_id=None):
    """The record of this type the user sees with this id, else the first that matches a name
    or address."""
    model = {kind: model for model, kind in recipient_types().items()}[recipient_type]
    records = model.objects.visible_to(user)
    if recipient_type == RecipientType.CONTACTS:
        records = records.select_related("company")
    if record_id is not None:
        return records.filter(pk=record_id).first()
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


def preview(message, user, recipient_type, search="", record_id=None):
    record = find_record(user, recipient_type, search, record_id)
    result = Preview(record=record)
    try:
        subject, html, text = compile_message(message).render_parts(recipient_for(record, recipient_type))
    except TemplateSyntaxError as exc:
        result.error = f"The message has a template error: {exc}"
        return result
    result.subject, result.html, result.text = subject, html, text
    return result


@dataclass(frozen=True)
class SendTestResult:
    ok: bool
    sentence: str
    record: object = None  # the record the test was filled for (None: not got that far)


def send_test(message, user, recipient_type=RecipientType.CONTACTS, search="", record_id=None):
    """Send the message, filled for a record (as `find_record` picks it), to the user's own
    address."""
    if not user.email:
        return SendTestResult(False, "Your user has no email address to send the test to.")
    account = EmailAccount.objects.default_for(user)
    if account is None:
        return SendTestResult(
            False,
            "You have no usable email account to send from: connect one (or ask for one to be "
            "shared with you), or reconnect a disabled one.",
        )
    record = find_record(user, recipient_type, search, record_id)
    try:
        email = compile_message(message).render(
            recipient_for(record, recipient_type, email=user.email), account
        )
    except TemplateSyntaxError as exc:
        return SendTestResult(False, f"The message has a template error: {exc}", record)
    except ValueError as exc:  # RenderError, UnsafeAddress: an address that cannot be used
        return SendTestResult(False, f"The test could not be built: {exc}", record)
    email.replace_header("Subject", f"[Test] {email['Subject']}")
    with AccountMailer(account) as mailer:
        result = mailer.send(email)
    if result.outcome is Outcome.SENT:
        return SendTestResult(True, f"A test was sent to {user.email} through {account.email}.", record)
    return SendTestResult(
        False, f"The test could not be sent through {account.email}: {result.message}", record
    )


# --- which accounts can send -------------------------------------------------------------


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
    today = local_today()
    accounts = EmailAccount.objects.sendable_by(list(owner_ids)).filter(massmail=True).order_by("email")
    grants = AccountGrant.objects.sending().filter(user_id__in=owner_ids).values_list("account_id", "user_id")
    granted = {}
    for account_id, user_id in grants:
        granted.setdefault(account_id, set()).add(user_id)
    found = {owner_id: [] for owner_id in owner_ids}
    for account in accounts:
        state = account_state(account, today)
        for owner_id in {account.owner_id, *granted.get(account.pk, ())} & set(owner_ids):
            found[owner_id].append(state)
    return found
