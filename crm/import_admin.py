"""The import page, mixed into the Companies, Contacts and Leads admins of /crm/.

`<list>/import/`: upload; `<list>/import/<job>/`: the detected mapping (editable), the
choices for the whole file and a preview of the first rows with their problems, then the
import; while it runs, a progress bar (an htmx fragment polling `progress/`); at the end the
report (`report.csv`) and Undo. Large files run in the background (crm.tasks.run_import).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from crm import importing, tasks
from crm.exporting import csv_response
from crm.import_forms import MappingForm, OptionsForm, UploadForm
from crm.models import Company, Contact, ImportJob, Lead
from crm.tables import NotATable

KIND_OF = {Company: "companies", Contact: "contacts", Lead: "leads"}


class ImportAdminMixin:
    def get_urls(self):
        def view(function, name, post_only=False):
            function = require_POST(function) if post_only else function
            info = self.opts.app_label, self.opts.model_name, name
            return self.admin_site.admin_view(function), "{}_{}_{}".format(*info)

        routes = [
            ("import/", self.import_upload_view, "import", False),
            ("import/<int:job_id>/", self.import_job_view, "import_job", False),
            ("import/<int:job_id>/progress/", self.import_progress_view, "import_progress", False),
            ("import/<int:job_id>/report.csv", self.import_report_view, "import_report", False),
            ("import/<int:job_id>/undo/", self.import_undo_view, "import_undo", True),
        ]
        urls = []
        for route, function, name, post_only in routes:
            wrapped, url_name = view(function, name, post_only)
            urls.append(path(route, wrapped, name=url_name))
        return urls + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        if importing.may_import(request.user, self.import_kind):
            extra_context = {**(extra_context or {}), "import_url": self._import_url("import")}
        return super().changelist_view(request, extra_context)

    @property
    def import_kind(self):
        return KIND_OF[self.model]

    def _import_url(self, name, *args):
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args
        )

    def _job(self, request, job_id):
        return get_object_or_404(ImportJob, pk=job_id, user=request.user, kind=self.import_kind)

    def _render(self, request, template, **context):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "kind": self.import_kind,
            **context,
        }
        return TemplateResponse(request, f"admin/crm/import/{template}", context)

    def import_upload_view(self, request):
        if not importing.may_import(request.user, self.import_kind):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if form.is_valid():
            try:
                job = importing.upload(request.user, self.import_kind, form.cleaned_data["file"])
                return HttpResponseRedirect(self._import_url("import_job", job.pk))
            except NotATable as error:
                form.add_error("file", str(error))
        jobs = ImportJob.objects.filter(user=request.user, kind=self.import_kind)[:10]
        return self._render(request, "upload.html", title=f"Import {self.import_kind}", form=form, jobs=jobs)

    def import_job_view(self, request, job_id):
        job = self._job(request, job_id)
        if job.status != ImportJob.Status.UPLOADED:
            return self._render(request, "job.html", title=str(job), job=job, **self._outcome(request, job))
        return self._mapping_step(request, job)

    def _mapping_step(self, request, job):
        inspection = importing.inspect(job, job.file.path, job.mapping or None)
        post = request.POST if request.method == "POST" else None
        kind = self.import_kind
        mapping_form = MappingForm(
            post, headers=inspection.headers, kind=kind, initial_mapping=inspection.mapping
        )
        options_form = OptionsForm(post, user=request.user, kind=kind)
        if post and mapping_form.is_valid():
            inspection = importing.inspect(job, job.file.path, mapping_form.mapping())
            if "start" in post and options_form.is_valid():
                return self._start(job, mapping_form.mapping(), options_form)
        labels, rows = inspection.preview_table(kind)
        return self._render(
            request,
            "mapping.html",
            title=str(job),
            job=job,
            inspection=inspection,
            mapping_form=mapping_form,
            options_form=options_form,
            labels=labels,
            preview_rows=rows,
        )

    def _start(self, job, mapping, options_form):
        options = options_form.options()
        job = importing.queue_import(job, mapping, options, options_form.cleaned_data["duplicates"])
        if importing.runs_in_background(job):
            transaction.on_commit(lambda: tasks.run_import.delay(job.pk))
        else:
            importing.run_queued_import(job.pk)
        return HttpResponseRedirect(self._import_url("import_job", job.pk))

    def _outcome(self, request, job):
        return {
            "progress_url": self._import_url("import_progress", job.pk),
            "report_url": self._import_url("import_report", job.pk),
            "undo_url": self._import_url("import_undo", job.pk)
            if importing.last_import(request.user) == job
            else "",
            "list_url": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist"
            ),
            "running": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
        }

    def import_progress_view(self, request, job_id):
        job = self._job(request, job_id)
        context = {"job": job, **self._outcome(request, job)}
        return TemplateResponse(request, "admin/crm/import/progress.html", context)

    def import_report_view(self, request, job_id):
        job = self._job(request, job_id)
        return csv_response(importing.report_rows(job), f"import-{job.pk}-report.csv")

    def import_undo_view(self, request, job_id):
        job = self._job(request, job_id)
        try:
            removed = importing.undo_import(job, request.user)
        except importing.ImportRefused as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(self._import_url("import_job", job.pk))
        self.message_user(request, f"Import undone: {removed} records removed, updated records restored.")
        return HttpResponseRedirect(self._outcome(request, job)["list_url"])
