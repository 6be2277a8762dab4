"""Claim, render, deliver, record: one batch of mailing messages through one account.

    send_batch(account_id, n)   reserve quota -> claim rows -> one SMTP connection -> record

Safety across many workers on PostgreSQL:
- the quota is reserved on the account row under `SELECT … FOR UPDATE`, together with its
  pacing (`next_send_at`), so two workers never exceed a limit or the pace together;
- recipients are claimed with `SELECT … FOR UPDATE SKIP LOCKED` and leased to the batch
  (`claimed_at`, still `pending`), so another worker skips them;
- just before its message goes out a row becomes `sending` (a conditional UPDATE that also
  records the previous message's outcome: one query per message), and its outcome is
  committed right after. A worker that dies mid-batch leaves exactly one row `sending`: the
  janitor (`mark_stuck_uncertain`) turns it `uncertain`, never resent on its own; its other
  leased rows are claimable again once the lease ends.
SQLite has no row locks: there one worker process runs (`--pool=solo` or `-c 1`).
"""

import datetime
import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from mailaccounts.accounts import local_today, notify_account, record_auth_failure
from mailaccounts.models import AccountNotification, EmailAccount
from mailaccounts.smtp import AccountMailer, Outcome, SendResult
from mailkit.rendering import make_message_id
from massmail.compiling import compile_message
from massmail.mailings import NO_ADDRESS, NO_NEWSLETTERS, SUPPRESSED, notify_mailing
from massmail.models import (
    RUNNING,
    Mailing,
    MailingNotification,
    MailingRecipient,
    MassmailSettings,
    Suppression,
)
from massmail.scheduling import (
    is_sending_time,
    jittered,
    send_interval,
    under_daily_limit,
)

log = logging.getLogger(__name__)
Status = MailingRecipient.Status

# A claimed row belongs to its batch this long; after that another batch may take it.
LEASE = datetime.timedelta(minutes=10)
# A row `sending` for longer than this lost its worker (an SMTP send times out long before).
SENDING_TIMEOUT = datetime.timedelta(minutes=10)
# Temporary failures: retry after 5 min, 10, 20, 40…, at most 4 h apart, then give up.
MAX_ATTEMPTS = 5
RETRY_BASE = datetime.timedelta(minutes=5)
RETRY_MAX = datetime.timedelta(hours=4)
# A server that says "slow down" gets no message from this account for this long.
THROTTLE_PAUSE = datetime.timedelta(minutes=15)
# Two connection failures in a row: the server is down, stop the batch.
CONNECTION_FAILURES_TO_STOP = 2
# A 5.1.x reply means the address does not exist: suppress it for every later mailing.
BAD_ADDRESS = re.compile(r"\b5\.1\.\d+\b")


# --- quota ----------------------------------------------------------------------------


@dataclass
class Reservation:
    account: EmailAccount
    granted: int
    day: datetime.date
    interval: float  # seconds between two messages
    at: datetime.datetime


def reserve_quota(account_id, wanted, now, cfg) -> Reservation | None:
    """Take up to `wanted` messages of the account's day, if it is due: two queries on one row.

    The row lock makes the read-modify-write atomic across workers; the day's counter of
    another day (in the settings' time zone) counts as zero.
    """
    today = local_today(now, cfg.time_zone)
    with transaction.atomic():
        account = (
            EmailAccount.objects.select_for_update()
            .filter(Q(next_send_at__isnull=True) | Q(next_send_at__lte=now))
            .filter(pk=account_id, is_active=True, massmail=True)
            .first()
        )
        if account is None:
            return None
        used = account.sent_on(today)
        granted = min(wanted, account.daily_limit - used)
        if granted <= 0:
            return None
        interval = send_interval(cfg, account.daily_limit, today)
        next_send_at = now + datetime.timedelta(seconds=jittered(interval * granted))
        EmailAccount.objects.filter(pk=account_id).update(
            sent_today=used + granted, sent_today_date=today, next_send_at=next_send_at
        )
    account.sent_today, account.sent_today_date, account.next_send_at = used + granted, today, next_send_at
    return Reservation(account, granted, today, interval, now)


# --- claim ------------------------------------------------------------------------------


def usable_main_accounts(owner_ref, today):
    """Main accounts the mailing owner at `owner_ref` may use that still have quota today."""
    return EmailAccount.objects.sendable_by(OuterRef(owner_ref)).filter(
        under_daily_limit(today),
        is_main=True,
        is_active=True,
        massmail=True,
    )


def claimable(account, now, today):
    """The pending rows this account may send now, by the routing rules.

    Only mailings whose owner may send through it (own account, or a grant with send
    access); a main account only VIPs; a normal account takes a VIP only when the owner
    has no main account with quota left; a row keeps the account it was first given.
    """
    grantees = account.grants.sending().values("user_id")
    rows = MailingRecipient.objects.filter(
        Q(mailing__owner_id=account.owner_id) | Q(mailing__owner_id__in=grantees),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE),
        Q(account_id__isnull=True) | Q(account_id=account.pk),
        status=Status.PENDING,
        mailing__status__in=RUNNING,
    )
    if account.is_main:
        return rows.filter(is_vip=True)
    return rows.filter(
        Q(is_vip=False) | Q(account_id=account.pk) | ~Exists(usable_main_accounts("mailing__owner_id", today))
    )


def skip_reason(row, suppressed) -> str:
    """Why a claimed row must not be sent after all (checked at send time, not only at creation)."""
    if not row.email:
        return NO_ADDRESS
    if row.email.strip().lower() in suppressed:
        return f"{SUPPRESSED}: {suppressed[row.email.strip().lower()]}"
    record = row.record
    if record is None:
        return "the record was deleted"
    if not record.massmail:
        return NO_NEWSLETTERS
    return ""


def claim(account, limit, now, today) -> list[MailingRecipient]:
    """Lease up to `limit` rows to this batch (three queries, whatever the audience size).

    Rows that must not be sent any more become `skipped`; kept rows get the account and the
    lease in one UPDATE, and a Message-ID that is stored before their message is sent.
    """
    with transaction.atomic():
        rows = list(
            claimable(account, now, today)
            .select_related(
                "mailing__message__signature", "mailing__owner", "contact__company", "company", "lead"
            )
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("mailing_id", "next_attempt_at")[:limit]
        )
        if not rows:
            return []
        addresses = {row.email.strip().lower() for row in rows if row.email}
        suppressed = dict(Suppression.objects.filter(email__in=addresses).values_list("email", "reason"))
        kept, skipped = [], {}
        for row in rows:
            reason = skip_reason(row, suppressed)[:100]
            if reason:
                row.status, row.skip_reason = Status.SKIPPED, reason
                skipped.setdefault(reason, []).append(row.pk)
            else:
                row.account, row.claimed_at = account, now
                # Stored by the UPDATE that marks the row `sending`, before its message goes out.
                row.message_id = row.message_id or make_message_id()
                kept.append(row.pk)
        MailingRecipient.objects.filter(pk__in=kept).update(account=account, claimed_at=now)
        for reason, pks in skipped.items():
            MailingRecipient.objects.filter(pk__in=pks).update(status=Status.SKIPPED, skip_reason=reason)
    return rows


# --- recording outcomes ----------------------------------------------------------------


def backoff(attempts: int, cfg) -> datetime.timedelta:
    delay = min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_MAX)
    return delay / max(settings.DEMO_TIME_COMPRESSION, 1)


def outcome_fields(row, result: SendResult, now, cfg) -> dict:
    """The row's new values after its message: sent, failed, or pending again with a back-off."""
    attempts = row.attempts + 1
    fields = {"attempts": attempts, "last_error": result.message[:500], "error_detail": result.detail}
    if result.outcome is Outcome.SENT:
        return {**fields, "status": Status.SENT, "sent_at": now, "last_error": "", "next_attempt_at": None}
    if result.outcome is Outcome.PERMANENT:
        return {**fields, "status": Status.FAILED}
    if result.outcome is Outcome.AUTH:
        # Not the recipient's fault: no attempt counted, and free for another account.
        return {
            "status": Status.PENDING,
            "claimed_at": None,
            "account": None,
            "last_error": result.message[:500],
        }
    if attempts >= MAX_ATTEMPTS:
        return {
            **fields,
            "status": Status.FAILED,
            "last_error": f"Gave up after {attempts} tries: {result.message}"[:500],
        }
    return {
        **fields,
        "status": Status.PENDING,
        "claimed_at": None,
        "next_attempt_at": now + backoff(attempts, cfg),
    }


def _column(name, value):
    model_field = MailingRecipient._meta.get_field(name)
    return model_field.column, model_field.get_db_prep_value(value, connection)


def record_and_start(done, start, lease) -> bool:
    """ONE UPDATE: store the outcome of the message just sent (`done` = (pk, fields)) and mark
    the next row `sending`, with its Message-ID, if it is still leased to this batch.
    True when the next row is ours.

    Merging the two halves keeps the send path at one query per message while every outcome
    is committed right after its message and every row is `sending` while its message is out.
    Written in SQL because it runs once per message: compiling the ORM's Case/When cost more
    than running the query.
    """
    sets, set_params, where, where_params = [], [], [], []
    if done is not None:
        done_pk, fields = done
        for name, value in fields.items():
            if name != "status":
                column, value = _column(name, value)
                sets.append(f"{column} = CASE WHEN id = %s THEN %s ELSE {column} END")
                set_params += [done_pk, value]
        where.append("(id = %s AND status = %s)")
        where_params += [done_pk, Status.SENDING]
    if start is not None:
        sets.append("message_id = CASE WHEN id = %s THEN %s ELSE message_id END")
        set_params += [start.pk, start.message_id]
        where.append("(id = %s AND status = %s AND claimed_at = %s)")
        where_params += [start.pk, Status.PENDING, _column("claimed_at", lease)[1]]
    if done is not None and start is not None:
        sets.append("status = CASE WHEN id = %s THEN %s ELSE %s END")
        set_params += [done_pk, fields["status"], Status.SENDING]
    else:
        sets.append("status = %s")
        set_params.append(fields["status"] if done is not None else Status.SENDING)
    table = MailingRecipient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(sets)} WHERE {' OR '.join(where)}", set_params + where_params
        )
        changed = cursor.rowcount
    return start is not None and changed == (2 if done is not None else 1)


# --- the batch ---------------------------------------------------------------------------


@dataclass
class BatchResult:
    account_id: int
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retry: int = 0
    stopped: str = ""  # why the batch ended early: auth, throttled, connection
    connections: int = 0
    by_mailing: dict = field(default_factory=dict)

    def __str__(self):
        text = f"account {self.account_id}: sent {self.sent}, failed {self.failed}, skipped {self.skipped}"
        text += f", retry later {self.retry}"
        return text + (f" (stopped: {self.stopped})" if self.stopped else "")


def send_batch(account_id, n, now=None) -> BatchResult:
    """Send up to `n` pending messages through the account, if it is due and it is sending time."""
    now = now or timezone.now()
    cfg = MassmailSettings.load()
    batch = BatchResult(account_id)
    if n <= 0 or not is_sending_time(cfg, now):
        return batch
    reservation = reserve_quota(account_id, n, now, cfg)
    if reservation is None:
        return batch
    account = reservation.account
    rows = claim(account, reservation.granted, now, reservation.day)
    batch.claimed = len(rows)
    counts = {}  # mailing id -> Counter of sent/failed/skipped
    for row in rows:
        if row.status == Status.SKIPPED:
            counts.setdefault(row.mailing_id, Counter())["skipped_count"] += 1
            batch.skipped += 1
    to_send = [row for row in rows if row.status != Status.SKIPPED]
    consumed, throttled, auth_result = 0, False, None
    if to_send:
        consumed, throttled, auth_result = _deliver(account, to_send, now, cfg, batch, counts)
    _settle_account(reservation, consumed, throttled, cfg)
    mailing_ids = {row.mailing_id for row in rows}
    for mailing_id, counter in counts.items():
        Mailing.objects.filter(pk=mailing_id).update(**{k: F(k) + v for k, v in counter.items()})
    batch.by_mailing = counts
    if auth_result is not None:
        disable_account(account, auth_result, now)
    finish_done_mailings(mailing_ids, account)
    mailings_text = ", ".join(f"mailing {pk}" for pk in sorted(mailing_ids)) or "no mailing"
    log.info(
        "%s; %s",
        batch,
        mailings_text,
        extra={"account_id": account_id, "mailing_ids": sorted(mailing_ids), "sent": batch.sent},
    )
    return batch


def _deliver(account, rows, started, cfg, batch, counts):
    """Send the claimed rows over one connection; returns (consumed, throttled, auth result)."""
    compiled = {}
    consumed, connection_failures = 0, 0
    throttled, auth_result = False, None
    lease = started
    ours = record_and_start(None, rows[0], lease)
    with AccountMailer(account) as mailer:
        for index, row in enumerate(rows):
            following = rows[index + 1] if index + 1 < len(rows) else None
            if not ours:  # another batch took it after our lease ended: leave it alone
                ours = following is not None and record_and_start(None, following, lease)
                continue
            result = _send_one(mailer, compiled, row, account)
            now = timezone.now()
            fields = outcome_fields(row, result, now, cfg)
            stop = ""
            if result.outcome is Outcome.AUTH:
                stop, auth_result = "auth", result
            elif result.outcome is Outcome.THROTTLED:
                stop, throttled = "throttled", True
            elif result.outcome is Outcome.CONNECTION:
                connection_failures += 1
                if connection_failures >= CONNECTION_FAILURES_TO_STOP:
                    stop = "connection"
            else:
                connection_failures = 0
            ours = record_and_start((row.pk, fields), None if stop else following, lease)
            _count(batch, counts, row, fields["status"])
            if result.outcome in (Outcome.SENT, Outcome.PERMANENT):
                consumed += 1  # what the server took counts against the limit
            if result.outcome is Outcome.PERMANENT and BAD_ADDRESS.search(
                f"{result.message} {result.detail}"
            ):
                Suppression.suppress(row.email, Suppression.Reason.BOUNCED, result.message)
            if stop:
                batch.stopped = stop
                _release([r.pk for r in rows[index + 1 :]], lease, forget_account=stop == "auth")
                break
        batch.connections = mailer.connections_opened
    return consumed, throttled, auth_result


def _send_one(mailer, compiled, row, account) -> SendResult:
    try:
        if row.mailing_id not in compiled:
            compiled[row.mailing_id] = compile_message(row.mailing)
        message = compiled[row.mailing_id].render(row, account)
    except Exception as exc:  # noqa: BLE001 - a broken template or address fails this row alone
        log.warning("cannot render mailing %s for %s: %s", row.mailing_id, row.email, exc)
        return SendResult(Outcome.PERMANENT, None, f"Could not build the message: {exc}"[:200], repr(exc))
    return mailer.send(message, to_addrs=[row.email.strip()])


def _count(batch, counts, row, status):
    counter = counts.setdefault(row.mailing_id, Counter())
    if status == Status.SENT:
        batch.sent += 1
        counter["sent_count"] += 1
    elif status == Status.FAILED:
        batch.failed += 1
        counter["failed_count"] += 1
    else:
        batch.retry += 1


def _release(pks, lease, forget_account=False):
    """Give leased rows back (a batch stopped early); they keep their account unless it failed."""
    if not pks:
        return
    fields = {"claimed_at": None}
    if forget_account:
        fields["account"] = None
    MailingRecipient.objects.filter(pk__in=pks, status=Status.PENDING, claimed_at=lease).update(**fields)


def _settle_account(reservation, consumed, throttled, cfg):
    """Give back the quota this batch did not use, and pace the next batch on what it did send."""
    unused = reservation.granted - consumed
    fields = {}
    if consumed:
        fields["last_sent_at"] = timezone.now()
    if unused:
        fields["sent_today"] = Greatest(F("sent_today") - unused, 0)
        pause = datetime.timedelta(seconds=jittered(reservation.interval * max(consumed, 1)))
        fields["next_send_at"] = reservation.at + pause
    if throttled:
        fields["next_send_at"] = timezone.now() + THROTTLE_PAUSE / max(settings.DEMO_TIME_COMPRESSION, 1)
    if fields:
        EmailAccount.objects.filter(pk=reservation.account.pk, sent_today_date=reservation.day).update(
            **fields
        )


# --- errors and the end of mailings ------------------------------------------------------------


def mailings_served_by(account):
    """Running mailings whose owner may send through the account."""
    grantees = account.grants.sending().values("user_id")
    return Mailing.objects.filter(Q(owner_id=account.owner_id) | Q(owner_id__in=grantees), status__in=RUNNING)


def disable_account(account, result, now=None):
    """The server refused the login: the account stops, its mailings say so, rows move on."""
    record_auth_failure(account, result.message)
    # Rows waiting for this account may go through another one of their owner.
    MailingRecipient.objects.filter(account=account, status=Status.PENDING).update(
        account=None, claimed_at=None
    )
    mailings = list(mailings_served_by(account))
    text = f"Sending through {account.email} stopped: the server refused the login ({result.message})."
    for mailing in mailings:
        Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.ACTIVE).update(
            status=Mailing.Status.ACTIVE_ERROR
        )
        notify_mailing(mailing, text, level=MailingNotification.Level.ERROR)
    interrupt_stranded([m.pk for m in mailings])


def usable_accounts_for(owner_id):
    return EmailAccount.objects.sendable_by(owner_id).filter(
        is_active=True,
        massmail=True,
        daily_limit__gt=0,
    )


def interrupt_stranded(mailing_ids=None) -> int:
    """Running mailings with pending rows that no usable account may send become `interrupted`."""
    mailings = Mailing.objects.filter(status__in=RUNNING)
    if mailing_ids is not None:
        mailings = mailings.filter(pk__in=mailing_ids)
    interrupted = 0
    for mailing in mailings.filter(
        Exists(MailingRecipient.objects.filter(mailing=OuterRef("pk"), status=Status.PENDING))
    ):
        usable = usable_accounts_for(mailing.owner_id)
        if usable.filter(is_main=False).exists():
            continue
        pending = MailingRecipient.objects.filter(mailing=mailing, status=Status.PENDING)
        if usable.exists() and not pending.filter(is_vip=False).exists():
            continue  # only VIPs are left, and a main account can send them
        changed = Mailing.objects.filter(pk=mailing.pk, status__in=RUNNING).update(
            status=Mailing.Status.INTERRUPTED
        )
        if changed:
            interrupted += 1
            notify_mailing(
                mailing,
                "Interrupted: no active mailing account is left to send the remaining recipients. "
                "Re-connect or add an account, then resume the mailing.",
                level=MailingNotification.Level.ERROR,
            )
    return interrupted


def finish_done_mailings(mailing_ids, account=None) -> int:
    """Mailings with no pending or sending row left become `done`; their owner is notified."""
    done = 0
    for mailing_id in mailing_ids:
        if MailingRecipient.objects.filter(
            mailing_id=mailing_id, status__in=(Status.PENDING, Status.SENDING)
        ).exists():
            continue
        changed = Mailing.objects.filter(pk=mailing_id, status__in=RUNNING).update(
            status=Mailing.Status.DONE, finished_at=timezone.now()
        )
        if not changed:
            continue
        done += 1
        mailing = Mailing.objects.get(pk=mailing_id)
        figures = f"{mailing.sent_count} sent, {mailing.failed_count} failed, {mailing.skipped_count} skipped"
        notify_mailing(mailing, f"Done: {figures}.")
        if account is not None:
            notify_account(
                account, f"Mailing “{mailing}” is done: {figures}.", level=AccountNotification.Level.INFO
            )
    return done


# --- the janitor ----------------------------------------------------------------------------


def mark_stuck_uncertain(now=None, timeout=SENDING_TIMEOUT) -> int:
    """Rows left `sending` by a dead worker become `uncertain`: they may or may not have gone
    out, so they are never resent on their own (see README, Operators)."""
    now = now or timezone.now()
    stuck = MailingRecipient.objects.filter(status=Status.SENDING, claimed_at__lt=now - timeout)
    by_mailing = Counter(stuck.values_list("mailing_id", flat=True))
    changed = stuck.update(
        status=Status.UNCERTAIN,
        last_error="The worker stopped while sending; it may or may not have been delivered.",
    )
    for mailing_id, count in by_mailing.items():
        mailing = Mailing.objects.filter(pk=mailing_id).first()
        if mailing is not None:
            notify_mailing(
                mailing,
                f"{count} message(s) may or may not have been delivered (a worker stopped while "
                "sending); they are marked uncertain and will not be resent automatically.",
                level=MailingNotification.Level.ERROR,
            )
    if by_mailing:
        finish_done_mailings(by_mailing.keys())
    return changed


def finish_idle_mailings() -> int:
    """Running mailings with nothing pending or sending (e.g. the last rows turned uncertain)."""
    idle = Mailing.objects.filter(status__in=RUNNING).exclude(
        Exists(
            MailingRecipient.objects.filter(
                mailing=OuterRef("pk"), status__in=(Status.PENDING, Status.SENDING)
            )
        )
    )
    return finish_done_mailings(list(idle.values_list("pk", flat=True)))


def reset_daily_counters(now=None) -> int:
    """Zero the counters of accounts whose day (in the settings' time zone) has changed."""
    today = local_today(now)
    return (
        EmailAccount.objects.exclude(sent_today_date=today)
        .exclude(sent_today=0)
        .update(sent_today=0, sent_today_date=today)
    )


def resolve_uncertain(rows, as_sent: bool) -> int:
    """An operator's decision on `uncertain` rows: they were delivered (sent) or not (pending again)."""
    rows = rows.filter(status=Status.UNCERTAIN)
    mailing_ids = set(rows.values_list("mailing_id", flat=True))
    if as_sent:
        changed = rows.update(status=Status.SENT, sent_at=timezone.now(), last_error="")
        for mailing_id in mailing_ids:
            sent = MailingRecipient.objects.filter(mailing_id=mailing_id, status=Status.SENT).count()
            Mailing.objects.filter(pk=mailing_id).update(sent_count=sent)
        finish_done_mailings(mailing_ids)
    else:
        changed = rows.update(status=Status.PENDING, claimed_at=None, last_error="", next_attempt_at=None)
        Mailing.objects.filter(pk__in=mailing_ids, status=Mailing.Status.DONE).update(
            status=Mailing.Status.ACTIVE, finished_at=None
        )
    return changed
