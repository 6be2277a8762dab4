import datetime

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone

from correspondence.models import EmailTemplateQuerySet, Signature
from crm.files import RandomName
from crm.models import LogEntry
from crm.roles import Role, role_of
from crm.scoping import AuthoredQuerySet, DepartmentFromOwner, OwnedQuerySet
from mailkit.bounce_reasons import Reason as BounceReason


class Message(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500)
    body = models.TextField(help_text="HTML. Must contain {{ unsubscribe_url }}.")
    signature = models.ForeignKey(Signature, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuthoredQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return self.name or self.subject


class MessageAttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Attachments of messages the user may see (the download view, crm/files.py)."""
        return self.filter(message__in=Message.objects.visible_to(user))


class MessageAttachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=RandomName("message_attachments"))
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    inline = models.BooleanField(default=False, help_text="An inline image referenced as cid:<content_id>")
    content_id = models.CharField(max_length=255, blank=True)

    objects = MessageAttachmentQuerySet.as_manager()

    def __str__(self):
        return self.filename


class RecipientType(models.TextChoices):
    COMPANIES = "companies", "Companies"
    CONTACTS = "contacts", "Contacts"
    LEADS = "leads", "Leads"


class MailingQuerySet(OwnedQuerySet):
    def visible_to(self, user):
        """Sales managers and heads see their department's mailings; company managers all."""
        role = role_of(user)
        if role is None:
            return self.none()
        if role is Role.COMPANY_MANAGER:
            return self
        if user.department_id is None:
            return self.filter(owner=user)
        return self.filter(department_id=user.department_id)

    def editable_by(self, user):
        """Pausing, resuming, restarting: a sales manager only their own mailings."""
        if role_of(user) is Role.SALES_MANAGER:
            return self.filter(owner=user)
        return super().editable_by(user)


class Mailing(DepartmentFromOwner):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ACTIVE_ERROR = "active_error", "Active, with errors"
        PAUSED = "paused", "Paused"
        INTERRUPTED = "interrupted", "Interrupted"
        DONE = "done", "Done"
        SCHEDULED = "scheduled", "Scheduled"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailings")
    department = models.ForeignKey("crm.Department", null=True, blank=True, on_delete=models.SET_NULL)
    name = models.CharField(max_length=200, blank=True)
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="mailings")
    recipient_type = models.CharField(max_length=20, choices=RecipientType.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    recipients_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A scheduled mailing (status `scheduled`) becomes active at this time (massmail.starting).
    start_at = models.DateTimeField(null=True, blank=True)

    objects = MailingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name or f"Mailing #{self.pk}"

    # For templates, which cannot name the choices: which buttons the mailing's page shows.
    @property
    def is_running(self):
        return self.status in RUNNING

    @property
    def is_scheduled(self):
        return self.status == self.Status.SCHEDULED

    @property
    def is_stopped(self):
        return self.status in (self.Status.PAUSED, self.Status.INTERRUPTED)


# A mailing that is sending: the drip plans for it (`status__in=RUNNING` in queries).
RUNNING = (Mailing.Status.ACTIVE, Mailing.Status.ACTIVE_ERROR)


class MailingNotification(LogEntry):
    """The mailing's log of errors and completion."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="notifications")


def _loose_link(to):
    """A nullable link of a recipient row, with no database constraint and no full index
    (the reasons are at MailingRecipient's record links)."""
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )


class MailingRecipientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The rows of the mailings the user sees."""
        return self.filter(mailing__in=Mailing.objects.visible_to(user))

    def tracked(self, pk):
        """The row an open or click token names (registered with correspondence.tracking)."""
        return self.filter(pk=pk).only("id", "mailing_id", "sent_at").first()

    def by_message_ids(self, ids):
        """{Message-ID: row} of what we sent (registered with correspondence.linking)."""
        ids = list(ids)
        if not ids:
            return {}
        found = {}
        for row in self.filter(message_id__in=ids).select_related("contact__company", "company", "lead"):
            found.setdefault(row.message_id, row)
        return found


class MailingRecipient(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        UNCERTAIN = "uncertain", "Uncertain"

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="recipients")
    # A row has one of company/contact/lead, and no account until it is sent: these foreign
    # keys get partial indexes (see Meta) rather than full ones that index millions of NULLs.
    # They are references kept without a database constraint: a constraint costs a trigger
    # per row and key (four per recipient, fired at commit: 18 of the 55 s bench.audience took
    # for 1,000,000 contacts). Deleting a record or an account through Django sets them NULL
    # (on_delete); the row keeps its `email` and `record` is None for a link that is gone.
    # The link to the mailing keeps its constraint.
    company = _loose_link("crm.Company")
    contact = _loose_link("crm.Contact")
    lead = _loose_link("crm.Lead")
    email = models.CharField(
        max_length=254, blank=True, help_text="The address as it was when the mailing was made"
    )
    is_vip = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    skip_reason = models.CharField(max_length=100, blank=True)
    account = _loose_link("mailaccounts.EmailAccount")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    error_detail = models.TextField(blank=True)
    # What came back (massmail/returns.py): the bounce's reason (mailkit.bounce_reasons.Reason)
    # and diagnostic, or the moment the recipient complained.
    bounce_reason = models.CharField(
        max_length=20, blank=True, choices=BounceReason.choices(), default="", db_default=""
    )
    bounce_diagnostic = models.CharField(max_length=500, blank=True, default="", db_default="")
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)

    objects = MailingRecipientQuerySet.as_manager()

    class Meta:
        constraints = [
            # One message per address per mailing, also after mailings are combined.
            models.UniqueConstraint(
                fields=["mailing", "email"], condition=~Q(email=""), name="mailingrecipient_unique_address"
            )
        ]
        indexes = [
            # The sender's claim: pending rows of a mailing, oldest retry first.
            models.Index(
                fields=["mailing", "next_attempt_at"],
                condition=Q(status="pending"),
                name="recipient_pending_idx",
            ),
            # The drip plan's EXISTS for main accounts: a pending VIP of a mailing, found
            # without reading its other pending rows.
            models.Index(
                fields=["mailing", "next_attempt_at"],
                condition=Q(status="pending", is_vip=True),
                name="recipient_pending_vip_idx",
            ),
            # The janitor: rows left in `sending` past a timeout.
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="recipient_sending_idx"),
            # The mailings page's "sent today" per mailing and the reports' daily series.
            models.Index(
                fields=["mailing", "sent_at"],
                condition=Q(sent_at__isnull=False),
                name="recipient_sent_at_idx",
            ),
            # Bounce matching by our Message-ID.
            models.Index(fields=["message_id"], condition=~Q(message_id=""), name="recipient_message_id_idx"),
            # Deleting a record or an account (SET NULL) and the account's usage chart.
            *(
                models.Index(fields=[fk], condition=Q(**{f"{fk}__isnull": False}), name=f"recipient_{fk}_idx")
                for fk in ("company", "contact", "lead", "account")
            ),
        ]

    def __str__(self):
        return self.email

    @property
    def record(self):
        """The Contact, Lead or Company of the row; None when it was deleted."""
        for link in ("contact", "lead", "company"):
            try:
                record = getattr(self, link)
            except ObjectDoesNotExist:  # deleted outside Django's on_delete (no constraint)
                continue
            if record is not None:
                return record
        return None


def normalize_email(address):
    return (address or "").strip().lower()


class SuppressionQuerySet(models.QuerySet):
    def states_of(self, addresses):
        """{address: (reason, since)} (registered with correspondence.reports)."""
        rows = self.filter(email__in=list(addresses)).values_list("email", "reason", "created_at")
        return {email: (reason, created) for email, reason, created in rows}


class Suppression(models.Model):
    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Hard bounce"
        SOFT_BOUNCED = "soft_bounced", "Repeated soft bounces"
        COMPLAINED = "complained", "Complaint"
        MANUAL = "manual", "Added by hand"

    email = models.CharField(max_length=254, unique=True, help_text="Lower-cased")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    # Raw SQL inserts rows too (bench, tests): the database fills in the default.
    bounce_reason = models.CharField(
        max_length=20, blank=True, choices=BounceReason.choices(), default="", db_default=""
    )
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} ({self.reason})"

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @classmethod
    def suppress(cls, email, reason, detail="", bounce_reason=""):
        obj, _ = cls.objects.get_or_create(
            email=normalize_email(email),
            defaults={"reason": reason, "detail": detail[:500], "bounce_reason": bounce_reason},
        )
        return obj


class SuppressionLift(models.Model):
    """A suppression a superuser lifted, with their note: the record of the lift."""

    email = models.CharField(max_length=254, db_index=True)
    reason = models.CharField(max_length=20, choices=Suppression.Reason.choices)
    bounce_reason = models.CharField(max_length=20, blank=True, choices=BounceReason.choices())
    detail = models.CharField(max_length=500, blank=True)
    suppressed_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500)

    class Meta:
        ordering = ["-lifted_at"]

    def __str__(self):
        return f"{self.email} lifted"


class Bounce(models.Model):
    """One bounce of an address (soft ones are counted over SOFT_BOUNCE_DAYS)."""

    email = models.CharField(max_length=254)
    reason = models.CharField(max_length=20, choices=BounceReason.choices())
    hard = models.BooleanField()
    diagnostic = models.CharField(max_length=500, blank=True)
    recipient = models.ForeignKey(MailingRecipient, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["email", "created_at"], name="bounce_email_idx")]

    def __str__(self):
        return f"{self.email} ({self.reason})"


def default_non_working_days():
    return [4, 5, 6]  # Friday, Saturday, Sunday (Monday is 0)


class MassmailSettings(models.Model):
    """A singleton edited in the admin. `MassmailSettings.load()` gives defaults when no row exists."""

    use_business_time = models.BooleanField(default=True)
    business_start = models.TimeField(default=datetime.time(9, 0))
    business_end = models.TimeField(default=datetime.time(18, 0))
    time_zone = models.CharField(max_length=64, default="UTC", help_text="An IANA name, e.g. Europe/Berlin")
    non_working_days = models.JSONField(
        default=default_non_working_days, blank=True, help_text="Weekday numbers, Monday = 0"
    )
    unsubscribe_redirect_url = models.URLField(blank=True)
    unsubscribe_mailto = models.EmailField(blank=True, help_text="Adds a mailto: to List-Unsubscribe")
    default_daily_limit = models.PositiveIntegerField(default=100)

    class Meta:
        verbose_name = verbose_name_plural = "massmail settings"

    def __str__(self):
        return "Massmail settings"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class SegmentQuerySet(EmailTemplateQuerySet):
    """Own or shared, as templates are; a segment's user needs a CRM role."""

    def visible_to(self, user):
        """A user's own segments and the shared ones (whose records each user sees in their scope)."""
        return self.none() if role_of(user) is None else super().visible_to(user)


class Segment(models.Model):
    """A named, saved set of filters over Companies, Contacts or Leads: a dynamic audience
    whose records are found again each time (massmail/segments.py)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=200)
    is_shared = models.BooleanField("shared with the team", default=False)
    recipient_type = models.CharField(
        max_length=10, choices=RecipientType.choices, default=RecipientType.CONTACTS
    )
    filters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
