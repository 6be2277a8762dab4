from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
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
