"""Export buttons (CSV, XLSX) on every list of /crm/, and the same as admin actions.

The button exports the list as the user sees it: the list's own queryset with its current
filters and search (`get_changelist_instance(request).get_queryset(request)`).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from crm import exporting


class ExportAdminMixin:
    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_view_or_change_permission(request):
            for name in ("export_csv", "export_xlsx"):
                actions[name] = self.get_action(name)
        return actions

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        view = self.admin_site.admin_view(require_POST(self.export_view))
        return [path("export/", view, name=name), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        url = reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_export")
        extra_context = {**(extra_context or {}), "export_url": url}
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        format = request.POST.get("format")
        if format not in exporting.FORMATS:
            return HttpResponseBadRequest("Choose CSV or XLSX.")
        return exporting.export_response(self, request, format)

    @admin.action(description="Export selected to CSV")
    def export_csv(self, request, queryset):
        return exporting.export_response(self, request, "csv", queryset)

    @admin.action(description="Export selected to XLSX")
    def export_xlsx(self, request, queryset):
        return exporting.export_response(self, request, "xlsx", queryset)
