"""Exporting what a list of /crm/ shows (its columns, filters and search) to CSV or XLSX.

Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at the start)
are written with a leading `'`, so opening an export never runs what someone typed.
"""

import csv
import tempfile

import openpyxl
from django.contrib.admin.utils import label_for_field, lookup_field
from django.db import models
from django.http import FileResponse, StreamingHttpResponse
from django.utils.html import strip_tags
from django.utils.text import capfirst

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")


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
    return strip_tags(str(value))


class _Echo:
    def write(self, value):
        return value


def csv_response(rows, filename):
    """A streamed CSV download of `rows` (lists), formula-safe, UTF-8 with BOM for Excel."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"
        for row in rows:
            yield writer.writerow([formula_safe(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
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
    """The rows a list shows, header first: its columns (list_display), over the list's own
    queryset with the request's filters and search, or over `queryset` (a selection)."""
    if queryset is None:
        queryset = model_admin.get_changelist_instance(request).get_queryset(request)
    names = [n for n in model_admin.get_list_display(request) if n != "action_checkbox"]
    yield [capfirst(label_for_field(name, model_admin.model, model_admin)) for name in names]
    for obj in queryset.iterator(chunk_size=2000):
        yield [lookup_field(name, obj, model_admin)[2] for name in names]


def export_response(model_admin, request, format, queryset=None):
    name = model_admin.opts.verbose_name_plural.replace(" ", "-")
    rows = changelist_rows(model_admin, request, queryset)
    if format == "xlsx":
        return xlsx_response(rows, f"{name}.xlsx")
    return csv_response(rows, f"{name}.csv")
