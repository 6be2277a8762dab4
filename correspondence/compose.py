"""Composing and sending one-to-one mail from the CRM.

Every message is a `CrmEmail` row before it goes out: a draft (saved and reopened), then
optionally scheduled, then claimed (`sending`) by one conditional UPDATE, sent through the
account's `AccountMailer`, and marked `sent`. A failure puts it back to `draft` with a
message a person can act on, so nothing typed is lost.
"""

import mimetypes
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.html import escape, linebreaks

from correspondence.models import CrmEmail, CrmEmailAttachment, Notification, TrackingEvent
from correspondence.reports import human_events
from correspondence.tracking import instrument_html
from crm.files import display_name
from crm.models import Company, Contact, Deal, Lead, Request
from crm.tickets import subject_with_ticket
from mailaccounts.accounts import count_sent, record_auth_failure
from mailaccounts.models import EmailAccount
from mailaccounts.smtp import AccountMailer
from mailaccounts.smtp import Outcome as SmtpOutcome
from mailkit.headers import address_header, one_line
from mailkit.rendering import html_to_text, make_message_id, render_for_record
from mailkit.sanitizing import sanitize_html

RECORD_MODELS = {"request": Request, "deal": Deal, "contact": Contact, "company": Company, "lead": Lead}
# A claim older than this is a dead worker's, not a slow server's.
STALE_CLAIM_MINUTES = 15


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


# --- records ---------------------------------------------------------------------------------


def find_record(user, kind, pk):
    """The record a page is about, if the user may see it; else 404."""
    model = RECORD_MODELS.get(kind)
    if model is None:
        raise Http404("Unknown kind of record.")
    record = model.objects.visible_to(user).filter(pk=pk).first()
    if record is None:
        raise Http404("No such record, or not yours to see.")
    return record


def record_kind(record):
    return type(record)._meta.model_name


def links_for(record):
    """The CrmEmail foreign keys that tie a message to a record and the records around it."""
    if record is None:
        return {}
    kind = record_kind(record)
    links = {kind: record}
    if kind in ("request", "deal"):
        for name in ("contact", "company", "lead"):
            if getattr(record, name) is not None:
                links[name] = getattr(record, name)
        if kind == "deal" and record.request_id:
            links["request"] = record.request
    elif kind == "contact":
        links["company"] = record.company
    return links


def address_of(record):
    """The address to write to about a record: its own, or its contact's, lead's, company's."""
    if record is None:
        return ""
    if getattr(record, "email", ""):
        return record.email
    for name in ("contact", "lead", "company"):
        linked = getattr(record, name, None)
        if linked is not None and linked.email:
            return linked.email
    return ""


def subject_for(record):
    if isinstance(record, Request):
        return record.subject
    if isinstance(record, Deal):
        return record.name
    return ""


def ticket_of(email):
    """The ticket a message carries: its Request's or its Deal's."""
    if email.request_id:
        return email.request.ticket
    if email.deal_id:
        return email.deal.ticket
    return ""


# --- addresses ---------------------------------------------------------------------------------


def parse_addresses(text):
    """Addresses from a To/Cc/Bcc field ("a@x, B <b@y>; c@z"); ValidationError names a bad one."""
    pairs = getaddresses([(text or "").replace(";", ",")])
    addresses = []
    for name, address in pairs:
        if not address and not name:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(f"“{address or name}” is not an email address.") from None
        addresses.append(address)
    return addresses


# --- drafts ------------------------------------------------------------------------------------


def new_draft(user, record=None, **fields):
    email = CrmEmail(
        direction=CrmEmail.Direction.OUTGOING, status=CrmEmail.Status.DRAFT, owner=user, **links_for(record)
    )
    for name, value in fields.items():
        setattr(email, name, value)
    return email


def save_draft(email, data, files=(), remove_attachments=()):
    """Store the compose form's cleaned data on the draft, add new attachments, drop unticked ones."""
    for name in (
        "account",
        "subject",
        "template",
        "signature",
        "track_opens",
        "track_clicks",
        "read_receipt",
    ):
        if name in data:
            setattr(email, name, data[name])
    email.recipients = ", ".join(data.get("to", []))
    email.cc = ", ".join(data.get("cc", []))
    email.bcc = ", ".join(data.get("bcc", []))
    email.html = sanitize_html(data.get("body", ""))
    email.text = html_to_text(email.html)
    email.sender = email.account.email if email.account else ""
    if email.status not in (CrmEmail.Status.DRAFT, CrmEmail.Status.SCHEDULED):
        raise ValueError("only a draft can be edited")
    email.status = CrmEmail.Status.DRAFT
    email.scheduled_at = None
    email.save()
    if remove_attachments:
        email.attachments.filter(pk__in=remove_attachments).delete()
    for upload in files:
        CrmEmailAttachment.objects.create(
            email=email,
            filename=display_name(upload.name),
            content_type=upload.content_type or "application/octet-stream",
            size=upload.size,
            file=upload,
        )
    return email


def text_to_html(text):
    return linebreaks(escape(text))


def reply_draft(user, original, forward=False):
    """A new draft answering (or forwarding) a stored message, in the same conversation."""
    subject = original.subject or ""
    prefix = "Fwd: " if forward else "Re: "
    if not subject.lower().startswith(prefix.lower().strip()):
        subject = prefix + subject
    quoted = (
        f"<p></p><p>On {original.date:%Y-%m-%d %H:%M}, {escape(original.sender)} wrote:</p>"
        if original.date
        else "<p></p>"
    ) + f"<blockquote>{original.html or text_to_html(original.text)}</blockquote>"
    email = new_draft(user, subject=subject, html=quoted, text=html_to_text(quoted))
    for name in ("request", "deal", "contact", "company", "lead"):
        setattr(email, f"{name}_id", getattr(original, f"{name}_id"))
    if original.account_id and EmailAccount.objects.sendable_by(user).filter(pk=original.account_id).exists():
        email.account = original.account
    if not forward:
        email.recipients = (
            original.sender if original.direction == CrmEmail.Direction.INCOMING else original.recipients
        )
        email.in_reply_to = original.message_id
        email.references = " ".join(filter(None, [original.references, original.message_id])).strip()
        email.thread_key = original.thread_key
    else:
        email.attachments_to_copy = list(original.attachments.exclude(file=""))
    email.save()
    for attachment in getattr(email, "attachments_to_copy", []):
        CrmEmailAttachment.objects.create(
            email=email,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=attachment.size,
            file=attachment.file.name,
        )
    return email


# --- building the message ------------------------------------------------------------------------


def render_body(email):
    """Subject and HTML, the signature appended, with `{{ variables }}` filled for the record.

    Body and signature are one template, rendered (and then sanitized) once, as a mailing's.
    """
    record = email.contact or email.lead or email.company
    html = email.html
    if email.signature_id:
        html = f'{html}<br><div class="signature">-- <br>{email.signature.body}</div>'
    return render_for_record(email.subject, html, record=record, user=email.owner)


def build_message(email, html=None, subject=None):
    """The EmailMessage of a claimed CrmEmail (headers, alternatives, attachments)."""
    account = email.account
    message = EmailMessage()
    message["From"] = address_header(account.display_name, account.email)
    message["To"] = email.recipients
    if email.cc:
        message["Cc"] = email.cc
    if account.reply_to:
        message["Reply-To"] = address_header("", account.reply_to)
    message["Subject"] = one_line(subject if subject is not None else email.subject)
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = email.message_id
    if email.in_reply_to:
        message["In-Reply-To"] = email.in_reply_to
    if email.references:
        message["References"] = email.references
    if email.read_receipt:
        message["Disposition-Notification-To"] = account.email
    html = html if html is not None else email.html
    message.set_content(html_to_text(html) or " ")
    message.add_alternative(f"<!DOCTYPE html><html><body>{html}</body></html>", subtype="html")
    for attachment in email.attachments.exclude(file=""):
        maintype, _, subtype = (
            attachment.content_type
            or mimetypes.guess_type(attachment.filename)[0]
            or "application/octet-stream"
        ).partition("/")
        with attachment.file.open("rb") as handle:
            message.add_attachment(
                handle.read(),
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=attachment.filename,
            )
    return message


def instrumented(email, html):
    """The HTML with tracking when both the account and the message want it."""
    if not email.account.track_opens_clicks or not (email.track_opens or email.track_clicks):
        return html
    return instrument_html(html, crm_email=email, opens=email.track_opens, clicks=email.track_clicks)


# --- sending ------------------------------------------------------------------------------------


def check_ready(email, user):
    """What stops this draft from being sent by `user`, as one sentence, or ""."""
    if email.account_id is None:
        return "Choose the account to send from."
    # Nobody (a row without an owner) may send through anyone's account.
    if user is None or not EmailAccount.objects.sendable_by(user).filter(pk=email.account_id).exists():
        return "You may not send from this account."
    if not email.account.is_active:
        return f"The account {email.account.email} is disabled: {email.account.last_error or 'reconnect it first'}."
    if not (email.recipients or email.cc or email.bcc).strip():
        return "Add at least one recipient."
    return ""


def _thread_key_when_sent(email):
    """A draft that named no conversation (its own `#id`) now has one: its Message-ID."""
    return email.message_id if email.thread_key in ("", email.own_key) else email.thread_key


def claim(email_id, from_statuses):
    """Take a draft or scheduled message for sending; False when someone else did."""
    return bool(
        CrmEmail.objects.filter(pk=email_id, status__in=from_statuses).update(
            status=CrmEmail.Status.SENDING, claimed_at=timezone.now()
        )
    )


def send_email(email, user, from_statuses=(CrmEmail.Status.DRAFT,)):
    """Send one draft (or a due scheduled message) now. Returns an Outcome for the page."""
    problem = check_ready(email, user)
    if problem:
        return _fail(email, problem, "")
    if not claim(email.pk, from_statuses):
        return Outcome(False, "This message is already being sent or was sent.")
    email.refresh_from_db()
    if not email.message_id:
        # Set before sending: a reply or a bounce can come back before we record the result.
        email.message_id = make_message_id()
        CrmEmail.objects.filter(pk=email.pk).update(
            message_id=email.message_id, thread_key=_thread_key_when_sent(email)
        )
    ticket = ticket_of(email)
    try:
        subject, html = render_body(email)
    except (ValueError, LookupError, TypeError) as error:  # a bad variable is the author's to fix
        return _fail(email, f"The template could not be filled in: {error}", repr(error))
    if ticket:
        subject = subject_with_ticket(subject, ticket)
    tracked_html = instrumented(email, html)
    try:
        message = build_message(email, html=tracked_html, subject=subject)
    except OSError as error:  # an attachment's file is gone from storage
        return _fail(email, "An attachment could not be read; remove it and attach it again.", repr(error))
    except ValueError as error:  # a header that cannot be written safely (UnsafeAddress, a line break)
        return _fail(email, f"The message could not be built: {error}", repr(error))
    to_addrs = [a for field in (email.recipients, email.cc, email.bcc) for a in parse_addresses(field)]
    with AccountMailer(email.account) as mailer:
        result = mailer.send(message, from_addr=email.account.email, to_addrs=to_addrs)
    if result.outcome is SmtpOutcome.AUTH:
        record_auth_failure(email.account, result.message)
    if not result.ok:
        return _fail(email, result.message, result.detail)
    now = timezone.now()
    count_sent(email.account_id, now)
    CrmEmail.objects.filter(pk=email.pk).update(
        status=CrmEmail.Status.SENT,
        subject=subject[:998],
        html=html,
        text=html_to_text(html),
        date=now,
        is_read=True,
        last_error="",
        error_detail="",
    )
    email.refresh_from_db()
    return Outcome(True, f"Sent to {', '.join(to_addrs)}.")


def _fail(email, message, detail):
    """Keep the message as a draft with a clear reason; its author is told."""
    CrmEmail.objects.filter(pk=email.pk).update(
        status=CrmEmail.Status.DRAFT, last_error=message[:500], error_detail=detail, claimed_at=None
    )
    email.refresh_from_db()
    if email.owner_id and email.scheduled_at:  # scheduled: its author is not watching
        Notification.objects.create(
            user_id=email.owner_id,
            kind=Notification.Kind.SEND_FAILED,
            email=email,
            text=f"Not sent: “{email.subject or '(no subject)'}”: {message}"[:500],
        )
    return Outcome(False, f"Not sent: {message} The draft is kept.")


def schedule_email(email, when, user):
    """Schedule a draft to go out at `when`."""
    problem = check_ready(email, user)
    if problem:
        return Outcome(False, f"Not scheduled: {problem}")
    if when <= timezone.now():
        return Outcome(False, "Not scheduled: pick a time in the future.")
    updated = CrmEmail.objects.filter(pk=email.pk, status=CrmEmail.Status.DRAFT).update(
        status=CrmEmail.Status.SCHEDULED, scheduled_at=when, last_error=""
    )
    email.refresh_from_db()
    if not updated:
        return Outcome(False, "Only a draft can be scheduled.")
    return Outcome(True, f"Scheduled for {timezone.localtime(when):%Y-%m-%d %H:%M %Z}.")


def send_scheduled_emails(now=None, limit=200):
    """Send every scheduled message whose time has come; returns how many went out.

    Also gives back messages left `sending` by a dead worker as drafts with a warning:
    resending on our own could send twice.
    """
    now = now or timezone.now()
    stale = now - timedelta(minutes=STALE_CLAIM_MINUTES)
    CrmEmail.objects.filter(status=CrmEmail.Status.SENDING, claimed_at__lt=stale).update(
        status=CrmEmail.Status.DRAFT,
        last_error="Sending was interrupted; check the recipient got it before sending again.",
    )
    sent = 0
    due = CrmEmail.objects.filter(status=CrmEmail.Status.SCHEDULED, scheduled_at__lte=now).order_by(
        "scheduled_at"
    )
    for email in due.select_related("account")[:limit]:
        # The owner may have lost access to the account since scheduling.
        outcome = send_email(email, user=email.owner, from_statuses=(CrmEmail.Status.SCHEDULED,))
        sent += outcome.ok
    return sent


def scheduled_for(user):
    return CrmEmail.objects.filter(owner=user, status=CrmEmail.Status.SCHEDULED)


def drafts_of(user):
    return CrmEmail.objects.filter(owner=user, status__in=[CrmEmail.Status.DRAFT, CrmEmail.Status.SCHEDULED])


def timeline(record, user):
    """The mail about a record that this user may see, newest first."""
    kind = record_kind(record)
    return (
        CrmEmail.objects.visible_to(user)
        .filter(Q(**{kind: record}))
        .exclude(status__in=[CrmEmail.Status.DRAFT])
        .select_related("account")
        .annotate(opens=human_events(TrackingEvent.Kind.OPEN), clicks=human_events(TrackingEvent.Kind.CLICK))
        .order_by("-date", "-id")
    )


@transaction.atomic
def delete_draft(email):
    return CrmEmail.objects.filter(pk=email.pk, status=CrmEmail.Status.DRAFT).delete()[0] > 0


def apply_action(email, data, files, action, user, remove_attachments=()):
    """Save the compose form on the draft, then do what the pressed button asks."""
    save_draft(email, data, files, remove_attachments)
    if action == "template" and data.get("template"):
        template = data["template"]
        email.subject = template.subject or email.subject
        email.html = template.body
        email.template = template
        email.save(update_fields=["subject", "html", "template"])
        return Outcome(True, f"Template “{template.name}” inserted.")
    if action == "send":
        return send_email(email, user)
    if action == "schedule":
        return schedule_email(email, data["scheduled_at"], user)
    return Outcome(True, "Draft saved.")
