"""Celery wrappers of the drip engine: ids in, plain functions called (see massmail.sending)."""

from celery import shared_task

from massmail import health, scheduling, sending, starting

# A send_batch task that waited this long is stale: the next plan tick makes a fresh one.
BATCH_EXPIRES_SECONDS = 60


@shared_task(ignore_result=True)
def plan_sends():
    """Beat, every few seconds: one send_batch per due account."""
    starting.start_due_mailings()
    due = scheduling.due_accounts()
    for item in due:
        send_batch.apply_async((item.account_id, item.batch), expires=BATCH_EXPIRES_SECONDS)
    health.record_beat_tick()  # /healthz: beat, the broker and a worker are alive
    return len(due)


@shared_task(ignore_result=True)
def send_batch(account_id, n):
    return str(sending.send_batch(account_id, n))


@shared_task(ignore_result=True)
def release_stuck_sends():
    """Janitor: rows left `sending` by dead workers -> `uncertain`; finish idle mailings,
    interrupt those no account can send any more."""
    stuck = sending.mark_stuck_uncertain()
    done = sending.finish_idle_mailings()
    interrupted = sending.interrupt_stranded()
    return {"uncertain": stuck, "done": done, "interrupted": interrupted}


@shared_task(ignore_result=True)
def reset_daily_counters():
    """Idempotent: resets only accounts whose day in the settings' time zone has changed, so
    running it every few minutes resets them just after that zone's midnight."""
    return sending.reset_daily_counters()
