"""Exporting what a list of /crm/ shows (its columns, filters and search) to CSV or XLSX.

Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at the start)
are written with a leading `'`, so opening an export never runs what someone typed.
"""

import csv
import html
import io
import tempfile

import openpyxl
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.files import File
from django.db import models
from django.http import FileResponse, HttpRequest, QueryDict, StreamingHttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django.utils.text import capfirst

from crm.models import ExportJob
from crm.site import crm_site

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
CHUNK = 2000


def formula_safe(value):
    """A cell's text that no spreadsheet runs as a formula."""
    text = cell_value(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, SafeData):  # a column's HTML (format_html escaped its text): the text
        return html.unescape(strip_tags(value))
    return strip_tags(str(value))


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows):
    """The CSV text of `rows` (lists), line by line: formula-safe, a BOM first for Excel."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([formula_safe(cell) for cell in row])


def csv_response(rows, filename):
    """A streamed CSV download of `rows`."""
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def write_xlsx(rows, destination):
    """Write `rows` into a new workbook at `destination` (write-only mode: streamed)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append([formula_safe(cell) for cell in row])
    book.save(destination)


def xlsx_response(rows, filename):
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    write_xlsx(rows, spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def changelist_rows(model_admin, request, queryset=None):
    """The rows a list shows, header first: its columns (list_display and the admin's
    export_extra_columns), over the list's own queryset with the request's filters and search,
    or over `queryset` (a selection)."""
    if queryset is None:
        queryset = model_admin.get_changelist_instance(request).get_queryset(request)
    names = model_admin.get_export_columns(request)
    yield [capfirst(label_for_field(name, model_admin.model, model_admin)) for name in names]
    # A list may attach what its columns show to each page of rows (the Mailings list does):
    # `prepare_export_rows(objects)` does the same for each chunk of an export.
    prepare = getattr(model_admin, "prepare_export_rows", None)
    chunk = []
    for obj in queryset.iterator(chunk_size=CHUNK):
        chunk.append(obj)
        if len(chunk) == CHUNK:
            yield from _rows_of(chunk, names, model_admin, prepare)
            chunk = []
    yield from _rows_of(chunk, names, model_admin, prepare)


def _rows_of(objects, names, model_admin, prepare):
    if prepare and objects:
        prepare(objects)
    for obj in objects:
        yield [lookup_field(name, obj, model_admin)[2] for name in names]


def export_response(model_admin, request, format, queryset=None):
    name = model_admin.opts.verbose_name_plural.replace(" ", "-")
    rows = changelist_rows(model_admin, request, queryset)
    if format == "xlsx":
        return xlsx_response(rows, f"{name}.xlsx")
    return csv_response(rows, f"{name}.csv")


# --- large exports, in the background ------------------------------------------------------


def queue_export(model_admin, request, format):
    """An ExportJob for the list as the request shows it; the caller runs it in the background."""
    return ExportJob.objects.create(
        user=request.user,
        site=model_admin.admin_site.name,
        model=model_admin.opts.label_lower,
        query=request.GET.urlencode(),
        format=format,
    )


def run_export(job_id):
    """Write a queued export's file: the list rebuilt for its user from the saved query
    string, through the same ModelAdmin, so it holds what the user saw when they asked."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if job.status != ExportJob.Status.QUEUED:
        return job
    site = {s.name: s for s in (crm_site, admin.site)}[job.site]
    model_admin = site.get_model_admin(apps.get_model(job.model))
    request = HttpRequest()
    request.method, request.GET, request.user = "GET", QueryDict(job.query), job.user
    counted = _Counted(changelist_rows(model_admin, request))
    name = f"{model_admin.opts.verbose_name_plural.replace(' ', '-')}-{job.pk}.{job.format}"
    with tempfile.TemporaryFile() as spool:
        if job.format == "xlsx":
            write_xlsx(counted, spool)
        else:
            text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
            text.writelines(csv_lines(counted))
            text.flush()
            text.detach()
        spool.seek(0)
        job.file.save(name, File(spool), save=False)
    job.rows, job.status, job.finished_at = counted.count - 1, ExportJob.Status.DONE, timezone.now()
    job.save()
    return job


class _Counted:
    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row
