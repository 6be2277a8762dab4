"""Delivery-status reports (RFC 3464 `multipart/report; report-type=delivery-status`).

A bounce names the message it is about by the original's Message-ID (in the returned
`message/rfc822` or `text/rfc822-headers` part). That Message-ID is the one we gave the
mailing recipient, so the recipient row is found directly; when a reporter returns no
headers, the Final-Recipient address and the account that sent it are used instead.
"""

from __future__ import annotations

import email
import logging
import re
from dataclasses import dataclass, field
from email.message import Message

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest

from mailaccounts.mail_parsing import ParsedMessage, decode_header, message_ids, part_text

log = logging.getLogger(__name__)
STATUS_RE = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
SMTP_CODE_RE = re.compile(r"\b([245])\d\d\b")


@dataclass
class RecipientStatus:
    address: str
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # e.g. 5.1.1
    diagnostic: str

    @property
    def permanent(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")


@dataclass
class DeliveryReport:
    original_message_id: str
    recipients: list[RecipientStatus] = field(default_factory=list)

    @property
    def failures(self) -> list[RecipientStatus]:
        return [r for r in self.recipients if r.action == "failed"]


def is_delivery_report(message: Message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and (message.get_param("report-type") or "").lower() == "delivery-status"
    )


def parse_report(message: Message) -> DeliveryReport | None:
    """The report in a DSN, or None when the message is not one."""
    if not is_delivery_report(message):
        return None
    report = DeliveryReport(original_message_id="")
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            report.recipients.extend(_recipient_blocks(part))
        elif content_type == "message/rfc822" and not report.original_message_id:
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                report.original_message_id = _first_id(inner.get("Message-ID"))
        elif content_type == "text/rfc822-headers" and not report.original_message_id:
            headers = email.message_from_string(part_text(part))
            report.original_message_id = _first_id(headers.get("Message-ID"))
    return report


def _first_id(value) -> str:
    ids = message_ids(decode_header(value)) if value else []
    return ids[0] if ids else ""


def _recipient_blocks(part: Message) -> list[RecipientStatus]:
    blocks = part.get_payload()
    if not isinstance(blocks, list):  # an unparsed body: split the field groups ourselves
        text = part_text(part)
        blocks = [email.message_from_string(b) for b in re.split(r"\r?\n\r?\n", text) if b.strip()]
    statuses = []
    for block in blocks:
        recipient = block.get("Final-Recipient") or block.get("Original-Recipient")
        if not recipient:
            continue  # the per-message block (Reporting-MTA, Arrival-Date)
        address = decode_header(recipient).rpartition(";")[2].strip().strip("<>").lower()
        diagnostic = decode_header(block.get("Diagnostic-Code", "")).partition(";")[2].strip()
        status = decode_header(block.get("Status", ""))
        match = STATUS_RE.search(status) or STATUS_RE.search(diagnostic)
        if match:
            status = match.group(0)
        else:
            code = SMTP_CODE_RE.search(diagnostic)
            status = f"{code.group(1)}.0.0" if code else ""
        statuses.append(
            RecipientStatus(
                address=address,
                action=decode_header(block.get("Action", "")).lower() or "failed",
                status=status,
                diagnostic=diagnostic or status or "Delivery failed",
            )
        )
    return statuses


def apply_report(report: DeliveryReport, account) -> int:
    """Fail the mailing recipients a report names and suppress permanent failures.

    Returns the number of recipient rows marked failed."""
    from massmail.models import MailingRecipient, Suppression

    failed = 0
    for status in report.failures:
        rows = MailingRecipient.objects.none()
        if report.original_message_id:
            rows = MailingRecipient.objects.filter(message_id=report.original_message_id)
            if status.address:
                rows = rows.filter(email__iexact=status.address) or rows
        if not rows and status.address:
            # No headers returned: the latest message this account sent to that address.
            latest = (
                MailingRecipient.objects.filter(email__iexact=status.address, account=account)
                .exclude(sent_at=None)
                .order_by("-sent_at")
                .values_list("pk", flat=True)[:1]
            )
            rows = MailingRecipient.objects.filter(pk__in=list(latest))
        for recipient in rows:
            if not _fail_recipient(recipient, status):
                continue  # a copy of a report already read
            failed += 1
            log.info(
                "account %s: bounce for mailing %s, %s: %s %s",
                account.pk,
                recipient.mailing_id,
                status.address,
                status.status,
                status.diagnostic,
                extra={"account_id": account.pk, "mailing_id": recipient.mailing_id, "status": status.status},
            )
        if status.permanent and status.address:
            Suppression.suppress(status.address, Suppression.Reason.BOUNCED, status.diagnostic)
    return failed


def _fail_recipient(recipient, status: RecipientStatus) -> int:
    from massmail.models import Mailing, MailingRecipient

    with transaction.atomic():
        row = MailingRecipient.objects.select_for_update().get(pk=recipient.pk)
        if row.status == MailingRecipient.Status.FAILED:
            return 0
        was_sent = row.status == MailingRecipient.Status.SENT
        row.status = MailingRecipient.Status.FAILED
        row.last_error = f"Bounced: {status.status} {status.diagnostic}".strip()[:500]
        row.error_detail = f"Delivery-status report: action={status.action} status={status.status}\n" + (
            status.diagnostic
        )
        row.save(update_fields=["status", "last_error", "error_detail"])
        # The mailing's counters follow its rows: a bounced "sent" becomes "failed".
        counters = {"failed_count": F("failed_count") + 1}
        if was_sent:
            counters["sent_count"] = Greatest(F("sent_count") - 1, 0)
        Mailing.objects.filter(pk=row.mailing_id).update(**counters)
    return 1


def handle_report(parsed: ParsedMessage, account) -> int | None:
    """None when `parsed` is no delivery report; else the number of recipients failed."""
    report = parse_report(parsed.message)
    if report is None:
        return None
    return apply_report(report, account)
