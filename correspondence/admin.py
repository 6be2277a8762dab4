"""Stored mail, read only, in the superusers' admin; signatures on /crm/; and "Import this
conversation" on a Request's page."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse

from correspondence.conversations import conversation_addresses, import_conversation, searchable_accounts
from correspondence.forms import SignatureForm
from correspondence.models import CrmEmail, Signature
from crm.admin import RequestAdmin
from crm.columns import clipped_column
from crm.models import Request
from crm.site import AuthoredAdmin, ReadOnlyAdmin, crm_site


class CrmEmailAdmin(ReadOnlyAdmin):
    """Stored mail, read only, in the superusers' admin. It is written only by compose, reply,
    forward and IMAP import; on /crm/ the inbox and thread pages show it."""

    list_display = [
        clipped_column("subject", "Subject"),
        clipped_column("sender", "From"),
        clipped_column("recipients", "To"),
        "direction",
        "date",
        clipped_column("account", "Account", short=True),
    ]
    list_filter = ["direction"]
    search_fields = ["subject", "sender", "recipients", "text"]
    list_select_related = ["account"]


admin.site.register(CrmEmail, CrmEmailAdmin)


@admin.register(Signature, site=crm_site)
class SignatureAdmin(AuthoredAdmin):
    form = SignatureForm
    list_display = ["name", "owner", "created_at"]
    search_fields = ["name"]
    list_select_related = ["owner"]


class ImportConversationMixin:
    """Adds `<id>/import-conversation/` (GET: the form, POST: import) to a Request admin."""

    change_form_template = "admin/crm/request/change_form_import.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        urls = [
            path(
                "<path:object_id>/import-conversation/",
                self.admin_site.admin_view(self.import_conversation_view),
                name="{}_{}_import_conversation".format(*info),
            )
        ]
        return urls + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The link only where importing can work: the user may change the Request and has a
        # mailbox with IMAP to search.
        context["may_import_conversation"] = (
            obj is not None
            and self.has_change_permission(request, obj)
            and searchable_accounts(request.user).exists()
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def import_conversation_view(self, request, object_id):
        record = self.get_object(request, unquote(object_id))
        if record is None or not self.has_change_permission(request, record):
            raise PermissionDenied
        if request.method == "POST":
            result = import_conversation(record, request.user, request.POST.get("message_id", "")[:998])
            level = messages.WARNING if result.errors or not result.imported else messages.SUCCESS
            self.message_user(request, result.summary(), level)
            url_name = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change"
            return HttpResponseRedirect(reverse(url_name, args=[record.pk]))
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": record,
            "title": "Import this conversation",
            "addresses": conversation_addresses(record),
        }
        return render(request, "admin/crm/request/import_conversation.html", context)


class RequestWithImportAdmin(ImportConversationMixin, RequestAdmin):
    pass


# crm registered the Request pages; this app adds its button and page to them.
for site in (crm_site, admin.site):
    site.unregister(Request)
    site.register(Request, RequestWithImportAdmin)
