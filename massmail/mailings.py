"""Making mailings and moving them through their life: create, pause, resume, restart, combine.

`create_mailing` materializes the audience with ONE `INSERT … SELECT` built from the
recipients queryset's own SQL, whatever its size: no Python loop over recipients. Rows that
cannot be sent are kept as `skipped` with the reason, so the mailing page can say why.
A second record with the same address gets no row of its own (the insert ranks records by
address and keeps one, the partial unique constraint (mailing, email) guards it); such
duplicates are counted in the mailing's first notification. Addresses are stored lower-cased
and trimmed, as Suppression stores them.
"""

from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone

from crm.models import Company, Contact, Lead
from crm.roles import Role, role_of
from massmail.models import (
    RUNNING,
    Mailing,
    MailingNotification,
    MailingRecipient,
    Message,
    RecipientType,
    Suppression,
)

Status = MailingRecipient.Status

NO_ADDRESS = "no address"
NO_NEWSLETTERS = "does not accept newsletters"
SUPPRESSED = "suppressed"
DUPLICATE = "duplicate address"
SKIP_REASONS = (NO_ADDRESS, SUPPRESSED, NO_NEWSLETTERS, DUPLICATE)


def recipient_types():
    return {Company: RecipientType.COMPANIES, Contact: RecipientType.CONTACTS, Lead: RecipientType.LEADS}


FOREIGN_KEY = {
    RecipientType.COMPANIES: "company",
    RecipientType.CONTACTS: "contact",
    RecipientType.LEADS: "lead",
}


def notify_mailing(mailing, text, level=MailingNotification.Level.INFO):
    return MailingNotification.objects.create(mailing=mailing, text=text[:1000], level=level)


def allowed_recipients(owner, recipients):
    """The part of `recipients` that `owner` may mail: a sales manager only their own records."""
    if owner.is_superuser:
        return recipients
    if role_of(owner) is Role.SALES_MANAGER:
        return recipients.filter(owner=owner)
    return recipients.filter(pk__in=recipients.model.objects.visible_to(owner).values("pk"))


def _recipient_type(recipients):
    if not isinstance(recipients, models.QuerySet):
        raise ValueError("Recipients must be a queryset of Companies, Contacts or Leads.")
    kind = recipient_types().get(recipients.model)
    if kind is None:
        raise ValueError(
            f"A mailing goes to Companies, Contacts or Leads (one type per mailing), not to {recipients.model.__name__}."
        )
    return kind


def _insert_recipients(mailing, kind, audience):
    """INSERT … SELECT the audience into MailingRecipient rows of the new `mailing`.

    One row per address: ROW_NUMBER() over the address (over the record for rows without one)
    keeps one record per address, the sendable one first, and also folds a record the
    queryset's joins repeat. The mailing is new and only this transaction can see it, so
    nothing can conflict and the INSERT needs no ON CONFLICT (whose speculative insertion
    costs a third of the insert at 1,000,000 rows; see bench.audience).
    """
    quote = connection.ops.quote_name
    table = MailingRecipient._meta.db_table
    source = audience.order_by().values("id", "email", "is_vip", "massmail")
    source_sql, source_params = source.query.sql_with_params()
    postgres = connection.vendor == "postgresql"

    valid = "a.address LIKE '%%_@_%%'"
    sendable = "s.id IS NULL AND a.massmail"
    # Byte order is all the partitioning needs; a linguistic collation sorts several times slower.
    key = f"CASE WHEN {valid} THEN a.address ELSE CAST(a.id AS TEXT) END" + (
        ' COLLATE "C"' if postgres else ""
    )
    ranked = (
        f"SELECT a.id, a.is_vip, "
        f"CASE WHEN {valid} THEN a.address ELSE '' END AS address, "
        f"CASE WHEN {valid} AND {sendable} THEN '{Status.PENDING}' ELSE '{Status.SKIPPED}' END AS status, "
        f"CASE WHEN NOT {valid} THEN '{NO_ADDRESS}' WHEN s.id IS NOT NULL THEN '{SUPPRESSED}' "
        f"WHEN NOT a.massmail THEN '{NO_NEWSLETTERS}' ELSE '' END AS skip_reason, "
        f"ROW_NUMBER() OVER (PARTITION BY {key} "
        f"ORDER BY CASE WHEN {sendable} THEN 0 ELSE 1 END, a.id) AS nth "
        f"FROM (SELECT r.id, r.is_vip, r.massmail, LOWER(TRIM(COALESCE(r.email, ''))) AS address "
        f"FROM ({source_sql}) r) a "
        f"LEFT JOIN {quote(Suppression._meta.db_table)} s ON s.email = a.address"
    )
    columns = ["mailing_id", f"{FOREIGN_KEY[kind]}_id", "email", "is_vip", "status", "skip_reason"]
    values = ["%s", "x.id", "x.address", "x.is_vip", "x.status", "x.skip_reason"]
    params = [mailing.pk]
    # Every other NOT NULL column gets its model default, so a field added later needs no change here.
    for field in MailingRecipient._meta.concrete_fields:
        if field.primary_key or field.null or field.column in columns:
            continue
        columns.append(field.column)
        values.append("%s")
        params.append(field.get_db_prep_save(field.get_default(), connection))
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT {', '.join(values)} FROM ({ranked}) x WHERE x.nth = 1"
    )
    with connection.cursor() as cursor:
        if postgres:
            # The ranking's sort in memory rather than in temporary files (this transaction only).
            cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(sql, [*params, *source_params])


COUNTERS = {
    "recipients_count": Count("id"),
    "sent_count": Count("id", filter=Q(status=Status.SENT)),
    "failed_count": Count("id", filter=Q(status=Status.FAILED)),
    "skipped_count": Count("id", filter=Q(status=Status.SKIPPED)),
    "pending": Count("id", filter=Q(status=Status.PENDING)),
}


def recount(mailing_ids):
    """Set the counters of these mailings from their rows: one aggregate, one update per mailing."""
    rows = (
        MailingRecipient.objects.filter(mailing_id__in=mailing_ids)
        .values("mailing_id")
        .annotate(**COUNTERS)
        .order_by()
    )
    figures = {row.pop("mailing_id"): row for row in rows}
    for mailing_id in mailing_ids:
        row = figures.get(mailing_id, dict.fromkeys(COUNTERS, 0))
        row = {key: value for key, value in row.items() if key != "pending"}
        Mailing.objects.filter(pk=mailing_id).update(**row)
    return figures


@dataclass
class Audience:
    total: int  # records in the queryset
    allowed: int  # of them, the owner's to mail
    not_allowed: int


def measure_audience(owner, recipients):
    """How many of the records the owner may include (one query), for the create page."""
    _recipient_type(recipients)
    allowed = allowed_recipients(owner, recipients)
    # EXISTS by primary key, not `pk IN (subquery)`: past work_mem PostgreSQL runs an IN
    # subquery unhashed, once per row, which never ends at 1,000,000 contacts (bench.audience).
    figures = recipients.aggregate(
        total=Count("pk", distinct=True),
        allowed=Count("pk", distinct=True, filter=Exists(allowed.filter(pk=OuterRef("pk")))),
    )
    return Audience(figures["total"], figures["allowed"], figures["total"] - figures["allowed"])


@transaction.atomic
def create_mailing(owner, message, recipients, name=""):
    """A new active Mailing of `message` to the records of `recipients` that `owner` may mail.

    `recipients` is a queryset of Company, Contact or Lead. Raises ValueError with a sentence
    for people when the type is wrong, the message is not the owner's to use, or nothing is left.
    """
    kind = _recipient_type(recipients)
    if not Message.objects.visible_to(owner).filter(pk=message.pk).exists():
        raise ValueError("You can only send your own messages.")
    audience = measure_audience(owner, recipients)
    if audience.allowed == 0:
        raise ValueError(
            "None of the chosen records is assigned to you, so there is no one to mail."
            if audience.total
            else "There are no recipients to mail."
        )
    mailing = Mailing.objects.create(
        owner=owner, message=message, recipient_type=kind, name=name or str(message)[:200]
    )
    _insert_recipients(mailing, kind, allowed_recipients(owner, recipients))
    figures = recount([mailing.pk]).get(mailing.pk, {})
    mailing.refresh_from_db()

    duplicates = audience.allowed - mailing.recipients_count
    parts = [f"Created with {mailing.recipients_count} recipients: {figures.get('pending', 0)} to send"]
    if mailing.skipped_count:
        reasons = (
            MailingRecipient.objects.filter(mailing=mailing, status=Status.SKIPPED)
            .values_list("skip_reason")
            .annotate(n=Count("id"))
            .order_by("skip_reason")
        )
        parts.append(", ".join(f"{n} skipped ({reason})" for reason, n in reasons))
    if duplicates > 0:
        parts.append(f"{duplicates} left out as duplicate addresses")
    if audience.not_allowed:
        parts.append(f"{audience.not_allowed} not included because they are not assigned to you")
    mailing.summary = "; ".join(parts) + "."
    notify_mailing(mailing, mailing.summary)
    if not figures.get("pending"):
        finish(mailing, "Nothing to send: every recipient was skipped.")
    return mailing


def finish(mailing, text="Done: no recipient is left to send."):
    updated = Mailing.objects.filter(pk=mailing.pk).exclude(status=Mailing.Status.DONE)
    if updated.update(status=Mailing.Status.DONE, finished_at=timezone.now()):
        mailing.status = Mailing.Status.DONE
        notify_mailing(mailing, text)


def _move(mailing, from_statuses, to_status, text):
    """A conditional UPDATE: True when this call changed the status (its row count says who won)."""
    changed = Mailing.objects.filter(pk=mailing.pk, status__in=from_statuses).update(
        status=to_status, updated_at=timezone.now()
    )
    if changed:
        mailing.status = to_status
        notify_mailing(mailing, text)
    return bool(changed)


def pause(mailing, user=None, why=""):
    """Pause a running mailing; `why` is added to its notification (e.g. the complaint rate)."""
    by = f" by {user.get_full_name() or user.username}" if user else ""
    return _move(mailing, RUNNING, Mailing.Status.PAUSED, f"Paused{by}." + (f" {why}" if why else ""))


def resume(mailing, user=None):
    by = f" by {user.get_full_name() or user.username}" if user else ""
    return _move(
        mailing, (Mailing.Status.PAUSED, Mailing.Status.INTERRUPTED), Mailing.Status.ACTIVE, f"Resumed{by}."
    )


@transaction.atomic
def restart_failed(mailing):
    """Failed recipients go back to pending with fresh attempts; returns how many.

    Addresses suppressed since they failed (hard bounces, unsubscribes) stay failed.
    """
    failed = MailingRecipient.objects.filter(mailing=mailing, status=Status.FAILED)
    suppressed = Suppression.objects.values("email")
    restarted = failed.exclude(email__in=suppressed).update(
        status=Status.PENDING,
        attempts=0,
        next_attempt_at=None,
        claimed_at=None,
        account=None,
        last_error="",
        error_detail="",
    )
    if not restarted:
        return 0
    recount([mailing.pk])
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.ACTIVE, finished_at=None)
    mailing.refresh_from_db()
    kept = failed.count()
    notify_mailing(
        mailing,
        f"{restarted} failed recipients restarted"
        + (f"; {kept} stay failed because their address is suppressed." if kept else "."),
    )
    return restarted


@transaction.atomic
def combine(mailings):
    """Merge mailings of one message, recipient type and owner into the oldest one.

    The others' pending rows move to it unless their address is already in the group (a
    duplicate is skipped, so nobody gets the message twice); the others keep their history
    (sent, failed, skipped rows) and are marked done. Returns the mailing that remains.
    """
    group = list(Mailing.objects.select_for_update().filter(pk__in=[m.pk for m in mailings]).order_by("pk"))
    if len(group) < 2:
        raise ValueError("Choose at least two mailings to combine.")
    if len({(m.message_id, m.recipient_type, m.owner_id) for m in group}) > 1:
        raise ValueError("Only mailings with the same message, recipient type and owner can be combined.")
    if any(m.status == Mailing.Status.DONE for m in group):
        raise ValueError("Finished mailings cannot be combined.")
    target, others = group[0], group[1:]
    other_ids = [m.pk for m in others]
    rows = MailingRecipient.objects.filter(mailing__in=group).exclude(email="")
    handled = rows.exclude(status__in=[Status.PENDING, Status.SKIPPED]).values("email")
    skip = {"status": Status.SKIPPED, "skip_reason": DUPLICATE}
    # The target's pending rows whose address was already sent (or is being sent) by another.
    rows.filter(mailing=target, status=Status.PENDING, email__in=handled.exclude(mailing=target)).update(
        **skip
    )
    moving = rows.filter(mailing_id__in=other_ids, status=Status.PENDING)
    moving.filter(Q(email__in=rows.filter(mailing=target).values("email")) | Q(email__in=handled)).update(
        **skip
    )
    # Of the others' remaining duplicates among themselves, the oldest row moves.
    first = moving.values("email").annotate(first=Min("id")).values("first")
    moving.exclude(id__in=first).update(**skip)
    moved = MailingRecipient.objects.filter(mailing_id__in=other_ids, status=Status.PENDING).update(
        mailing=target
    )

    now = timezone.now()
    Mailing.objects.filter(pk__in=other_ids).update(
        status=Mailing.Status.DONE, finished_at=now, updated_at=now
    )
    for other in others:
        notify_mailing(other, f"Combined into mailing #{target.pk}: its pending recipients moved there.")
    names = ", ".join(f"#{pk}" for pk in other_ids)
    notify_mailing(target, f"Combined with {names}: {moved} recipients moved here, duplicates skipped.")
    figures = recount([target.pk, *other_ids])
    if figures.get(target.pk, {}).get("pending"):
        Mailing.objects.filter(pk=target.pk, status=Mailing.Status.INTERRUPTED).update(
            status=Mailing.Status.ACTIVE
        )
    target.refresh_from_db()
    return target
