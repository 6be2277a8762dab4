"""Storing fetched mail: what correspondence does with the messages mailaccounts fetches.

`ImportHandler` is registered with mailaccounts.handlers (CorrespondenceConfig.ready): it
wants ticketed mail, replies to what we sent, and with "import all mail" everything; it links
each message to its records (correspondence.linking) and stores it as a CrmEmail.
"""

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from correspondence import linking
from correspondence.models import CrmEmail, CrmEmailAttachment
from crm.files import display_name
from mailaccounts.handlers import MailHandler
from mailaccounts.mail_parsing import ParsedMessage
from mailkit.sanitizing import sanitize_html

TICKET_MARKER = "[ticket:"


class ImportHandler(MailHandler):
    order = 50  # after bounces and complaints (massmail), which are never stored

    def body_marker(self, account):
        return None if account.import_all else TICKET_MARKER

    def wanted(self, headers, progress, outgoing, body_hits):
        account = progress.account
        patterns = progress.state.setdefault("patterns", linking.exclude_patterns(account))
        ours = linking.our_message_ids({ref for p in headers.values() for ref in p.referenced_ids})
        return {
            uid
            for uid, parsed in headers.items()
            if _is_candidate(parsed, uid, account, outgoing, ours, body_hits, patterns)
        }

    def batch(self, messages, account):
        return linking.ThreadIndex([parsed for _, parsed in messages], account)

    def handle(self, account, folder, uid, parsed, outgoing, progress, batch):
        links = linking.thread_links(parsed, batch)
        if links.ticketed or account.import_all:
            store(account, folder.name, uid, parsed, links, outgoing, progress, index=batch)
        return True

    def forget_uids(self, account, folder_name):
        CrmEmail.objects.filter(account=account, folder=folder_name).update(uid=None)


def _is_candidate(parsed: ParsedMessage, uid, account, outgoing, ours, body_tickets, patterns) -> bool:
    parties = [a for _, a in (parsed.to + parsed.cc)] if outgoing else [parsed.sender]
    if patterns and parties and all(linking.is_excluded(a, patterns) for a in parties):
        return False
    if account.import_all or uid in body_tickets or linking.has_ticket(parsed.subject):
        return True
    return any(ref in ours for ref in parsed.referenced_ids)


def store(account, folder_name, uid, parsed, links, outgoing, progress=None, force_links=False, index=None):
    """Save one message as a CrmEmail unless the account has it already (by Message-ID)."""
    stored_before = index is None or parsed.message_id in index.stored_ids
    existing = (
        stored_before and CrmEmail.objects.filter(account=account, message_id=parsed.message_id).first()
    )
    if existing:
        _refresh_existing(existing, folder_name, uid, links if force_links else None)
        return existing
    cache = progress.state.setdefault("people", {}) if progress is not None else None
    linking.auto_link(links, parsed, account, outgoing, cache, index.parties if index else None)
    wants_contact = not outgoing and account.create_unknown_contacts and not parsed.is_auto_reply
    if wants_contact and linking.create_unknown_contact(links, parsed, account) and cache is not None:
        cache.clear()  # the new contact now answers lookups of its address
    try:
        with transaction.atomic():
            email = _create_email(account, folder_name, uid, parsed, links, outgoing)
    except IntegrityError:
        # The same UID stored meanwhile (e.g. "Import this conversation" running alongside).
        return CrmEmail.objects.filter(account=account, message_id=parsed.message_id).first()
    linking.note_answer(links, parsed, outgoing)
    if index is not None:
        index.remember(email)
    if progress is not None:
        progress.imported += 1
        progress.linked += int(links.any)
    return email


def _refresh_existing(existing, folder_name, uid, links):
    fields = []
    if existing.uid is None and existing.folder in ("", folder_name):
        existing.folder, existing.uid = folder_name, uid
        fields += ["folder", "uid"]
    if links is not None:
        for name in ("request", "deal"):
            if getattr(existing, name) is None and getattr(links, name) is not None:
                setattr(existing, name, getattr(links, name))
                fields.append(name)
    if fields:
        try:
            with transaction.atomic():
                existing.save(update_fields=fields)
        except IntegrityError:
            pass


def _create_email(account, folder_name, uid, parsed: ParsedMessage, links, outgoing) -> CrmEmail:
    record = links.request or links.deal
    owner = account.owner or (record.owner if record else None)
    email = CrmEmail.objects.create(
        account=account,
        direction=CrmEmail.Direction.OUTGOING if outgoing else CrmEmail.Direction.INCOMING,
        folder=folder_name[:200],
        uid=uid,
        message_id=parsed.message_id[:998],
        in_reply_to=parsed.in_reply_to[:998],
        references=" ".join(parsed.references),
        subject=parsed.subject[:998],
        sender=parsed.sender[:320],
        recipients=", ".join(a for _, a in parsed.to),
        cc=", ".join(a for _, a in parsed.cc),
        date=parsed.date,
        text=parsed.text,
        html=_sanitized(parsed.html),
        is_read=outgoing,
        is_auto_reply=parsed.is_auto_reply,
        request=links.request,
        deal=links.deal,
        contact=links.contact,
        company=links.company,
        lead=links.lead,
        owner=owner,
    )
    for part in parsed.attachments:
        attachment = CrmEmailAttachment(
            email=email,
            filename=display_name(part.filename),
            content_type=part.content_type[:255],
            size=part.size,
            content_id=part.content_id[:255],
            truncated=part.truncated,
        )
        if part.content is not None:
            # Stored under a random name (crm.files.RandomName): the part's name is only shown.
            attachment.file.save(attachment.filename, ContentFile(part.content), save=False)
        attachment.save()
    return email


def _sanitized(html: str) -> str:
    return sanitize_html(html) if html else ""
