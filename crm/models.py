import os

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.files.storage import FileSystemStorage
from django.db import IntegrityError, models, transaction

from crm.roles import Role, role_of
from crm.scoping import DepartmentFromOwner, OwnedQuerySet
from crm.tickets import new_ticket


class DepartmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A company manager (or superuser) sees every department; anyone else their own."""
        if role_of(user) is Role.COMPANY_MANAGER:
            return self
        return self.filter(pk=user.department_id) if user.is_authenticated else self.none()


class Department(models.Model):
    name = models.CharField(max_length=100, unique=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )

    email_digest = models.BooleanField(
        "daily email digest", default=False, help_text="A morning summary of unread and assigned mail"
    )

    objects = UserManager()

    @property
    def name(self):
        return self.get_full_name() or self.username

    def colleagues(self):
        """The users this user may see in a choice list: everyone for a company manager (or
        superuser), else the people of their department, else only themselves."""
        users = type(self).objects.all()
        if role_of(self) is Role.COMPANY_MANAGER:
            return users
        if self.department_id:
            return users.filter(department_id=self.department_id)
        return users.filter(pk=self.pk)


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Industry(models.TextChoices):
    SOFTWARE = "software", "Software"
    MANUFACTURING = "manufacturing", "Manufacturing"
    RETAIL = "retail", "Retail"
    FINANCE = "finance", "Finance"
    HEALTHCARE = "healthcare", "Healthcare"
    LOGISTICS = "logistics", "Logistics"
    EDUCATION = "education", "Education"
    OTHER = "other", "Other"


class OwnedRecord(DepartmentFromOwner):
    """Fields every mailable record shares: owner, department, VIP and newsletter consent."""

    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=60, blank=True, db_index=True)
    city = models.CharField(max_length=60, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_vip = models.BooleanField("VIP", default=False, db_index=True)
    massmail = models.BooleanField("accepts newsletters", default=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        abstract = True


class Company(OwnedRecord):
    full_name = models.CharField("name", max_length=200)
    website = models.URLField(blank=True)
    address = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=30, choices=Industry.choices, blank=True, db_index=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="companies")

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "companies"

    def __str__(self):
        return self.full_name

    @property
    def domain(self):
        return self.email.rpartition("@")[2].lower() if self.email else ""


class Person(OwnedRecord):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.full_name or self.email

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()


class Contact(Person):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contacts")
    title = models.CharField("job title", max_length=100, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            # A sales manager's list, in its order: the first page without sorting every row.
            models.Index(fields=["owner", "last_name", "first_name"], name="contact_owner_name_idx"),
        ]

    @property
    def industry(self):
        return self.company.industry


class Lead(Person):
    company_name = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=30, choices=Industry.choices, blank=True, db_index=True)
    source = models.CharField(max_length=60, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="leads")

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            # A sales manager's list, in its order: the first page without sorting every row.
            models.Index(fields=["owner", "last_name", "first_name"], name="lead_owner_name_idx"),
        ]


class Ticketed(DepartmentFromOwner):
    """A record whose correspondence carries `[ticket:TOKEN]`; the ticket is set on create."""

    ticket = models.CharField(max_length=16, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.ticket:
            return super().save(*args, **kwargs)
        for attempt in range(5):
            self.ticket = new_ticket()
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except IntegrityError:
                # Retry only a ticket collision, and not forever.
                if attempt == 4 or not type(self).objects.filter(ticket=self.ticket).exists():
                    raise


class Request(Ticketed):
    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        CLOSED = "closed", "Closed"

    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.subject


class Deal(Ticketed):
    class Stage(models.TextChoices):
        QUALIFICATION = "qualification", "Qualification"
        PROPOSAL = "proposal", "Proposal"
        NEGOTIATION = "negotiation", "Negotiation"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    name = models.CharField(max_length=200)
    request = models.ForeignKey(
        Request, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.QUALIFICATION)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class LogEntry(models.Model):
    """One note of an append-only log shown on a page: the shape shared by the notifications
    of an email account (mailaccounts) and of a mailing (massmail). Each keeps its own table,
    since a row belongs to its account or mailing and is deleted with it."""

    class Level(models.TextChoices):
        INFO = "info", "Info"
        ERROR = "error", "Error"

    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    text = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self):
        return self.text


class ImportFilesStorage(FileSystemStorage):
    """IMPORT_FILES_ROOT, read when a file is stored or opened (so a test's setting holds):
    uploaded tables, deleted when their import ends, and background exports; never served
    by URL."""

    @property
    def base_location(self):
        return settings.IMPORT_FILES_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def _import_files():
    return ImportFilesStorage(base_url=None)


class ImportJob(models.Model):
    """One import of a CSV/XLSX file (crm/importing.py): its options, progress and totals.

    Each row's outcome is an ImportRow, which is the report and what undo reverses.
    """

    class Kind(models.TextChoices):
        COMPANIES = "companies", "Companies"
        CONTACTS = "contacts", "Contacts"
        LEADS = "leads", "Leads"

    class Duplicates(models.TextChoices):
        SKIP = "skip", "Skip them"
        UPDATE = "update", "Fill their empty fields"
        OVERWRITE = "overwrite", "Overwrite their fields"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        UNDONE = "undone", "Undone"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(storage=_import_files, upload_to="%Y/%m/", blank=True)
    filename = models.CharField(max_length=255)
    duplicates = models.CharField(max_length=10, choices=Duplicates.choices, default=Duplicates.SKIP)
    mapping = models.JSONField(default=dict, blank=True, help_text="{column header: field}")
    options = models.JSONField(default=dict, blank=True, help_text="Values for the whole file")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of the file read")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.filename}"

    @property
    def totals(self):
        return f"created: {self.created} updated: {self.updated} skipped: {self.skipped}"


class ImportRow(models.Model):
    """One line of an import's report; `record_id` and `before` are what undo needs."""

    class Outcome(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        SKIPPED = "skipped", "Skipped"
        COMPANY_CREATED = "company", "Company created"

    # Indexed by importrow_job_outcome_idx (job first): a second index on job alone would
    # only cost every inserted report row another write.
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows", db_index=False)
    line = models.PositiveIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    email = models.CharField(max_length=254, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True, help_text="Fields an update changed, as they were")

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["job", "outcome"], name="importrow_job_outcome_idx")]

    def __str__(self):
        return f"line {self.line}: {self.outcome}"


class ExportJob(models.Model):
    """A large export of a /crm/ list (crm/exporting.py), written in the background."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Being prepared"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs")
    site = models.CharField(max_length=20, help_text="The admin site the list was on")
    model = models.CharField(max_length=100, help_text="app_label.model_name")
    query = models.TextField(blank=True, help_text="The list's filters and search, as its query string")
    format = models.CharField(max_length=4)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=_import_files, upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Export of {self.model} ({self.format})"
