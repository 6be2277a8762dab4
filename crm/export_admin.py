"""Export buttons (CSV, XLSX) on every list of /crm/, and the same as admin actions.

The button exports the list as the user sees it: the list's own queryset with its current
filters and search (`get_changelist_instance(request).get_queryset(request)`).
"""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from crm import exporting, tasks
from crm.models import ExportJob


class ExportAdminMixin:
    # What an export adds to the list's columns: a list leaves some out to fit a laptop's
    # screen (they stay filters and search terms there); a spreadsheet has room for them.
    export_extra_columns = ()

    def get_export_columns(self, request):
        shown = [name for name in self.get_list_display(request) if name != "action_checkbox"]
        return [*shown, *(name for name in self.export_extra_columns if name not in shown)]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_view_or_change_permission(request):
            for name in ("export_csv", "export_xlsx"):
                actions[name] = self.get_action(name)
        return actions

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        site = self.admin_site
        return [
            path("export/", site.admin_view(require_POST(self.export_view)), name=name),
            path("export/<int:job_id>/", site.admin_view(self.export_job_view), name=f"{name}_job"),
            path("export/<int:job_id>/file/", site.admin_view(self.export_file_view), name=f"{name}_file"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "export_url": self._export_url("export")}
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        format = request.POST.get("format")
        if format not in exporting.FORMATS:
            return HttpResponseBadRequest("Choose CSV or XLSX.")
        # The list as the user sees it: built (and counted) once, then exported.
        changelist = self.get_changelist_instance(request)
        if changelist.result_count <= settings.EXPORT_BACKGROUND_ROWS:
            return exporting.export_response(self, request, format, changelist.queryset)
        job = exporting.queue_export(self, request, format)
        transaction.on_commit(lambda: tasks.run_export.delay(job.pk))
        return HttpResponseRedirect(self._export_url("export_job", job.pk))

    def _export_url(self, name, *args):
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args
        )

    def _export_job(self, request, job_id):
        return get_object_or_404(ExportJob, pk=job_id, user=request.user, model=self.opts.label_lower)

    def export_job_view(self, request, job_id):
        job = self._export_job(request, job_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(job),
            "job": job,
            "status_url": self._export_url("export_job", job.pk),
            "file_url": self._export_url("export_file", job.pk),
        }
        template = (
            "admin/crm/export_status.html"
            if request.headers.get("HX-Request")
            else "admin/crm/export_job.html"
        )
        return TemplateResponse(request, template, context)

    def export_file_view(self, request, job_id):
        job = self._export_job(request, job_id)
        if job.status != ExportJob.Status.DONE:
            raise Http404("The export is not ready.")
        return FileResponse(
            job.file.open("rb"), as_attachment=True, filename=job.file.name.rpartition("/")[2]
        )

    @admin.action(description="Export selected to CSV")
    def export_csv(self, request, queryset):
        return exporting.export_response(self, request, "csv", queryset)

    @admin.action(description="Export selected to XLSX")
    def export_xlsx(self, request, queryset):
        return exporting.export_response(self, request, "xlsx", queryset)
