from django.conf import settings
from django.db import models
from django.db.models import Case, OuterRef, Q, Value, When
from django.utils import timezone

from crm.models import LogEntry
from crm.roles import Role, role_of
from mailaccounts.crypto import EncryptedTextField


class Security(models.TextChoices):
    NONE = "none", "None (plain)"
    STARTTLS = "starttls", "STARTTLS"
    SSL = "ssl", "SSL/TLS"


class Access(models.TextChoices):
    FULL = "full", "Full (send and read)"
    SEND = "send", "Send only"
    READ = "read", "Read only"


# The accesses of a grant that let its user send through the shared account, and read its mail.
SEND_ACCESS = (Access.FULL, Access.SEND)
READ_ACCESS = (Access.FULL, Access.READ)


class EmailAccountQuerySet(models.QuerySet):
    def _granted(self, user, accesses):
        return Q(grants__user=user, grants__access__in=accesses)

    def visible_to(self, user):
        """Accounts a user may see on the /crm/ site: their own and those granted to them."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        role = role_of(user)
        if role is Role.COMPANY_MANAGER:
            return self
        mine = Q(owner=user) | Q(grants__user=user)
        if role is Role.DEPARTMENT_HEAD and user.department_id:
            # A head sees (not edits, not sends through) the accounts of their department's people.
            mine |= Q(owner__department_id=user.department_id)
        return self.filter(mine).distinct()

    def sendable_by(self, user):
        """The one rule of which accounts a user may send through: their own, and shared ones
        granted to them with full or send access.

        `user` is a User or a user id; a list of ids (accounts any of them may send through);
        or an OuterRef to a user id, when the rule is part of a subquery."""
        if isinstance(user, list | tuple | set):
            owner, grantee = Q(owner_id__in=user), {"user_id__in": user}
        elif isinstance(user, OuterRef):
            owner, grantee = Q(owner_id=user), {"user_id": OuterRef(user)}  # one level deeper
        else:
            pk = getattr(user, "pk", user)
            if pk is None:  # an anonymous user sends through nothing (and owns no shared account)
                return self.none()
            owner, grantee = Q(owner_id=pk), {"user_id": pk}
        granted = AccountGrant.objects.sending().filter(**grantee).values("account_id")
        return self.filter(owner | Q(pk__in=granted))

    def default_for(self, user):
        """The account a user's mail goes out through unless they choose: their default
        account, else one of their own, else a shared one; only accounts that can send now."""
        mine = Case(
            When(owner_id=user.pk, is_default=True, then=Value(0)),
            When(owner_id=user.pk, then=Value(1)),
            default=Value(2),
        )
        usable = self.sendable_by(user).filter(is_active=True, needs_reconnect=False)
        return usable.order_by(mine, "pk").first()

    def editable_by(self, user):
        """Accounts whose settings a user may change: superusers all, others their personal ones.
        A shared account is connected and maintained by a superuser."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(owner=user)

    def readable_by(self, user):
        """Accounts whose mail a user may read: their own, and shared ones with full or read access."""
        if user.is_superuser:
            return self
        return self.filter(Q(owner=user) | self._granted(user, READ_ACCESS)).distinct()


class EmailAccount(models.Model):
    class Provider(models.TextChoices):
        CUSTOM = "custom", "Custom SMTP/IMAP"
        GMAIL = "gmail", "Gmail / Google Workspace"
        OUTLOOK = "outlook", "Outlook / Office 365"
        YAHOO = "yahoo", "Yahoo"
        ICLOUD = "icloud", "iCloud"

    class AuthMethod(models.TextChoices):
        PASSWORD = "password", "Password"
        OAUTH_GOOGLE = "oauth_google", "OAuth2 (Google)"
        OAUTH_MICROSOFT = "oauth_microsoft", "OAuth2 (Microsoft)"

    class SyncFrom(models.TextChoices):
        NOW = "now", "From now on"
        MONTH_1 = "1m", "1 month ago"
        MONTHS_3 = "3m", "3 months ago"
        MONTHS_6 = "6m", "6 months ago"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="email_accounts",
        help_text="The user of a personal account. Empty for a shared account granted to users.",
    )
    email = models.EmailField()
    display_name = models.CharField(max_length=200, blank=True)
    reply_to = models.EmailField(blank=True)
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.CUSTOM)

    smtp_host = models.CharField(max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(default=587)
    smtp_security = models.CharField(max_length=10, choices=Security.choices, default=Security.STARTTLS)
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(max_length=10, choices=Security.choices, default=Security.SSL)
    username = models.CharField(max_length=255, blank=True, help_text="Leave empty to use the address.")
    password = EncryptedTextField(blank=True, help_text="Empty: send without SMTP AUTH (internal relay).")
    allow_untrusted_cert = models.BooleanField("allow a certificate not signed by a CA", default=False)
    auth_method = models.CharField(max_length=20, choices=AuthMethod.choices, default=AuthMethod.PASSWORD)
    oauth_access_token = EncryptedTextField(blank=True)
    oauth_refresh_token = EncryptedTextField(blank=True)
    oauth_expires_at = models.DateTimeField(null=True, blank=True)

    is_main = models.BooleanField(
        "main account", default=False, help_text="Sends mailings to VIP recipients only."
    )
    massmail = models.BooleanField("used for mailings", default=False)
    do_import = models.BooleanField("IMAP import", default=False)
    # When import was switched on: "sync from now" means from this moment, not from the first
    # poll (mail arriving while workers are down is still imported). Kept by save().
    import_enabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    import_all = models.BooleanField("import all mail", default=False, help_text="Not only ticketed mail.")
    create_unknown_contacts = models.BooleanField(default=False)
    exclude_patterns = models.TextField(blank=True, help_text="One address pattern a line, e.g. noreply@*")
    daily_limit = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField("default account", default=False)
    track_opens_clicks = models.BooleanField(
        "track opens and clicks",
        default=False,
        help_text="Adds an open pixel and click redirects to mail sent from here.",
    )
    assignment = models.CharField(
        "assign incoming conversations",
        max_length=20,
        choices=[
            ("manual", "By hand"),
            ("round_robin", "Round-robin among members"),
            ("territory", "By territory (country of the linked company)"),
            ("product", "By product (tag of the linked record)"),
        ],
        default="manual",
        help_text="For a shared account: who of the members granted read access gets a new conversation.",
    )

    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    needs_reconnect = models.BooleanField(default=False)

    sent_today = models.PositiveIntegerField(default=0)
    sent_today_date = models.DateField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    next_send_at = models.DateTimeField(null=True, blank=True)

    sync_from = models.CharField(max_length=3, choices=SyncFrom.choices, default=SyncFrom.NOW)
    sync_interval = models.PositiveIntegerField(
        "sync every (minutes)", default=5, choices=[(1, "1"), (5, "5"), (15, "15"), (60, "60")]
    )
    folders = models.JSONField(
        default=list, blank=True, help_text="Folders found by the last connection test"
    )
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_result = models.CharField(max_length=500, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    # The IMAP poller's claim: set by a conditional UPDATE, so one poller per account at a time.
    sync_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EmailAccountQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=Q(is_default=True), name="emailaccount_one_default_per_owner"
            )
        ]
        indexes = [
            # The drip plan: active mailing accounts whose next send is due.
            models.Index(
                fields=["next_send_at"],
                condition=Q(is_active=True, massmail=True),
                name="emailaccount_due_idx",
            )
        ]

    def __str__(self):
        return f"{self.display_name} <{self.email}>" if self.display_name else self.email

    def save(self, *args, **kwargs):
        # Every way of switching import on (form, admin, code) goes through here.
        if not self.do_import:
            self.import_enabled_at = None
        elif self.import_enabled_at is None:
            self.import_enabled_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "do_import" in update_fields:
            kwargs["update_fields"] = {*update_fields, "import_enabled_at"}
        super().save(*args, **kwargs)

    @property
    def login(self):
        return self.username or self.email

    def sent_on(self, day):
        """Messages counted on `day`: the counter of another day counts as zero."""
        return self.sent_today if self.sent_today_date == day else 0

    @property
    def is_shared(self):
        return self.owner_id is None


class AccountGrantQuerySet(models.QuerySet):
    def sending(self):
        """Grants whose user may send through the account."""
        return self.filter(access__in=SEND_ACCESS)


class AccountGrant(models.Model):
    """A user's access to a shared account."""

    account = models.ForeignKey(EmailAccount, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_grants"
    )
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.FULL)
    countries = models.CharField(
        max_length=500, blank=True, help_text="Territory: countries this member handles, comma-separated"
    )
    products = models.ManyToManyField(
        "crm.Tag", blank=True, related_name="+", help_text="Products (tags) this member handles"
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True, help_text="For round-robin assignment")

    objects = AccountGrantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="accountgrant_unique")]

    def __str__(self):
        return f"{self.user} → {self.account} ({self.access})"


class ImapFolder(models.Model):
    """One folder of an account and where its incremental sync stands."""

    account = models.ForeignKey(EmailAccount, on_delete=models.CASCADE, related_name="imap_folders")
    name = models.CharField(max_length=500)
    special_use = models.CharField(max_length=20, blank=True, help_text=r"\Sent, \Trash, \Junk… from LIST")
    is_active = models.BooleanField(default=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="imapfolder_unique")]

    def __str__(self):
        return self.name


class SyncRun(models.Model):
    """One IMAP poll of an account: the sync history shown on its page."""

    account = models.ForeignKey(EmailAccount, on_delete=models.CASCADE, related_name="sync_runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    fetched = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    linked = models.PositiveIntegerField(default=0)
    round_trips = models.PositiveIntegerField(default=0, help_text="IMAP commands sent")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.account} at {self.started_at:%Y-%m-%d %H:%M}"


class FailedImport(models.Model):
    """A fetched message that could not be parsed or handled: kept raw with the reason and
    retried on every poll until it goes through (the folder's last UID moves on past it)."""

    account = models.ForeignKey(EmailAccount, on_delete=models.CASCADE, related_name="failed_imports")
    folder = models.CharField(max_length=500)
    uid = models.BigIntegerField()
    raw = models.BinaryField()
    reason = models.TextField()
    attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    last_tried_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "folder", "uid"], name="failedimport_unique_uid")
        ]

    def __str__(self):
        return f"{self.folder} UID {self.uid}: {self.reason[:60]}"


class AccountNotification(LogEntry):
    """The account page's log: errors, re-connect needed, mailings finished."""

    account = models.ForeignKey(EmailAccount, on_delete=models.CASCADE, related_name="notifications")
