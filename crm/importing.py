"""Importing Companies, Contacts and Leads from CSV/XLSX files: one path for the import page,
its Celery task and `manage.py import_records`.

The file is streamed (crm/tables.py) and written in batches of BATCH rows: per batch one
query finds the duplicates, one creates, one updates, a few resolve companies and tags, one
writes the report rows. Every row's outcome is an ImportRow (the report; what undo reverses).
A row that cannot be imported is skipped with its reason; a file that cannot be read stops
the import, and what it had written is undone, so nothing is half-imported.

Duplicates are records with the same address (any case) that the importing user may change.
Importing never touches suppressions: those live with the mailings (massmail), by address,
and an imported record with a suppressed address is still never mailed.
"""

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import Lower
from django.utils import timezone

from crm.column_mapping import FIELDS, clean_mapping, detect_mapping, is_header_row, with_given
from crm.countries import canonical_country
from crm.models import Company, Contact, Department, ImportJob, ImportRow, Industry, Lead, Tag, User
from crm.roles import Role, role_of
from crm.tables import NotATable, open_table

KINDS = {"companies": Company, "contacts": Contact, "leads": Lead}
BATCH = 1000
PREVIEW_ROWS = 20
Outcome = ImportRow.Outcome
Duplicates = ImportJob.Duplicates

_TRUE = {"1", "yes", "y", "true", "x", "vip", "ja", "j", "oui", "si", "sí", "wahr", "vrai", "verdadero"}
_FALSE = {"0", "no", "n", "false", "nein", "non", "falso", "faux", ""}
_TAG_SEPARATORS = (":::", ";", ",")
_BOOLEAN_FIELDS = ("is_vip", "massmail")


class ImportRefused(Exception):
    """The import cannot start: bad options, or the user may not import this."""


# --- who may do what ---------------------------------------------------------------------


def may_import(user, kind):
    model = KINDS[kind]
    return role_of(user) is not None and user.has_perm(f"crm.add_{model._meta.model_name}")


def assignable_owners(user):
    """Whom the user may give imported records to: themselves; a department head anyone in
    their department; a superuser anyone."""
    if user.is_superuser:
        return User.objects.filter(is_active=True)
    if role_of(user) is Role.DEPARTMENT_HEAD and user.department_id:
        return User.objects.filter(is_active=True, department_id=user.department_id)
    return User.objects.filter(pk=user.pk)


def assignable_departments(user):
    if user.is_superuser:
        return Department.objects.all()
    return Department.objects.filter(pk=user.department_id)


def remembered_mapping(user, kind):
    """The mapping the user chose in their last import of this kind ({} if none)."""
    job = ImportJob.objects.filter(user=user, kind=kind).exclude(mapping={}).order_by("-id").first()
    return job.mapping if job else {}


def last_import(user):
    """The user's last import, the one undo reverses (None if there is none to undo)."""
    job = (
        ImportJob.objects.filter(user=user).exclude(status=ImportJob.Status.UPLOADED).order_by("-id").first()
    )
    return job if job and job.status == ImportJob.Status.DONE else None


# --- the file and its mapping -------------------------------------------------------------


def open_job_table(job, path, remembered):
    """The job's file as a table; `remembered` (the user's last mapping) helps find the header."""
    return open_table(path, is_header=is_header_row(job.kind, remembered))


@dataclass
class Inspection:
    headers: list
    mapping: dict
    preview: list  # [(line, {field: value}, problem)]
    format: str
    encoding: str
    delimiter: str

    @property
    def delimiter_name(self):
        return {",": "commas", ";": "semicolons", "\t": "tabs"}.get(self.delimiter, "")

    def preview_table(self, kind):
        """The preview as a table: field labels, and rows of (line, cells, problem)."""
        shown = {name for _line, values, _problem in self.preview for name in values}
        names = [name for name in FIELDS[kind] if name in shown]
        rows = [(line, [values.get(n, "") for n in names], problem) for line, values, problem in self.preview]
        return [FIELDS[kind][n] for n in names], rows


def inspect(job, path, mapping=None):
    """Headers, the mapping (given, else detected), and the first rows with their problems."""
    remembered = remembered_mapping(job.user, job.kind)
    with open_job_table(job, path, remembered) as table:
        if mapping is None:
            mapping = detect_mapping(table.headers, job.kind, remembered)
        mapping = clean_mapping(mapping, table.headers, job.kind)
        rows = _Rows(job, table.headers, mapping)
        preview = []
        for line, cells in table.rows:
            prepared = rows.prepare(line, cells)
            if prepared is not None:
                preview.append((line, prepared.shown(), prepared.problem))
            if len(preview) >= PREVIEW_ROWS:
                break
        return Inspection(table.headers, mapping, preview, table.format, table.encoding, table.delimiter)


# --- one row -----------------------------------------------------------------------------


@dataclass
class Prepared:
    line: int
    values: dict  # model attribute -> value, from the file's columns
    defaults: dict  # model attribute -> value, for the whole file
    company: str = ""
    tags: list = field(default_factory=list)
    problem: str = ""

    @property
    def key(self):
        return self.values.get("email", "").lower()

    def shown(self):
        shown = {k: v for k, v in {**self.defaults, **self.values}.items() if not k.endswith("_id")}
        if self.company:
            shown["company"] = self.company
        if self.tags:
            shown["tags"] = ", ".join(self.tags)
        return shown


def parse_bool(text):
    value = text.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(text)


def split_tags(text):
    parts = [text]
    for separator in _TAG_SEPARATORS:
        parts = [piece for part in parts for piece in part.split(separator)]
    # Google's own labels ("* myContacts", "* starred") are not the user's tags.
    return [p.strip() for p in parts if p.strip() and not p.strip().startswith("*")]


class _Rows:
    """Turns a file's cells into Prepared rows for one job: mapping, validation, owners."""

    def __init__(self, job, headers, mapping):
        self.job = job
        self.model = KINDS[job.kind]
        self.columns = [(i, mapping[h]) for i, h in enumerate(headers) if mapping.get(h)]
        self.owners = {}
        for user in assignable_owners(job.user).only("id", "username", "email", "department_id"):
            self.owners.setdefault(user.username.casefold(), user)
            if user.email:
                self.owners.setdefault(user.email.casefold(), user)
        self.departments = {d.name.casefold(): d.pk for d in assignable_departments(job.user)}
        self.defaults = self._file_defaults()
        self.lengths = {
            f.name: f.max_length
            for f in self.model._meta.concrete_fields
            if f.max_length and f.get_internal_type() in ("CharField", "EmailField", "URLField")
        }
        self.lengths["company"] = Company._meta.get_field("full_name").max_length
        self.industries = {}
        for value, label in Industry.choices:
            self.industries[value] = self.industries[label.casefold()] = value

    def _file_defaults(self):
        options = self.job.options or {}
        owner_id = options.get("owner") or self.job.user.pk
        owner = next((u for u in self.owners.values() if u.pk == owner_id), None)
        if owner is None:
            raise ImportRefused("You may not give records to that owner.")
        department_id = options.get("department") or owner.department_id
        if options.get("department") and department_id not in self.departments.values():
            raise ImportRefused("You may not import into that department.")
        defaults = {"owner_id": owner.pk, "department_id": department_id}
        for name in _BOOLEAN_FIELDS:
            if options.get(name) is not None:
                defaults[name] = bool(options[name])
        return defaults

    def prepare(self, line, cells):
        """The row as values to write, or with the problem that skips it; None if blank."""
        if not any(cells):
            return None
        raw = {name: cells[i] for i, name in self.columns if i < len(cells) and cells[i]}
        row = Prepared(line, {}, dict(self.defaults), tags=list((self.job.options or {}).get("tags") or []))
        try:
            self._fill(row, raw)
        except ValueError as problem:
            row.problem = str(problem)[:500]
        return row

    def _fill(self, row, raw):
        values = row.values
        for name, text in raw.items():
            if name in _BOOLEAN_FIELDS:
                try:
                    values[name] = parse_bool(text)
                except ValueError:
                    raise ValueError(f"{FIELDS[self.job.kind][name]}: {text!r} is not yes or no") from None
            elif name == "tags":
                row.tags += split_tags(text)
            elif name == "company":
                row.company = text
            elif name == "owner":
                owner = self.owners.get(text.casefold())
                if owner is None:
                    raise ValueError(f"owner {text!r} is not someone you may give records to")
                values["owner_id"] = owner.pk
                if "department" not in raw:
                    values["department_id"] = owner.department_id
            elif name == "department":
                if text.casefold() not in self.departments:
                    raise ValueError(f"department {text!r} is not one you may import into")
                values["department_id"] = self.departments[text.casefold()]
            elif name != "name":
                values[name] = text
        if "name" in raw and not (values.get("first_name") or values.get("last_name")):
            first, _, last = raw["name"].partition(" ")
            values["first_name"], values["last_name"] = first, last.strip()
        self._check(row)

    def _check(self, row):
        values = row.values
        if "email" in values:
            try:
                validate_email(values["email"])
            except ValidationError:
                raise ValueError(f"not an email address: {values['email'][:100]!r}") from None
        if "country" in values:  # "DE", "germany", "Deutschland": the list's "Germany"
            values["country"] = canonical_country(values["country"])
        if "industry" in values:
            values["industry"] = self.industries.get(values["industry"].casefold(), Industry.OTHER)
        if "website" in values:
            website = values["website"]
            if "://" not in website:
                website = values["website"] = f"https://{website}"
            try:
                URLValidator()(website)
            except ValidationError:
                raise ValueError(f"not a website: {website[:100]!r}") from None
        for name, value in (*values.items(), ("company", row.company)):
            limit = self.lengths.get(name)
            if limit and isinstance(value, str) and len(value) > limit:
                raise ValueError(f"{name.replace('_', ' ')} is longer than {limit} characters")
        row.tags = list(dict.fromkeys(t[:50] for t in row.tags))
        kind = self.job.kind
        if kind == "companies" and not values.get("full_name"):
            raise ValueError("no company name")
        if kind != "companies" and not (
            values.get("email") or values.get("first_name") or values.get("last_name")
        ):
            raise ValueError("no name and no email address")
        if kind == "contacts" and not row.company:
            raise ValueError("no company (a contact belongs to one)")


# --- writing -----------------------------------------------------------------------------


class _New:
    """A record this batch will create: its column values (attnames), and its id once made."""

    __slots__ = ("values", "line", "pk")

    def __init__(self, values, line):
        self.values, self.line, self.pk = values, line, None


class _Writer:
    """Writes batches of Prepared rows for one job, and their report rows."""

    def __init__(self, job):
        self.job = job
        self.user = job.user
        self.model = KINDS[job.kind]
        self.mode = job.duplicates
        self.create_companies = bool((job.options or {}).get("create_companies"))
        self.companies = {}  # name, case-folded -> id
        self.tags = {}  # name -> id
        self.totals = {Outcome.CREATED: 0, Outcome.UPDATED: 0, Outcome.SKIPPED: 0}

    def write(self, batch):
        if self.job.kind == "contacts":
            self._resolve_companies(batch)
        existing = self._existing(batch)
        report, created, changed, tagged = [], [], {}, []
        pending = {}  # address -> _New, for a second row with the same address
        for row in batch:
            if row.problem:
                report.append((row, Outcome.SKIPPED, row.problem, None, None))
                continue
            target = (existing.get(row.key) or pending.get(row.key)) if row.key else None
            if target is None:
                record = _New({**row.defaults, **self._fields(row)}, row.line)
                created.append(record)
                if row.key:
                    pending[row.key] = record
                report.append((row, Outcome.CREATED, "", record, None))
                tagged.append((record, row.tags))
                continue
            where = f"line {target.line}" if isinstance(target, _New) else f"record #{target.pk}"
            if self.mode == Duplicates.SKIP:
                report.append((row, Outcome.SKIPPED, f"duplicate address of {where}", target, None))
                continue
            before = self._apply(target, row)
            if before or row.tags:
                if before and not isinstance(target, _New):
                    changed.setdefault(target.pk, {}).update({name: getattr(target, name) for name in before})
                report.append((row, Outcome.UPDATED, f"same address as {where}", target, before))
                tagged.append((target, row.tags))
            else:
                report.append(
                    (row, Outcome.SKIPPED, f"duplicate address of {where}, nothing to change", target, None)
                )
        for record, pk in zip(created, insert_rows(self.model, [r.values for r in created]), strict=True):
            record.pk = pk
        now = timezone.now()
        for pk, changes in changed.items():
            self.model.objects.filter(pk=pk).update(**changes, updated_at=now)
        self._tag(tagged)
        self._report(
            (row.line, outcome, row.values.get("email", ""), reason, record and record.pk, before)
            for row, outcome, reason, record, before in report
        )
        for _row, outcome, *_ in report:
            self.totals[outcome] += 1

    def _existing(self, batch):
        """Records the user may change with an address of the batch, by address (lower case)."""
        keys = {p.key for p in batch if p.key and not p.problem}
        existing = {}
        if keys:
            found = self.model.objects.editable_by(self.user).annotate(_key=Lower("email"))
            for record in found.filter(_key__in=keys).order_by("pk"):
                existing.setdefault(record._key, record)
        return existing

    def _report(self, entries):
        insert_rows(
            ImportRow,
            [
                {
                    "job_id": self.job.pk,
                    "line": line,
                    "outcome": outcome,
                    "email": email[:254],
                    "reason": reason,
                    "record_id": record_id,
                    "before": before or None,
                }
                for line, outcome, email, reason, record_id, before in entries
            ],
            returning=False,
        )

    def _fields(self, row):
        values = dict(row.values)
        if self.job.kind == "contacts":
            values["company_id"] = self.companies[row.company.casefold()]
        return values

    def _apply(self, record, row):
        """Change `record` as the duplicates mode says; returns {field: old value} changed."""
        new = self._fields(row)
        if self.mode == Duplicates.OVERWRITE:
            new.update({k: v for k, v in row.defaults.items() if k in _BOOLEAN_FIELDS})
        current = record.values if isinstance(record, _New) else record.__dict__
        before = {}
        for name, value in new.items():
            old = current[name]
            if value in ("", None) or value == old:
                continue
            if self.mode == Duplicates.UPDATE and (old not in ("", None) or name in _BOOLEAN_FIELDS):
                continue
            before[name] = old
            current[name] = value
        return before

    def _resolve_companies(self, batch):
        wanted = {
            p.company.casefold(): p
            for p in batch
            if not p.problem and p.company.casefold() not in self.companies
        }
        if wanted:
            visible = Company.objects.visible_to(self.user).annotate(_key=Lower("full_name"))
            for key, pk in visible.filter(_key__in=list(wanted)).order_by("-pk").values_list("_key", "pk"):
                self.companies[key] = pk
        missing = [p for key, p in wanted.items() if key not in self.companies]
        if not missing:
            return
        if not self.create_companies:
            for row in batch:
                if not row.problem and row.company.casefold() not in self.companies:
                    row.problem = (
                        f"no company named {row.company[:100]!r} (choose to create missing companies)"
                    )
            return
        owners = [{**p.defaults, **p.values} for p in missing]
        made = insert_rows(
            Company,
            [
                {"full_name": p.company, "owner_id": o["owner_id"], "department_id": o["department_id"]}
                for p, o in zip(missing, owners, strict=True)
            ],
        )
        for p, pk in zip(missing, made, strict=True):
            self.companies[p.company.casefold()] = pk
        self._report(
            (p.line, Outcome.COMPANY_CREATED, "", f"company {p.company!r} created", pk, None)
            for p, pk in zip(missing, made, strict=True)
        )

    def _tag(self, tagged):
        names = {name for _record, tags in tagged for name in tags} - set(self.tags)
        if names:
            Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
            self.tags.update(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        link = f"{self.model._meta.model_name}_id"
        links = [{link: record.pk, "tag_id": self.tags[n]} for record, tags in tagged for n in tags]
        insert_rows(self.model.tags.through, links, returning=False, ignore_conflicts=True)


# Types whose Python values the database driver takes as they are.
_PLAIN_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
    "URLField",
}


def insert_rows(model, rows, *, returning=True, ignore_conflicts=False):
    """INSERT `rows` (dicts of column attnames) into `model`'s table, one statement per
    chunk; returns the new ids in order when `returning`.

    What bulk_create does, without a model instance and a per-value preparation for each
    cell, which was most of an import's time. A field a row lacks gets its default (so a
    field added to the model later needs nothing here); auto_now fields get now.
    """
    if not rows:
        return []
    now = timezone.now()
    specs = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        default = (
            now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
        )
        plain = f.get_internal_type() in _PLAIN_TYPES
        specs.append((f.attname, default, None if plain else f))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(a).column) for a, *_ in specs)
    row_sql = "(" + ", ".join(["%s"] * len(specs)) + ")"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning:
        tail += f" RETURNING {quote(model._meta.pk.column)}"
    per_statement = max(1, 30000 // len(specs))
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = []
            for row in chunk:
                for attname, default, field in specs:
                    value = row.get(attname, default)
                    params.append(value if field is None else field.get_db_prep_save(value, connection))
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([row_sql] * len(chunk))}{tail}",
                params,
            )
            if returning:
                ids += [r[0] for r in cursor.fetchall()]
    return ids


def run_import(job, path):
    """Import the file at `path` as `job` says; returns the job with its totals.

    A file that stops being readable halfway fails the job and undoes what it wrote.
    """
    if not may_import(job.user, job.kind):
        raise ImportRefused(f"{job.user} may not import {job.kind}.")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, progress=0)
    writer = _Writer(job)
    try:
        remembered = remembered_mapping(job.user, job.kind)
        with open_job_table(job, path, remembered) as table:
            detected = detect_mapping(table.headers, job.kind, remembered)
            mapping = clean_mapping(with_given(detected, job.mapping), table.headers, job.kind)
            job.mapping = mapping
            rows = _Rows(job, table.headers, mapping)
            batch = []
            for line, cells in table.rows:
                prepared = rows.prepare(line, cells)
                if prepared is not None:
                    batch.append(prepared)
                if len(batch) >= BATCH:
                    _write_batch(writer, batch, table)
                    batch = []
            if batch:
                _write_batch(writer, batch, table)
    except ImportRefused as error:
        _finish(job, writer, ImportJob.Status.FAILED, error=str(error))
        raise
    except (NotATable, ValueError) as error:
        _reverse(job)
        _finish(job, writer, ImportJob.Status.FAILED, error=str(error))
        return job
    _finish(job, writer, ImportJob.Status.DONE)
    return job


def _write_batch(writer, batch, table):
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A batch need not wait for its WAL flush: a crash loses whole batches (with the
            # job's progress), never part of one, and the job then shows as not finished.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        writer.write(batch)
        totals = writer.totals
        ImportJob.objects.filter(pk=writer.job.pk).update(
            progress=int(table.progress() * 100),
            created=totals[Outcome.CREATED],
            updated=totals[Outcome.UPDATED],
            skipped=totals[Outcome.SKIPPED],
        )


def _finish(job, writer, status, error=""):
    totals = writer.totals
    job.status, job.error, job.finished_at = status, error, timezone.now()
    job.created, job.updated, job.skipped = (
        totals[Outcome.CREATED],
        totals[Outcome.UPDATED],
        totals[Outcome.SKIPPED],
    )
    if status == ImportJob.Status.DONE:
        job.progress = 100
    if status == ImportJob.Status.FAILED:
        job.created = job.updated = 0
    job.save()
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


# --- undo and the report -----------------------------------------------------------------


def undo_import(job, user):
    """Reverse the user's last import: restore what it updated, delete what it created
    (a company that has contacts by now is kept). Returns how many records were removed."""
    if job.user_id != user.pk or last_import(user) != job:
        raise ImportRefused("Only your last import can be undone.")
    removed = _reverse(job)
    job.status = ImportJob.Status.UNDONE
    job.save(update_fields=["status"])
    return removed


def _reverse(job):
    model = KINDS[job.kind]
    with transaction.atomic():
        updated = job.rows.filter(outcome=Outcome.UPDATED, before__isnull=False).order_by("-line", "-id")
        for row in updated.iterator(chunk_size=BATCH):
            model.objects.filter(pk=row.record_id).update(
                **{_attname(model, k): v for k, v in row.before.items()}
            )
        removed = 0
        for outcome, target in ((Outcome.CREATED, model), (Outcome.COMPANY_CREATED, Company)):
            ids = job.rows.filter(outcome=outcome, record_id__isnull=False).values("record_id")
            doomed = target.objects.filter(pk__in=ids)
            if target is Company:
                doomed = doomed.annotate(n=Count("contacts")).filter(n=0)
            removed += doomed.delete()[1].get(target._meta.label, 0)
    return removed


def _attname(model, name):
    return model._meta.get_field(name).attname if not name.endswith("_id") else name


REPORT_HEADER = ["line", "outcome", "email", "reason", "record id"]


def report_rows(job):
    """The report as rows for a CSV: header first."""
    yield REPORT_HEADER
    for row in job.rows.order_by("line", "id").iterator(chunk_size=BATCH):
        yield [row.line, row.get_outcome_display(), row.email, row.reason, row.record_id or ""]


def mapping_from_json(text):
    """--mapping '{"Header": "field"}' as a dict, or ImportRefused."""
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRefused(f"--mapping is not JSON: {error}") from error
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise ImportRefused('--mapping must be a JSON object {"column header": "field"}.')
    return mapping


# --- the import page's steps -------------------------------------------------------------


def upload(user, kind, uploaded):
    """A new job for an uploaded file (kept until its import ends). Raises NotATable, after
    removing the job, when the file cannot be read as a table."""
    if not may_import(user, kind):
        raise ImportRefused(f"You may not import {kind}.")
    job = ImportJob(user=user, kind=kind, filename=uploaded.name[:255])
    job.file.save(uploaded.name, uploaded, save=False)
    job.save()
    try:
        inspect(job, job.file.path)
    except (NotATable, ValueError):
        discard(job)
        raise
    return job


def discard(job):
    if job.file:
        job.file.delete(save=False)
    job.delete()


def queue_import(job, mapping, options, duplicates):
    """Save the person's choices on an uploaded job and mark it queued; the caller runs it
    (run_queued_import) now or in the background."""
    job.mapping, job.options, job.duplicates = mapping, options, duplicates
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["mapping", "options", "duplicates", "status"])
    return job


def runs_in_background(job):
    return bool(job.file) and job.file.size > settings.IMPORT_BACKGROUND_BYTES


def run_queued_import(job_id):
    """Run a queued job (the Celery task and the page call this). A job that is not queued
    any more (another worker took it, or it was run) is left alone."""
    if not ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING
    ):
        return None
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    try:
        return run_import(job, job.file.path)
    except ImportRefused:
        return job
