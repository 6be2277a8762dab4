"""Email accounts in both admin sites.

`/admin/` (superusers): every account and field, grants, "Reveal password".
`/crm/` (sales team): the accounts page, scoped by EmailAccount.objects.visible_to(user); a
sales manager edits the settings of their own personal accounts (not the superuser-only
fields of forms.SUPERUSER_FIELDS) and re-connects them ("Save and test connection", OAuth).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import DateField, Value
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from crm.columns import clipped, clipped_column, notification_badge, with_latest_notes
from crm.roles import Role, role_of
from crm.site import OWNER_COLUMN, ScopedAdmin, crm_site
from crm.widgets import CheckboxList
from mailaccounts import connection_test, oauth, usage
from mailaccounts.accounts import local_today, notify_account, save_account
from mailaccounts.destinations import may_reach_private
from mailaccounts.forms import SUPERUSER_FIELDS, EmailAccountForm
from mailaccounts.models import AccountGrant, AccountNotification, EmailAccount, ImapFolder
from mailaccounts.presets import presets_for_script
from mailaccounts.sync_admin import SyncAdminMixin

# The link to the account's page, beside an owner column that would otherwise take it.
EMAIL_COLUMN = clipped_column("email", "Email")
STATUS_FIELDS = ["status", "notification_log", "usage_chart"]


class AccountGrantInline(admin.TabularInline):
    model = AccountGrant
    extra = 0
    autocomplete_fields = ["user"]
    formfield_overrides = {models.ManyToManyField: {"widget": CheckboxList}}  # products, no Ctrl


class ImapFolderInline(admin.TabularInline):
    """The folders found by "Test connection": the user picks which ones to sync."""

    model = ImapFolder
    fields = ["name", "special_use", "is_active", "last_uid", "last_synced_at"]
    readonly_fields = ["name", "special_use", "last_uid", "last_synced_at"]
    extra = 0
    verbose_name_plural = "Folders (tick the ones to sync)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Whoever may see or change the account may see or change its folder choices.
    def has_view_permission(self, request, obj=None):
        return obj is None or EmailAccount.objects.visible_to(request.user).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return obj is None or EmailAccount.objects.editable_by(request.user).filter(pk=obj.pk).exists()


class AccountAdminMixin:
    """What both sites share: the form, the page layout, test connection, reveal, OAuth."""

    form = EmailAccountForm
    change_form_template = "admin/mailaccounts/emailaccount/change_form.html"
    # The columns a person acts on first come first; they fit 1366 px (crm/columns.py).
    list_display = [
        EMAIL_COLUMN,
        "connection_badge",
        "sent_today_display",
        "last_sent",
        "flags",
        "import_status",
        "notification_list",
    ]
    list_display_links = [EMAIL_COLUMN]
    list_select_related = ["owner"]
    search_fields = ["email", "display_name"]
    actions = ["test_connection_action"]

    def get_queryset(self, request):
        return (
            with_latest_notes(super().get_queryset(request), AccountNotification, "account")
            .select_related("owner")
            # "Today" of the counters, read once per list rather than once per row.
            .annotate(counter_today=Value(local_today(), output_field=DateField()))
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.may_reach_private = may_reach_private(request.user)
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (
                None,
                {
                    "fields": [
                        *("owner", "email", "display_name", "reply_to", "provider", "is_default"),
                        *("is_active", "is_main", "massmail", "daily_limit", "track_opens_clicks"),
                        "assignment",
                    ]
                },
            ),
            (
                "Sign-in",
                {
                    "fields": [
                        "auth_method",
                        "username",
                        "password",
                        *(["clear_password"] if obj is not None else []),
                        "allow_untrusted_cert",
                        *(["oauth_status"] if obj is not None else []),
                    ]
                },
            ),
            ("Sending (SMTP)", {"fields": ["smtp_host", "smtp_port", "smtp_security"]}),
            ("Receiving (IMAP)", {"fields": ["imap_host", "imap_port", "imap_security"]}),
            (
                "Sync settings",
                {
                    "fields": [
                        *("do_import", "sync_from", "sync_interval", "import_all", "exclude_patterns"),
                        "create_unknown_contacts",
                    ],
                    "description": "Which folders are synced: tick them in the folder list below.",
                },
            ),
        ]
        if obj is not None:
            fieldsets.insert(0, ("Status", {"fields": STATUS_FIELDS}))
        if not self._may_change_credentials(request, obj):
            fieldsets = [(name, opts) for name, opts in fieldsets if name != "Sign-in"]
            fieldsets.insert(1, ("Sign-in", {"fields": ["auth_method", "login_display", "secret_display"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = [*STATUS_FIELDS, "oauth_status", "login_display", "secret_display"]
        if not request.user.is_superuser:
            readonly += SUPERUSER_FIELDS
        return readonly

    def get_inlines(self, request, obj):
        inlines = [ImapFolderInline] if obj is not None else []
        if request.user.is_superuser:
            inlines.append(AccountGrantInline)
        return inlines

    def _may_change_credentials(self, request, obj):
        return obj is None or self.has_change_permission(request, obj)

    # --- columns -------------------------------------------------------------------------

    @admin.display(description="Use")
    def flags(self, obj):
        labels = [
            label
            for on, label in (
                (obj.is_default, "default"),
                (obj.massmail, "mailings"),
                (obj.is_main, "main (VIP)"),
                (obj.is_shared, "shared"),
            )
            if on
        ]
        return format_html_join(" ", '<span class="badge">{}</span>', ((label,) for label in labels)) or "—"

    @admin.display(description="Last sent", ordering="last_sent_at")
    def last_sent(self, obj):
        if not obj.last_sent_at:
            return "never"
        return timezone.localtime(obj.last_sent_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="IMAP import")
    def import_status(self, obj):
        if not obj.do_import:
            return "off"
        if not obj.last_sync_at:
            return "on, not synced yet"
        when = timezone.localtime(obj.last_sync_at).strftime("%Y-%m-%d %H:%M")
        return clipped(f"on; {when}: {obj.last_sync_result}", short=True)

    @admin.display(description="Sent today / limit")
    def sent_today_display(self, obj):
        sent = obj.sent_on(obj.counter_today)
        percent = min(100, round(100 * sent / obj.daily_limit)) if obj.daily_limit else 100
        return format_html(
            '{} / {} <span class="progress" role="img" aria-label="{}% of the daily limit">'
            '<span style="width: {}%"></span></span>',
            sent,
            obj.daily_limit,
            percent,
            percent,
        )

    @admin.display(description="Notifications")
    def notification_list(self, obj):
        # A count linking to the account's page, which shows the log; the latest on hover.
        url = reverse(f"{self.admin_site.name}:mailaccounts_emailaccount_change", args=[obj.pk])
        return notification_badge(url, obj)

    @admin.display(description="Connection")
    def connection_badge(self, obj):
        if obj.needs_reconnect:
            url = reverse(f"{self.admin_site.name}:mailaccounts_emailaccount_change", args=[obj.pk])
            return format_html(
                '<a class="badge error" href="{}" title="{}">Re-connect needed</a>', url, obj.last_error
            )
        if not obj.is_active:
            return mark_safe('<span class="badge">Inactive</span>')
        if obj.last_error:
            return format_html('<span class="badge error" title="{}">Error</span>', obj.last_error)
        return mark_safe('<span class="badge ok">OK</span>')

    # --- the account's page ---------------------------------------------------------------

    @admin.display(description="Status")
    def status(self, obj):
        return render_to_string(
            "admin/mailaccounts/status.html",
            {"account": obj, "today": local_today(), "refresh_url": self._url("status", obj)},
        )

    def status_view(self, request, object_id):
        """The Status block alone, for htmx to refresh the counters while the page is open."""
        account = self.get_object(request, unquote(object_id))
        if account is None or not self.has_view_or_change_permission(request, account):
            raise PermissionDenied
        return HttpResponse(self.status(account))

    @admin.display(description="Notifications")
    def notification_log(self, obj):
        return render_to_string(
            "admin/mailaccounts/notifications.html", {"notes": obj.notifications.all()[:50]}
        )

    @admin.display(description="Sent per day, last 30 days")
    def usage_chart(self, obj):
        return render_to_string(
            "admin/mailaccounts/usage_chart.html", usage.chart_bars(usage.sent_per_day(obj))
        )

    @admin.display(description="Google or Microsoft")
    def oauth_status(self, obj):
        return render_to_string(
            "admin/mailaccounts/oauth_status.html",
            {
                "account": obj,
                "providers": oauth.configured_providers(),
                "start_url": self._url("oauth_start", obj),
                # What to configure is said to superusers only (see render_change_form).
                "for_operator": getattr(obj, "viewed_by_superuser", False),
            },
        )

    @admin.display(description="User name")
    def login_display(self, obj):
        return obj.login

    @admin.display(description="Password")
    def secret_display(self, obj):
        return "••••••••" if obj.password else "(none: sends without login)"

    # --- views -----------------------------------------------------------------------------

    def get_urls(self):
        def view(name, func):
            return path(
                f"<path:object_id>/{name.replace('_', '-')}/",
                self.admin_site.admin_view(require_POST(func)),
                name=f"mailaccounts_emailaccount_{name}",
            )

        return [
            path(
                "<path:object_id>/status/",
                self.admin_site.admin_view(self.status_view),
                name="mailaccounts_emailaccount_status",
            ),
            view("reveal_password", self.reveal_password_view),
            view("oauth_start", self.oauth_start_view),
            path(
                "oauth/callback/",
                self.admin_site.admin_view(self.oauth_callback_view),
                name="mailaccounts_emailaccount_oauth_callback",
            ),
            *super().get_urls(),
        ]

    def _url(self, name, obj=None):
        args = [obj.pk] if obj is not None else []
        return reverse(f"{self.admin_site.name}:mailaccounts_emailaccount_{name}", args=args)

    def _editable_object(self, request, object_id):
        account = self.get_object(request, unquote(object_id))
        if account is None or not self.has_change_permission(request, account):
            raise PermissionDenied
        return account

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["presets"] = presets_for_script()
        context["may_reveal"] = request.user.is_superuser and obj is not None and bool(obj.password)
        context["oauth_providers"] = oauth.configured_providers()
        if obj is not None:
            # The read-only blocks are rendered from the account alone, and what they may show
            # depends on who looks: the page tells the account (SyncAdminMixin does the same).
            obj.viewed_by_superuser = request.user.is_superuser
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        if not change and obj.owner_id is None and not request.user.is_superuser:
            obj.owner = request.user  # only superusers connect shared accounts
        save_account(obj)

    def response_change(self, request, obj):
        if "_test_connection" in request.POST:
            self._report_test(request, obj)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if "_test_connection" in request.POST:
            self._report_test(request, obj)
            return HttpResponseRedirect(self._url("change", obj))
        return super().response_add(request, obj, post_url_continue)

    def _report_test(self, request, account):
        report = connection_test.test_connection(account, user=request.user)
        for check in report.checks:
            level = messages.SUCCESS if check.ok else messages.ERROR
            self.message_user(request, f"{check.protocol}: {check.message}", level)

    @admin.action(description="Test connection", permissions=["change"])
    def test_connection_action(self, request, queryset):
        for account in queryset.filter(pk__in=self.model.objects.editable_by(request.user))[:5]:
            report = connection_test.test_connection(account, timeout=8, user=request.user)
            level = messages.SUCCESS if report.ok else messages.ERROR
            self.message_user(request, f"Test of {account.email}: {report.summary}", level)

    def reveal_password_view(self, request, object_id):
        if not request.user.is_superuser:
            raise PermissionDenied
        account = self._editable_object(request, object_id)
        notify_account(account, f"Password revealed to {request.user.get_username()}.")
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": account}
        context["title"] = f"Password of {account.email}"
        return render(request, "admin/mailaccounts/emailaccount/reveal_password.html", context)

    def oauth_start_view(self, request, object_id):
        account = self._editable_object(request, object_id)
        provider = request.POST.get("provider", "")
        callback = oauth.callback_url()
        try:
            return HttpResponseRedirect(oauth.authorization_url(account, provider, callback, request.user))
        except oauth.OAuthError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(self._url("change", account))

    def oauth_callback_view(self, request):
        try:
            account = oauth.complete_authorization(request.GET, oauth.callback_url(), request.user)
        except (oauth.OAuthError, oauth.TokenEndpointUnreachable) as error:
            self.message_user(request, f"The account was not connected: {error}", messages.ERROR)
            return HttpResponseRedirect(self._url("changelist"))
        self.message_user(request, f"Connected {account.email}; testing it now.", messages.SUCCESS)
        self._report_test(request, account)
        return HttpResponseRedirect(self._url("change", account))


@admin.register(EmailAccount)
class EmailAccountAdmin(SyncAdminMixin, AccountAdminMixin, admin.ModelAdmin):
    list_display = [OWNER_COLUMN, *AccountAdminMixin.list_display]
    list_filter = ["is_active", "needs_reconnect", "massmail", "is_main", "do_import", "provider"]
    search_fields = ["email", "display_name", "owner__username"]


@admin.register(EmailAccount, site=crm_site)
class CrmEmailAccountAdmin(SyncAdminMixin, AccountAdminMixin, ScopedAdmin):
    list_filter = ["massmail", "is_main", "do_import", "needs_reconnect"]

    def get_list_display(self, request):
        # A sales manager sees only their own accounts (and shared ones): no owner column.
        if role_of(request.user) is Role.SALES_MANAGER:
            return self.list_display
        return [OWNER_COLUMN, *self.list_display]
