"""Turning a Message into one email per recipient: templates compiled once, rendered cheaply.

`compile_message(mailing)` parses the subject, the HTML body (with the signature appended),
and a plain-text version derived from the HTML, and reads the attachments, once per mailing.
`CompiledMessage.render(recipient, account)` then fills the variables for one recipient and
builds the `email.message.EmailMessage` without touching the database, provided the
recipient was fetched with

    MailingRecipient.objects.select_related("company", "contact__company", "lead")

(`render` reads `recipient.company`, `recipient.contact`, `recipient.contact.company` and
`recipient.lead`, and only the ids of `recipient.mailing` and of the account).

The template engine, the variables and the MIME building are mailkit's (mailkit/rendering.py).
"""

import email.utils
import mimetypes
from email.message import EmailMessage

from django.conf import settings
from django.template import Context, TemplateSyntaxError
from django.urls import reverse
from django.utils import timezone

from correspondence.tracking import instrument_html
from mailkit.headers import address_header
from mailkit.rendering import (
    POLICY,
    Attachment,
    MimeHeaders,
    RenderError,
    compile_template,
    file_part,
    has_line_break,
    html_to_text,
    make_message_id,
    multipart,
    one_line,
    record_variables,
    set_header,
    site_host,
    text_part,
    user_variables,
)
from mailkit.sanitizing import sanitize_html
from massmail.models import Mailing, MassmailSettings
from massmail.unsubscribe import make_token


def _attachments(message):
    found = []
    for attachment in message.attachments.all() if message.pk else []:
        kind = attachment.content_type or mimetypes.guess_type(attachment.filename)[0] or ""
        maintype, _, subtype = kind.partition("/")
        with attachment.file.open("rb") as handle:
            data = handle.read()
        found.append(
            Attachment(
                data=data,
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=one_line(attachment.filename),
                content_id=one_line(attachment.content_id).strip("<>") if attachment.inline else "",
            )
        )
    return found


def message_html(message):
    """The message's HTML body with its signature appended (still a template)."""
    body = message.body or ""
    if message.signature_id and message.signature.body:
        body = f'{body}\n<div class="signature">-- <br>{message.signature.body}</div>'
    return body


class CompiledMessage:
    """A message ready to render for many recipients: parse once, render per recipient."""

    def __init__(self, message, mailing=None):
        self.message = message
        self.mailing = mailing
        html = message_html(message)
        self.subject = compile_template(message.subject, autoescape=False)
        self.html = compile_template(html)
        # The text part is its own template made from the HTML source, so a recipient costs
        # two template renders and no HTML parsing.
        try:
            self.text = compile_template(html_to_text(html), autoescape=False)
        except TemplateSyntaxError:  # e.g. braces written as entities: convert per recipient instead
            self.text = None
        self.user = user_variables(mailing.owner if mailing is not None else message.owner)
        self.attachments = _attachments(message)
        self.mime = MimeHeaders()
        # reverse() once: a recipient's link is this with its own token in the middle.
        self.unsubscribe_prefix, _, self.unsubscribe_suffix = (
            settings.SITE_URL + reverse("massmail:unsubscribe", args=["TOKEN"])
        ).partition("TOKEN")
        # MIME parts of the files, encoded once and shared by every recipient's message.
        self.inline = [file_part(a) for a in self.attachments if a.content_id]
        self.attached = [file_part(a) for a in self.attachments if not a.content_id]
        self.unsubscribe_mailto = MassmailSettings.load().unsubscribe_mailto
        host = site_host()
        self.list_id = (
            f"<mailing-{mailing.pk}.{host}>" if mailing is not None else f"<message-{message.pk}.{host}>"
        )

    def context(self, recipient):
        variables = record_variables(recipient.record)
        variables["email"] = recipient.email or variables["email"]
        variables["user"] = self.user
        variables["unsubscribe_url"] = (
            self.unsubscribe_url(recipient) if recipient.pk else "#unsubscribe-preview"
        )
        return variables

    def unsubscribe_url(self, recipient):
        return f"{self.unsubscribe_prefix}{make_token(recipient)}{self.unsubscribe_suffix}"

    def _html_part(self, html):
        part = text_part(self.mime, "html", f"<!DOCTYPE html><html><body>{html}</body></html>")
        return multipart(self.mime, "related", [part, *self.inline]) if self.inline else part

    def render_parts(self, recipient):
        """(subject, html, text) for one recipient: what a preview shows."""
        return self._render_parts(self.context(recipient))

    def _render_parts(self, context):
        # Sanitized after the template step: template syntax can rebuild markup (a comment
        # that swallows a quote, a string literal with a tag) the stored body's sanitizing
        # never saw. Tracking, our own, is added after this.
        html = sanitize_html(self.html.render(Context(context)))
        text = self.text.render(Context(context, autoescape=False)) if self.text else html_to_text(html)
        return one_line(self.subject.render(Context(context, autoescape=False))), html, text

    def render(self, recipient, account) -> EmailMessage:
        """The full message for `recipient`, sent through `account`.

        Sets `recipient.message_id` (in memory) when it is empty; the caller stores it.
        Raises RenderError when the recipient's address cannot be used.
        """
        address = (recipient.email or "").strip()
        if not address or has_line_break(address) or "@" not in address:
            raise RenderError(f"Not a usable address: {address!r}")
        context = self.context(recipient)
        subject, html, text = self._render_parts(context)
        if account.track_opens_clicks and recipient.pk:
            # Links are looked up once per mailing and process: no query per recipient.
            html = instrument_html(html, mailing_recipient=recipient)
        if not recipient.message_id:
            recipient.message_id = make_message_id()

        message = EmailMessage(policy=POLICY)
        set_header(message, "Subject", subject)
        set_header(message, "From", address_header(account.display_name, account.email))
        set_header(message, "To", email.utils.formataddr((one_line(_recipient_name(recipient)), address)))
        if account.reply_to:
            set_header(message, "Reply-To", address_header("", account.reply_to))
        set_header(message, "Date", email.utils.format_datetime(timezone.now()))
        set_header(message, "Message-ID", one_line(recipient.message_id))
        set_header(message, "List-Id", self.list_id)
        if recipient.pk:
            links = [f"<{context['unsubscribe_url']}>"]
            if self.unsubscribe_mailto:
                links.append(f"<mailto:{one_line(self.unsubscribe_mailto)}?subject=unsubscribe>")
            set_header(message, "List-Unsubscribe", ", ".join(links))
            set_header(message, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        message.set_raw("MIME-Version", self.mime.version)
        mime = self.mime
        body = multipart(mime, "alternative", [text_part(mime, "plain", text or " "), self._html_part(html)])
        if self.attached:
            return multipart(mime, "mixed", [body, *self.attached], message)
        message.set_raw("Content-Type", body["Content-Type"])
        message.set_payload(body.get_payload())
        return message


def _recipient_name(recipient):
    record = recipient.record
    if record is None:
        return ""
    return record.full_name


def subject_for(mailing, record) -> str:
    """The subject `record` got from `mailing`, as its message renders it (pages that list
    what a record received show this, not the template); the template itself if it no
    longer renders."""
    variables = {**record_variables(record), "user": user_variables(mailing.owner)}
    try:
        subject = compile_template(mailing.message.subject, autoescape=False)
    except TemplateSyntaxError:
        return mailing.message.subject
    return one_line(subject.render(Context(variables, autoescape=False)))


def compile_message(mailing_or_message) -> CompiledMessage:
    """Compile a Mailing's message (or a bare Message, for previews and tests) once."""
    if isinstance(mailing_or_message, Mailing):
        return CompiledMessage(mailing_or_message.message, mailing=mailing_or_message)
    return CompiledMessage(mailing_or_message)
