"""Admin pieces of the IMAP sync, mixed into the account and Request admins.

`SyncAdminMixin` (for an EmailAccount admin): a "Sync status" section on the account page
(last sync, result, next sync, folders, the last runs) with a "Sync now" button, the
`<id>/sync-now/` POST view behind it and a "Sync now" bulk action. Sync now runs in the web
process, bounded by IMAP_SYNC_NOW_SECONDS: a big mailbox stops at the budget and the
poller continues at once, so the button always answers.

`ImportConversationMixin` (for the Request admin): "Import this conversation".
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from mailaccounts import imap_sync

HISTORY_LENGTH = 10


def why_no_sync(account) -> str:
    """Why "Sync now" can do nothing for the account ("" when it can)."""
    if not account.is_active:
        return f"{account.email} is inactive: re-connect it before syncing."
    if not account.imap_host:
        return f"{account.email} has no IMAP server set."
    if not account.do_import:
        return f"IMAP import is off for {account.email}: switch it on under Sync settings to sync."
    return ""


def sync_now_message(account) -> tuple[str, int]:
    """Run "Sync now" and say what happened, for a flash message."""
    if why := why_no_sync(account):
        return why, messages.WARNING
    run = imap_sync.sync_now(account)
    if run is None:
        return f"{account.email} is being synced right now; see the result in a moment.", messages.INFO
    if run.ok:
        return f"{account.email}: {account.last_sync_result}", messages.SUCCESS
    return f"{account.email}: sync failed: {run.error}", messages.ERROR


class SyncAdminMixin:
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        urls = [
            path(
                "<path:object_id>/sync-now/",
                self.admin_site.admin_view(require_POST(self.sync_now_view)),
                name="{}_{}_sync_now".format(*info),
            )
        ]
        return urls + super().get_urls()

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "sync_status"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        # Copies: a declared `fieldsets` class attribute must not be changed in place.
        cleaned = [
            (name, {**options, "fields": [f for f in options["fields"] if f != "sync_status"]})
            for name, options in fieldsets
        ]
        return [*cleaned, ("IMAP sync", {"fields": ["sync_status"]})]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_change_permission(request):
            actions["sync_now_action"] = self.get_action("sync_now_action")
        return actions

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            # sync_status is rendered from the account alone: the page tells it who may sync.
            obj.may_sync_now = self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="Sync status")
    def sync_status(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        url_name = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_sync_now"
        may_sync = getattr(obj, "may_sync_now", False)
        # The button only where it can do something; whoever may sync is told why it cannot.
        why_not = why_no_sync(obj) if may_sync else ""
        return render_to_string(
            "admin/mailaccounts/sync_status.html",
            {
                "account": obj,
                "runs": obj.sync_runs.all()[:HISTORY_LENGTH],
                "failed_imports": obj.failed_imports.defer("raw")[:HISTORY_LENGTH],
                "sync_now_url": reverse(url_name, args=[obj.pk]) if may_sync and not why_not else "",
                "why_no_sync": why_not,
            },
        )

    def sync_now_view(self, request, object_id):
        account = self.get_object(request, unquote(object_id))
        if account is None or not self.has_change_permission(request, account):
            raise PermissionDenied
        text, level = sync_now_message(account)
        self.message_user(request, text, level)
        url_name = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change"
        return HttpResponseRedirect(reverse(url_name, args=[account.pk]))

    @admin.action(description="Sync now")
    def sync_now_action(self, request, queryset):
        for account in queryset[:20]:  # a bounded request: each sync has a time budget
            if self.has_change_permission(request, account):
                self.message_user(request, *sync_now_message(account))
