"""The inbox: conversations threaded by References/In-Reply-To, folders, unread state."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.html import escape, linebreaks

from correspondence.models import CrmEmail, Notification
from crm.countries import canonical_country
from crm.models import User
from mailaccounts.models import READ_ACCESS, EmailAccount, ImapFolder
from mailaccounts.smtp import AccountMailer
from mailkit.headers import UnsafeAddress, address_header

# Incoming mail older than this when first seen (a first sync of months of mail) is stored
# without assignment or notification.
NEWS_DAYS = 2


# --- listing -----------------------------------------------------------------------------------


def folders_for(user):
    """The active folders of the accounts a user may read, personal and shared."""
    return (
        ImapFolder.objects.filter(account__in=EmailAccount.objects.readable_by(user), is_active=True)
        .select_related("account")
        .order_by("account__email", "name")
    )


def mail_of(user, account_id=None, folder=None, q="", unread=False, assigned_to_me=False, sent=False):
    """Stored and sent mail the user may see (drafts are on their own page), filtered."""
    emails = CrmEmail.objects.visible_to(user).filter(
        status__in=[CrmEmail.Status.STORED, CrmEmail.Status.SENT]
    )
    if account_id:
        emails = emails.filter(account_id=account_id)
    if folder:
        emails = emails.filter(folder=folder)
    if q:
        emails = emails.filter(
            Q(subject__icontains=q)
            | Q(sender__icontains=q)
            | Q(recipients__icontains=q)
            | Q(text__icontains=q)
        )
    if unread:  # only received mail is ever unread: what we sent or imported from Sent is not news
        emails = emails.filter(is_read=False, direction=CrmEmail.Direction.INCOMING)
    if assigned_to_me:
        emails = emails.filter(assigned_to=user)
    if sent:  # what went out from the user's mailboxes, sent here or imported from their Sent
        emails = emails.filter(direction=CrmEmail.Direction.OUTGOING)
    return emails


@dataclass
class Conversation:
    key: str
    count: int
    unread: int
    last_date: object
    latest: CrmEmail


def conversations(emails, limit=50, offset=0):
    """Conversations among `emails`, the most recent first, each with its latest message.

    Grouped by the stored, indexed `thread_key`; the latest message of each conversation is
    found with a window function, so this runs on SQLite as well as PostgreSQL."""
    last_date = Max(Coalesce("date", "created_at"))
    groups = list(
        emails.values("thread_key")
        .annotate(
            count=Count("id"),
            unread=Count("id", filter=Q(is_read=False, direction=CrmEmail.Direction.INCOMING)),
            last_date=last_date,
            last_id=Max("id"),
        )
        .order_by("-last_date", "-last_id")[offset : offset + limit]
    )
    newest_first = Window(
        RowNumber(),
        partition_by=[F("thread_key")],
        order_by=[Coalesce("date", "created_at").desc(), F("id").desc()],
    )
    latest = (
        emails.filter(thread_key__in=[g["thread_key"] for g in groups])
        .annotate(rank=newest_first)
        .filter(rank=1)
        .select_related("account", "assigned_to")
    )
    by_key = {e.thread_key: e for e in latest}
    return [
        Conversation(g["thread_key"], g["count"], g["unread"], g["last_date"], by_key[g["thread_key"]])
        for g in groups
        if g["thread_key"] in by_key
    ]


def conversation_of(user, key):
    """Every message of one conversation that the user may see, oldest first."""
    return list(
        CrmEmail.objects.visible_to(user)
        .filter(thread_key=key)
        .exclude(status__in=[CrmEmail.Status.DRAFT, CrmEmail.Status.SCHEDULED])
        .select_related("account", "assigned_to")
        .prefetch_related("attachments")
        .order_by("date", "id")
    )


def shared_account(emails):
    """The shared mailbox a conversation's messages came through, or None."""
    return next((e.account for e in emails if e.account_id and e.account.is_shared), None)


# A stored message is shown in its own document, inside an <iframe> with this sandbox: no
# script, no same-origin access (so nothing in it can act as the reader), links open in a new
# tab. The document's own Content-Security-Policy repeats the sandbox (for the URL opened
# directly) and loads nothing but the images the reader asked for: a remote image in a
# client's mail tells its sender when and where it was read.
FRAME_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"


def body_policy(images=False):
    img_src = "https: http:" if images else "'none'"
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src {img_src}; "
        f"sandbox {FRAME_SANDBOX}; form-action 'none'; frame-ancestors 'self'"
    )


def body_document(email):
    """The HTML document that shows a stored message (its sanitized HTML, else its text)."""
    body = email.html or linebreaks(email.text, autoescape=True)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><base target="_blank">'
        f"<title>{escape(email.subject)}</title></head><body>{body}</body></html>"
    )


def mark_read(user, key, read=True):
    return CrmEmail.objects.visible_to(user).filter(thread_key=key).exclude(is_read=read).update(is_read=read)


def unread_count(user):
    return mail_of(user, unread=True).count()


# --- shared mailboxes: assignment and notifications ---------------------------------------------


def members_of(account):
    """Users who read a shared account (full or read access), or the owner of a personal one."""
    if account.owner_id:
        return User.objects.filter(pk=account.owner_id)
    return User.objects.filter(
        account_grants__account=account, account_grants__access__in=READ_ACCESS, is_active=True
    ).distinct()


def assign(key, assignee, by=None, account=None):
    """Assign every message of a conversation and tell the assignee. Returns the count."""
    emails = CrmEmail.objects.filter(thread_key=key)
    if account is not None:
        emails = emails.filter(account=account)
    updated = emails.update(assigned_to=assignee)
    latest = emails.order_by("-date", "-id").first()
    if assignee is not None and latest is not None and assignee != by:
        who = f" by {by.name}" if by is not None else ""
        Notification.objects.create(
            user=assignee,
            kind=Notification.Kind.ASSIGNED,
            email=latest,
            text=f"Assigned to you{who}: “{latest.subject or '(no subject)'}” from {latest.sender}"[:500],
        )
    return updated


def _territory(email):
    for record in (email.company, email.contact and email.contact.company, email.lead, email.contact):
        if record is not None and record.country:
            return canonical_country(record.country).casefold()
    return ""


def _countries(grant):
    # A grant's territory is typed ("USA, uk, Deutschland"); records hold the list's names.
    return {canonical_country(c).casefold() for c in grant.countries.split(",") if c.strip()}


def _products(email):
    tag_ids = set()
    for record in (email.contact, email.company, email.lead):
        if record is not None:
            tag_ids |= set(record.tags.values_list("id", flat=True))
    return tag_ids


def choose_assignee(account, email, now):
    """The member a new conversation goes to by the account's strategy, or None (by hand)."""
    strategy = account.assignment
    if strategy == "manual" or account.owner_id:
        return None
    grants = account.grants.filter(access__in=READ_ACCESS, user__is_active=True)
    if strategy == "territory":
        country = _territory(email)
        grants = [g for g in grants if country and country in _countries(g)]
    elif strategy == "product":
        tags = _products(email)
        grants = grants.filter(products__in=tags).distinct() if tags else grants.none()
    # Round-robin, and the tie-break of the others: who was assigned least recently.
    ordered = sorted(grants, key=lambda g: (g.last_assigned_at is not None, g.last_assigned_at or now, g.pk))
    if not ordered:
        return None
    chosen = ordered[0]
    type(chosen).objects.filter(pk=chosen.pk).update(last_assigned_at=now)
    return chosen.user


def route_new_mail(now=None, limit=500):
    """Assign new incoming conversations of shared accounts and notify people of new mail.

    Runs on beat over the unrouted rows (a partial index); each row is claimed by setting
    `routed_at`, so two runs never notify twice.
    """
    now = now or timezone.now()
    routed = 0
    pending = CrmEmail.objects.filter(direction=CrmEmail.Direction.INCOMING, routed_at__isnull=True).order_by(
        "created_at"
    )
    for email in pending.select_related("account", "company", "contact__company", "lead")[:limit]:
        if not CrmEmail.objects.filter(pk=email.pk, routed_at__isnull=True).update(routed_at=now):
            continue
        routed += 1
        account = email.account
        # Old mail from a first sync, and auto-replies, are nobody's news.
        too_old = email.date is not None and email.date < now - timedelta(days=NEWS_DAYS)
        if account is None or email.is_auto_reply or too_old:
            continue
        key = email.thread_key  # always stored (CrmEmail.save)
        earlier = (
            CrmEmail.objects.filter(thread_key=key, account=account, assigned_to__isnull=False)
            .exclude(pk=email.pk)
            .values_list("assigned_to", flat=True)
            .first()
        )
        if earlier is not None:
            CrmEmail.objects.filter(pk=email.pk).update(assigned_to_id=earlier)
            recipients = [earlier]
        else:
            assignee = choose_assignee(account, email, now)
            if assignee is not None:
                assign(key, assignee, account=account)
                continue  # the assignment notification says it all
            recipients = list(members_of(account).values_list("pk", flat=True))
        Notification.objects.bulk_create(
            Notification(
                user_id=user_id,
                kind=Notification.Kind.NEW_EMAIL,
                email=email,
                text=f"New email from {email.sender}: “{email.subject or '(no subject)'}”"[:500],
            )
            for user_id in recipients
        )
    return routed


def notifications_of(user, unread_only=False):
    notes = Notification.objects.filter(user=user).select_related("email")
    return notes.filter(is_read=False) if unread_only else notes


def digest_text(user, now):
    """The daily digest of a user, or "" when there is nothing to say."""
    since = now - timedelta(days=1)
    notes = list(notifications_of(user, unread_only=True).filter(created_at__gte=since)[:50])
    assigned = mail_of(user, unread=True, assigned_to_me=True).count()
    if not notes and not assigned:
        return ""
    lines = [f"Good morning {user.name},", ""]
    if assigned:
        lines.append(f"{assigned} unread email(s) assigned to you.")
    if notes:
        lines.append(f"{len(notes)} notification(s) in the last day:")
        lines += [f"- {n.created_at:%H:%M} {n.text}" for n in notes]
    lines += ["", f"Your inbox: {settings.SITE_URL}/crm/mail/"]
    return "\n".join(lines)


def send_daily_digests(now=None):
    """Mail each user who asked for it their digest, through their default account."""
    from email.message import EmailMessage

    now = now or timezone.now()
    sent = 0
    for user in User.objects.filter(email_digest=True, is_active=True).exclude(email=""):
        text = digest_text(user, now)
        account = EmailAccount.objects.default_for(user)
        if not text or account is None:
            continue
        message = EmailMessage()
        try:
            message["From"] = address_header(account.display_name, account.email)
            message["To"] = address_header("", user.email)
        except UnsafeAddress:
            continue  # an address that is not one plain address: no digest rather than a forged one
        message["Subject"] = f"Your CRM mail, {now:%Y-%m-%d}"
        message.set_content(text)
        with AccountMailer(account) as mailer:
            sent += mailer.send(message).ok
    return sent
