"""/metrics: the installation's figures in Prometheus' text format.

The mail figures are read from the database when scraped (one aggregate query per family,
`DatabaseFigures`), so every web process gives the same answer whichever one is asked.
Request latency comes from django-prometheus' middleware: per process, or across gunicorn's
workers when PROMETHEUS_MULTIPROC_DIR is set (prometheus-client's multiprocess mode).

Readable with `Authorization: Bearer $METRICS_TOKEN`, or from a client address in
METRICS_ALLOWED_NETWORKS; with neither configured the endpoint does not exist (404).
"""

import hmac
import ipaddress
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Case, CharField, Count, Value, When
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from mailaccounts.models import EmailAccount
from massmail.models import Bounce, MailingRecipient, Suppression

Status = MailingRecipient.Status
NO_ACCOUNT = "none"
# What a failed row's `last_error` starts with, by who wrote it (massmail.sending,
# massmail.returns): a few fixed reasons, so the label stays small.
FAILURE_REASONS = [
    ("Bounced", "bounce"),
    ("Gave up after ", "gave_up"),
    ("Could not build the message", "render"),
]
# The ARF feedback type of a complaint: until reports are read for it, every complaint is abuse.
COMPLAINT_KIND = "abuse"


# --- access --------------------------------------------------------------------------------


class Access:
    ALLOWED, DENIED, DISABLED = "allowed", "denied", "disabled"


def access_of(request) -> str:
    """May this request read the metrics? A token compared in constant time, or a network."""
    token, networks = settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS
    if not token and not networks:
        return Access.DISABLED
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode()):
        return Access.ALLOWED
    if networks and in_networks(request.META.get("REMOTE_ADDR", ""), networks):
        return Access.ALLOWED
    return Access.DENIED


def in_networks(address, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    try:
        parsed = [ipaddress.ip_network(cidr.strip(), strict=False) for cidr in networks]
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from exc
    return any(ip in network for network in parsed)


# --- figures from the database -------------------------------------------------------------


def _label(account_id):
    return NO_ACCOUNT if account_id is None else str(account_id)


def failure_reason():
    """SQL: the `reason` label of a failed row, from how its error starts."""
    return Case(
        *(When(last_error__startswith=prefix, then=Value(reason)) for prefix, reason in FAILURE_REASONS),
        default=Value("refused"),  # the server refused it (a 5xx reply)
        output_field=CharField(),
    )


def messages_sent():
    family = CounterMetricFamily(
        "mailcrm_messages_sent", "Mailing messages the server accepted, by account", labels=["account"]
    )
    rows = MailingRecipient.objects.filter(status=Status.SENT).values("account_id").annotate(n=Count("id"))
    for row in rows.order_by():
        family.add_metric([_label(row["account_id"])], row["n"])
    return family


def messages_failed():
    family = CounterMetricFamily(
        "mailcrm_messages_failed",
        "Mailing messages that failed for good, by account and reason (refused, bounce, gave_up, render)",
        labels=["account", "reason"],
    )
    rows = (
        MailingRecipient.objects.filter(status=Status.FAILED)
        .annotate(reason=failure_reason())
        .values("account_id", "reason")
        .annotate(n=Count("id"))
    )
    for row in rows.order_by():
        family.add_metric([_label(row["account_id"]), row["reason"]], row["n"])
    return family


def recipients_in(status, name, text):
    return GaugeMetricFamily(name, text, value=MailingRecipient.objects.filter(status=status).count())


def accounts_needing_reconnect():
    count = EmailAccount.objects.filter(needs_reconnect=True).count()
    return GaugeMetricFamily(
        "mailcrm_accounts_needing_reconnect", "Accounts whose server refused the login", value=count
    )


def imap_sync_lag():
    """Seconds since each importing account last synced (since it was added, if never)."""
    family = GaugeMetricFamily(
        "mailcrm_imap_sync_lag_seconds", "Seconds since the account's last IMAP sync", labels=["account"]
    )
    now = timezone.now()
    rows = EmailAccount.objects.filter(do_import=True, is_active=True).values_list(
        "pk", "last_sync_at", "created_at"
    )
    for pk, last_sync_at, created_at in rows.order_by():
        family.add_metric([str(pk)], (now - (last_sync_at or created_at)).total_seconds())
    return family


def bounces():
    """Bounces read from returned mail (massmail.returns), by kind: hard or soft."""
    family = CounterMetricFamily("mailcrm_bounces", "Bounces received, by kind (hard, soft)", labels=["kind"])
    rows = Bounce.objects.values("hard").annotate(n=Count("id")).order_by()
    counts = {"hard": 0, "soft": 0} | {("hard" if row["hard"] else "soft"): row["n"] for row in rows}
    for kind, n in counts.items():
        family.add_metric([kind], n)
    return family


def complaints():
    family = CounterMetricFamily(
        "mailcrm_complaints", "Complaints (feedback reports), by kind", labels=["kind"]
    )
    family.add_metric(
        [COMPLAINT_KIND], Suppression.objects.filter(reason=Suppression.Reason.COMPLAINED).count()
    )
    return family


class DatabaseFigures:
    """A prometheus-client collector: each scrape reads the current figures."""

    def collect(self):
        yield messages_sent()
        yield messages_failed()
        yield recipients_in(Status.PENDING, "mailcrm_recipients_pending", "Recipient rows waiting to be sent")
        yield recipients_in(
            Status.UNCERTAIN,
            "mailcrm_recipients_uncertain",
            "Recipient rows whose worker died mid-send (resolve_uncertain)",
        )
        yield accounts_needing_reconnect()
        yield imap_sync_lag()
        yield bounces()
        yield complaints()


def exposition() -> bytes:
    """The text a scrape reads: the database figures and the request metrics."""
    registry = CollectorRegistry()
    registry.register(DatabaseFigures())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # every gunicorn worker's request metrics
    else:
        registry.register(REGISTRY)
    return generate_latest(registry)
