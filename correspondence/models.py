"""One-to-one mail: stored messages, their attachments, templates, signatures, the user's
notifications, and open/click tracking.

The tables were made by `crm` and `massmail` and keep their names (`Meta.db_table`): the
move to this app changed no row (migrations correspondence 0001 and 0002).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from correspondence.threads import thread_key_for
from crm.files import RandomName
from crm.models import Company, Contact, Deal, Lead, Request
from crm.scoping import AuthoredQuerySet
from mailaccounts.models import EmailAccount


class Signature(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signatures")
    name = models.CharField(max_length=100)
    body = models.TextField(help_text="HTML. Variables: {{ user.name }}, {{ user.email }}…")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuthoredQuerySet.as_manager()

    class Meta:
        db_table = "massmail_signature"
        ordering = ["name"]

    def __str__(self):
        return self.name


class CrmEmailQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Mail linked to a record the user may see, and mail of accounts they may read."""
        q = models.Q(account__in=EmailAccount.objects.readable_by(user))
        for field, model in (
            ("request", Request),
            ("deal", Deal),
            ("contact", Contact),
            ("company", Company),
            ("lead", Lead),
        ):
            q |= models.Q(**{f"{field}__in": model.objects.visible_to(user)})
        return self.filter(q)


class EmailTemplateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A user's own templates and every shared one."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(models.Q(owner=user) | models.Q(is_shared=True))

    def editable_by(self, user):
        return self if user.is_superuser else self.filter(owner=user)


class EmailTemplate(models.Model):
    """A one-to-one email template; the same `{{ variables }}` as mailings."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_templates"
    )
    name = models.CharField(max_length=200)
    is_shared = models.BooleanField("shared with the team", default=False)
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True, help_text="HTML with {{ variables }}")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EmailTemplateQuerySet.as_manager()

    class Meta:
        db_table = "crm_emailtemplate"
        ordering = ["name"]

    def __str__(self):
        return self.name


class CrmEmail(models.Model):
    """One stored message, incoming or outgoing."""

    class Direction(models.TextChoices):
        INCOMING = "in", "Incoming"
        OUTGOING = "out", "Outgoing"

    class Status(models.TextChoices):
        STORED = "", "Stored"  # imported over IMAP, or sent before statuses existed
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    account = models.ForeignKey(
        EmailAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.INCOMING)
    folder = models.CharField(max_length=200, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    subject = models.CharField(max_length=998, blank=True)
    sender = models.CharField(max_length=320, blank=True)
    recipients = models.TextField(blank=True, help_text="To addresses, comma-separated")
    cc = models.TextField(blank=True)
    bcc = models.TextField(blank=True)
    date = models.DateTimeField(null=True, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True, help_text="Sanitized")
    is_read = models.BooleanField(default=False)
    is_auto_reply = models.BooleanField(default=False)
    request = models.ForeignKey(
        Request, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    deal = models.ForeignKey(Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Composing and sending one-to-one mail (correspondence/compose.py).
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STORED, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    track_opens = models.BooleanField(default=False)
    track_clicks = models.BooleanField(default=False)
    read_receipt = models.BooleanField("request a read receipt", default=False)
    template = models.ForeignKey(
        EmailTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    signature = models.ForeignKey(
        Signature, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_error = models.CharField(max_length=500, blank=True)
    error_detail = models.TextField(blank=True)

    # The inbox (correspondence/inbox.py): conversation, assignment in shared mailboxes, notifications.
    thread_key = models.CharField(max_length=998, blank=True, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_emails",
    )
    routed_at = models.DateTimeField(null=True, blank=True)

    objects = CrmEmailQuerySet.as_manager()

    class Meta:
        db_table = "crm_crmemail"
        ordering = ["-date", "-id"]
        verbose_name = "email"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "folder", "uid"],
                condition=models.Q(uid__isnull=False),
                name="crmemail_unique_account_folder_uid",
            )
        ]
        indexes = [
            # send_scheduled_emails: scheduled mail whose time has come.
            models.Index(
                fields=["scheduled_at"], condition=models.Q(status="scheduled"), name="crmemail_scheduled_idx"
            ),
            # route_new_mail: incoming mail not yet assigned and notified.
            models.Index(
                fields=["created_at"],
                condition=models.Q(direction="in", routed_at__isnull=True),
                name="crmemail_unrouted_idx",
            ),
        ]

    def __str__(self):
        return self.subject or "(no subject)"

    def save(self, *args, **kwargs):
        # The thread key is always stored, so the inbox groups by an indexed column.
        if not self.thread_key or self.thread_key == self.own_key:
            key = thread_key_for(self) or self.own_key
            if key != self.thread_key and kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "thread_key"}
            self.thread_key = key
        super().save(*args, **kwargs)
        if not self.thread_key:  # a new message without a Message-ID: its own conversation
            self.thread_key = self.own_key
            type(self).objects.filter(pk=self.pk).update(thread_key=self.thread_key)

    @property
    def own_key(self):
        """The thread key of a message that names no conversation yet (no Message-ID)."""
        return f"#{self.pk}" if self.pk else ""

    @property
    def record(self):
        return self.request or self.deal or self.contact or self.lead or self.company

    # For templates, which cannot name the choices: the status and direction checks they make.
    @property
    def is_outgoing(self):
        return self.direction == self.Direction.OUTGOING

    @property
    def is_scheduled(self):
        return self.status == self.Status.SCHEDULED

    @property
    def is_sent(self):
        return self.status == self.Status.SENT


class CrmEmailAttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Attachments of mail the user may see (the download view, crm/files.py)."""
        return self.filter(email__in=CrmEmail.objects.visible_to(user))


class CrmEmailAttachment(models.Model):
    email = models.ForeignKey(CrmEmail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    size = models.PositiveIntegerField(default=0, help_text="Size of the original part in bytes")
    file = models.FileField(upload_to=RandomName("attachments"), blank=True)
    content_id = models.CharField(max_length=255, blank=True)
    truncated = models.BooleanField(default=False, help_text="Over the size cap: not stored")

    objects = CrmEmailAttachmentQuerySet.as_manager()

    class Meta:
        db_table = "crm_crmemailattachment"

    def __str__(self):
        return self.filename


class Notification(models.Model):
    """What a user is told about their mail: a new email, an assignment, a failed send."""

    class Kind(models.TextChoices):
        NEW_EMAIL = "new_email", "New email"
        ASSIGNED = "assigned", "Assigned to you"
        SEND_FAILED = "send_failed", "Sending failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    email = models.ForeignKey(CrmEmail, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=500)
    is_read = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "crm_notification"
        ordering = ["-created_at"]
        indexes = [
            # The unread badge and the digest: a user's unread notifications.
            models.Index(
                fields=["user", "created_at"],
                condition=models.Q(is_read=False),
                name="notification_unread_idx",
            )
        ]

    def __str__(self):
        return self.text


class TrackedLink(models.Model):
    """A link as it was in one sent message; a click token names this row, never a URL.

    Links of a mailing are shared by its recipients; links of a one-to-one email are its own.
    Tracking serves mailings too: the links to massmail's rows are named by label, not
    imported (the tables are one, as they were), and massmail registers how its rows are
    found (correspondence.tracking.register_recipient_finder).
    """

    mailing = models.ForeignKey(
        "massmail.Mailing", null=True, blank=True, on_delete=models.CASCADE, related_name="tracked_links"
    )
    crm_email = models.ForeignKey(
        CrmEmail, null=True, blank=True, on_delete=models.CASCADE, related_name="tracked_links"
    )
    url = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "massmail_trackedlink"
        constraints = [
            models.UniqueConstraint(
                fields=["mailing", "url"], condition=Q(mailing__isnull=False), name="trackedlink_mailing_url"
            ),
            models.UniqueConstraint(
                fields=["crm_email", "url"],
                condition=Q(crm_email__isnull=False),
                name="trackedlink_email_url",
            ),
        ]

    def __str__(self):
        return self.url


class TrackingEvent(models.Model):
    """One fetch of an open pixel or one click of a tracked link, as it happened."""

    class Kind(models.TextChoices):
        OPEN = "open", "Open"
        CLICK = "click", "Click"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    mailing_recipient = models.ForeignKey(
        "massmail.MailingRecipient",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tracking_events",
    )
    crm_email = models.ForeignKey(
        CrmEmail, null=True, blank=True, on_delete=models.CASCADE, related_name="tracking_events"
    )
    link = models.ForeignKey(
        TrackedLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    url = models.TextField(blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True, help_text="Keyed hash: no address is stored")
    is_machine = models.BooleanField(default=False, help_text="A privacy proxy or a link scanner")
    machine_reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Opens only: who fetched (keyed hash of address, user agent and method) and the start of
    # the counting window the fetch fell in. One open per message, client and window.
    client_hash = models.CharField(max_length=32, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "massmail_trackingevent"
        ordering = ["created_at"]
        indexes = [
            # Reports: events of a mailing's recipients / of one email, by kind.
            models.Index(fields=["mailing_recipient", "kind"], name="trackingevent_recipient_idx"),
            models.Index(fields=["crm_email", "kind"], name="trackingevent_email_idx"),
        ]
        constraints = [
            # correspondence.tracking.record_event: INSERT … ON CONFLICT DO NOTHING against these,
            # so a repeated fetch of one pixel by one client costs one index probe and writes nothing.
            models.UniqueConstraint(
                fields=["mailing_recipient", "client_hash", "window_start"],
                condition=models.Q(kind="open"),
                name="trackingevent_recipient_open_once",
            ),
            models.UniqueConstraint(
                fields=["crm_email", "client_hash", "window_start"],
                condition=models.Q(kind="open"),
                name="trackingevent_email_open_once",
            ),
        ]

    def __str__(self):
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"
