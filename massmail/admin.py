"""Mass mail in the two admin sites.

/admin/ (superusers): MassmailSettings and the suppression list.
/crm/ (the sales team): Messages (with preview and a test send), Mailings (live
progress, accounts, notifications, pause/resume/restart/combine, a recipients list), the
"Create mailing" page, and the "Make massmail" action used on Company/Contact/Lead lists.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from correspondence.models import Signature
from crm.columns import clipped, clipped_column, count_of, notification_badge, with_latest_notes
from crm.export_admin import ExportAdminMixin
from crm.files import StoredFileInput, display_name
from crm.models import Department, User
from crm.roles import Role, role_of
from crm.site import OWNER_COLUMN, AuthoredAdmin, ReadOnlyAdmin, ScopedAdmin, crm_site
from mailaccounts.accounts import start_of_today
from mailkit.rendering import html_to_text
from massmail import live, mailings, previews, returns, starting
from massmail.forms import (
    AudienceForm,
    ChooseMessageForm,
    LiftSuppressionForm,
    MassmailSettingsForm,
    MessageForm,
    PreviewChoiceForm,
    PreviewForm,
    StartForm,
)
from massmail.models import (
    Mailing,
    MailingNotification,
    MailingRecipient,
    MassmailSettings,
    Message,
    MessageAttachment,
    Suppression,
    SuppressionLift,
)

# --- superusers' admin -----------------------------------------------------------------------


@admin.register(MassmailSettings)
class MassmailSettingsAdmin(admin.ModelAdmin):
    form = MassmailSettingsForm
    fieldsets = [
        (
            "Business time",
            {
                "fields": [
                    "use_business_time",
                    "business_start",
                    "business_end",
                    "time_zone",
                    "non_working_days",
                ]
            },
        ),
        ("Sending", {"fields": ["default_daily_limit"]}),
        ("Unsubscribe", {"fields": ["unsubscribe_redirect_url", "unsubscribe_mailto"]}),
    ]

    def has_add_permission(self, request):
        return not MassmailSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # A singleton: the list is the one form (the add form, with the defaults, until saved).
        if not MassmailSettings.objects.exists():
            return HttpResponseRedirect(reverse("admin:massmail_massmailsettings_add"))
        return HttpResponseRedirect(reverse("admin:massmail_massmailsettings_change", args=[1]))


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "bounce_reason", "detail", "created_at"]
    list_filter = ["reason", "bounce_reason"]
    search_fields = ["email"]
    actions = ["lift_suppressions"]

    @admin.action(description="Lift the selected suppressions (asks for a note)")
    def lift_suppressions(self, request, queryset):
        if not request.user.is_superuser:
            raise PermissionDenied
        form = LiftSuppressionForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            lifted = returns.lift(queryset, request.user, form.cleaned_data["note"])
            self.message_user(
                request, f"Lifted {lifted} suppressions; the lift is recorded.", messages.SUCCESS
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Lift suppressions",
            "form": form,
            "suppressions": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/massmail/suppression/lift.html", context)


@admin.register(SuppressionLift)
class SuppressionLiftAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "bounce_reason", "suppressed_at", "lifted_by", "lifted_at", "note"]
    search_fields = ["email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- /crm/: messages and signatures ----------------------------------------------------------


class AttachmentInline(admin.TabularInline):
    model = MessageAttachment
    fields = ["file", "inline", "content_id"]
    extra = 0
    verbose_name = "attachment or inline image"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "file":
            kwargs["widget"] = StoredFileInput("message")  # linked through the checked view
        return super().formfield_for_dbfield(db_field, request, **kwargs)


# What the preview and "Send a test" use when their form says nothing (or nonsense).
PREVIEW_DEFAULT = {"recipient_type": "contacts", "search": "", "record": None}


@admin.register(Message, site=crm_site)
class MessageAdmin(AuthoredAdmin):
    form = MessageForm
    list_display = [
        clipped_column("__str__", "Message", ordering="name"),
        clipped_column("subject", "Subject"),
        clipped_column("signature", "Signature", short=True),
        OWNER_COLUMN,
        "updated_at",
    ]
    search_fields = ["name", "subject"]
    list_select_related = ["owner", "signature"]
    inlines = [AttachmentInline]
    change_form_template = "admin/massmail/message/change_form.html"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "signature":
            kwargs["queryset"] = Signature.objects.filter(owner=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_formset(self, request, form, formset, change):
        for attachment in formset.save(commit=False):
            upload = attachment.file
            if not attachment.filename and upload:
                attachment.filename = display_name(upload.name)
            content_type = getattr(getattr(upload, "file", None), "content_type", None)
            if content_type:
                attachment.content_type = content_type
            if attachment.inline and not attachment.content_id:
                attachment.content_id = attachment.filename
            attachment.save()
        for attachment in formset.deleted_objects:
            attachment.delete()

    def get_urls(self):
        return [
            path(
                "<int:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="massmail_message_preview",
            ),
            path(
                "<int:object_id>/send-test/",
                self.admin_site.admin_view(require_POST(self.send_test_view)),
                name="massmail_message_send_test",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        message = self.get_object(request, object_id)
        chosen = PreviewChoiceForm(request.GET or None)
        choice = chosen.cleaned_data if chosen.is_valid() else PREVIEW_DEFAULT
        result = previews.preview(
            message, request.user, choice["recipient_type"], choice["search"], choice["record"]
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": message,
            "title": f"Preview: {message}",
            "form": PreviewForm(request.GET) if request.GET else PreviewForm(),
            "preview": result,
            "choice": choice,
        }
        return TemplateResponse(request, "admin/massmail/message/preview.html", context)

    def send_test_view(self, request, object_id):
        message = self.get_object(request, object_id)
        chosen = PreviewChoiceForm(request.POST)
        choice = chosen.cleaned_data if chosen.is_valid() else PREVIEW_DEFAULT
        sent = previews.send_test(
            message, request.user, choice["recipient_type"], choice["search"], choice["record"]
        )
        self.message_user(request, sent.sentence, messages.SUCCESS if sent.ok else messages.ERROR)
        # Back to the preview of the record the test was filled for, not the first one found.
        record_id = sent.record.pk if sent.record is not None else choice["record"]
        query = urlencode({**choice, "record": record_id or ""})
        return HttpResponseRedirect(f"{reverse('crm:massmail_message_preview', args=[message.pk])}?{query}")


# --- /crm/: mailings --------------------------------------------------------------------------


class VipFilter(admin.SimpleListFilter):
    title = "VIP"
    parameter_name = "vip"

    def lookups(self, request, model_admin):
        return [("yes", "With VIP recipients"), ("no", "Without VIP recipients")]

    def queryset(self, request, queryset):
        vip = Exists(MailingRecipient.objects.filter(mailing=OuterRef("pk"), is_vip=True))
        if self.value() == "yes":
            return queryset.filter(vip)
        if self.value() == "no":
            return queryset.filter(~vip)
        return queryset


class MailingChangeList(ChangeList):
    """Attaches the owners' sending accounts to the page's mailings (two queries per page) and
    each message's text preview (read once per message, however many mailings share it)."""

    def get_results(self, request):
        super().get_results(request)
        attach_list_details(self.result_list)


def attach_list_details(mailings):
    """What the list's columns show beyond the row: the owner's accounts, the message's text."""
    owners = {mailing.owner_id for mailing in mailings}
    accounts = previews.mailing_accounts_by_owner(owners) if owners else {}
    texts = {}
    states = live.states_of(mailings)
    for mailing in mailings:
        mailing.live_state = states[mailing.pk]
        mailing.account_states = accounts.get(mailing.owner_id, [])
        if mailing.message_id not in texts:
            texts[mailing.message_id] = " ".join(html_to_text(mailing.message.body).split())[:300]
        mailing.preview_text = texts[mailing.message_id]


@admin.register(Mailing, site=crm_site)
class MailingAdmin(ExportAdminMixin, ScopedAdmin):
    list_display = [
        "name_with_preview",
        "id",
        "kind",
        "live_status",
        "progress",
        OWNER_COLUMN,
        "sent_today",
        "recipients",
        "accounts",
        "notification_log",
    ]
    list_display_links = ["name_with_preview"]
    search_fields = ["name"]
    list_select_related = ["owner", "message"]
    list_per_page = 50
    actions = ["pause_mailings", "resume_mailings", "restart_failed_mailings", "combine_mailings"]
    fields = ["name"]
    change_form_template = "admin/massmail/mailing/change_form.html"

    def get_list_filter(self, request):
        role = role_of(request.user)
        filters = [("owner", admin.RelatedOnlyFieldListFilter), "status", VipFilter, "recipient_type"]
        # Only a company manager sees more than one department.
        if role is Role.COMPANY_MANAGER:
            filters.insert(1, "department")
        return filters

    def get_queryset(self, request):
        start = start_of_today()
        rows = MailingRecipient.objects.filter(mailing=OuterRef("pk"))
        return with_latest_notes(super().get_queryset(request), MailingNotification, "mailing").annotate(
            sent_today_count=count_of(rows.filter(sent_at__gte=start), "mailing_id"),
            # One subquery: F("open_count") would run the count a second time.
            done_count=F("recipients_count")
            - count_of(
                rows.filter(status__in=[MailingRecipient.Status.PENDING, MailingRecipient.Status.SENDING]),
                "mailing_id",
            ),
        )

    def prepare_export_rows(self, mailings):
        attach_list_details(mailings)

    def get_changelist(self, request, **kwargs):
        return MailingChangeList

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().lstrip("#")
        if term.isdigit():
            queryset |= self.get_queryset(request).filter(pk=int(term))
        return queryset, may_have_duplicates

    # --- columns

    @admin.display(description="Mailing", ordering="name")
    def name_with_preview(self, obj):
        return format_html(
            '<span class="clip" title="{}">{}</span>',
            f"{obj}\n\n{obj.message.subject}\n\n{obj.preview_text}",
            obj,
        )

    @admin.display(description="Progress", ordering="done_count")
    def progress(self, obj):
        return progress_html(obj, obj.live_state, in_list=True)

    @admin.display(description="Status", ordering="status")
    def live_status(self, obj):
        return format_html(
            '<span id="mailing-status-{}">{}</span>', obj.pk, live.status_label(obj, obj.live_state)
        )

    @admin.display(description="Type", ordering="recipient_type")
    def kind(self, obj):
        return obj.get_recipient_type_display()

    @admin.display(description="Recipients", ordering="recipients_count")
    def recipients(self, obj):
        return obj.recipients_count

    @admin.display(description="Sent today", ordering="sent_today_count")
    def sent_today(self, obj):
        return format_html('<span id="mailing-sent-today-{}">{}</span>', obj.pk, obj.sent_today_count)

    @admin.display(description="Accounts")
    def accounts(self, obj):
        states = getattr(obj, "account_states", None)
        if not states:
            return format_html(
                '<span class="star-bad" title="{}">none</span>', "The owner has no mailing account."
            )
        return format_html_join(
            " ",
            '<span class="{}" title="{}">★</span>',
            (("star-ok" if s.usable else "star-bad", s.why) for s in states),
        )

    @admin.display(description="Notifications")
    def notification_log(self, obj):
        # A count that links to the mailing's page, where the whole log is; the latest few on
        # hover. The log itself made the list too wide for a laptop.
        return notification_badge(reverse("crm:massmail_mailing_change", args=[obj.pk]), obj)

    # --- pages

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # A done mailing (finished, or cancelled before it started) is a record of what was
        # sent: its page is read only, without Save, and a POST to it is refused.
        done = obj is not None and obj.status == Mailing.Status.DONE
        return not done and super().has_change_permission(request, obj)

    def heading(self, obj):
        return f"Mailing #{obj.pk}: {obj.name}" if obj.name else str(obj)

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("crm:massmail_mailing_create"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        mailing = self.get_object(request, object_id)
        context = {
            "show_save_and_add_another": False,
            **(extra_context or {}),
            **self.recipients_context(request, mailing),
        }
        return super().change_view(request, object_id, form_url, context)

    def recipients_context(self, request, mailing):
        rows = mailing.recipients.select_related("account", "company", "contact", "lead").order_by("pk")
        status = request.GET.get("status", "")
        if status in MailingRecipient.Status.values:
            rows = rows.filter(status=status)
        account = request.GET.get("account", "")
        if account.isdigit():
            rows = rows.filter(account_id=int(account))
        counts = dict(mailing.recipients.values_list("status").annotate(n=Count("id")).order_by())
        page = Paginator(rows, 50).get_page(request.GET.get("p"))
        state = live.state_of(mailing)
        failed = counts.get(MailingRecipient.Status.FAILED, 0)
        return {
            "mailing": mailing,
            "page_obj": page,
            "status_filter": status,
            "status_counts": [
                (value, label, counts.get(value, 0)) for value, label in MailingRecipient.Status.choices
            ],
            "progress_html": progress_html(mailing, state),
            "may_edit": Mailing.objects.editable_by(request.user).filter(pk=mailing.pk).exists(),
            "failed_count": failed,
            # A done mailing without failed rows has nothing left to do: no empty bar of buttons.
            "has_actions": mailing.is_running or mailing.is_scheduled or mailing.is_stopped or failed,
            "accounts": previews.mailing_accounts_by_owner([mailing.owner_id])[mailing.owner_id],
            "notifications": mailing.notifications.all()[:100],
            "returned": returns.returned_counts(mailing),
            "time_zone": state.time_zone,
        }

    def get_urls(self):
        def post(view):
            return self.admin_site.admin_view(require_POST(view))

        return [
            path("create/", self.admin_site.admin_view(self.create_view), name="massmail_mailing_create"),
            path(
                "<int:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="massmail_mailing_progress",
            ),
            path("<int:object_id>/schedule/", post(self.schedule_view), name="massmail_mailing_schedule"),
            path("<int:object_id>/pause/", post(self.pause_view), name="massmail_mailing_pause"),
            path("<int:object_id>/resume/", post(self.resume_view), name="massmail_mailing_resume"),
            path("<int:object_id>/restart-failed/", post(self.restart_view), name="massmail_mailing_restart"),
            *super().get_urls(),
        ]

    def progress_view(self, request, object_id):
        mailing = self.get_object(request, object_id)
        in_list = "list" in request.GET
        context = {**progress_context(mailing, live.state_of(mailing), in_list), "oob": in_list}
        return TemplateResponse(request, "massmail/progress.html", context)

    def _editable(self, request, object_id):
        self.get_object(request, object_id)  # 404 when hidden
        return get_object_or_404(Mailing.objects.editable_by(request.user), pk=object_id)

    def _back(self, mailing):
        return HttpResponseRedirect(reverse("crm:massmail_mailing_change", args=[mailing.pk]))

    def pause_view(self, request, object_id):
        mailing = self._editable(request, object_id)
        done = mailings.pause(mailing, request.user)
        self.message_user(
            request,
            "Paused." if done else "Only a running mailing can be paused.",
            messages.SUCCESS if done else messages.WARNING,
        )
        return self._back(mailing)

    def resume_view(self, request, object_id):
        mailing = self._editable(request, object_id)
        done = mailings.resume(mailing, request.user)
        self.message_user(
            request,
            "Resumed." if done else "Only a paused or interrupted mailing can be resumed.",
            messages.SUCCESS if done else messages.WARNING,
        )
        return self._back(mailing)

    def restart_view(self, request, object_id):
        mailing = self._editable(request, object_id)
        count = mailings.restart_failed(mailing)
        self.message_user(
            request,
            f"{count} failed recipients will be tried again." if count else "No failed recipient to restart.",
        )
        return self._back(mailing)

    def create_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        # A link (a segment's "Create mailing") fills the form; it counts once a message is chosen.
        bound = request.POST or (request.GET if "message" in request.GET else None)
        form = AudienceForm(
            bound, initial=request.GET.dict(), user=request.user, **audience_choices(request.user)
        )
        audience = None
        if form.is_bound and form.is_valid():
            queryset = form.audience()
            if "review" in request.POST or "create" in request.POST:
                response = self.review_or_start(request, form, queryset)
                if response is not None:
                    return response
            audience = mailings.measure_audience(request.user, queryset)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Create mailing",
            "form": form,
            "audience": audience,
            "has_messages": Message.objects.filter(owner=request.user).exists(),
        }
        return TemplateResponse(request, "admin/massmail/mailing/create.html", context)

    def review_or_start(self, request, form, queryset):
        """The second step: the review page, or (its "Create the mailing") the mailing itself.
        None when the audience cannot be mailed (the message says why, the form stays)."""
        try:
            mailing, review = review_or_start(request, form.cleaned_data, queryset, submit="create")
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        if mailing is not None:
            self.message_user(request, mailing.summary, messages.SUCCESS)
            return self._back(mailing)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form, **review}
        return TemplateResponse(request, "admin/massmail/mailing/review.html", context)

    def schedule_view(self, request, object_id):
        """Change or cancel a scheduled mailing before it starts."""
        mailing = self._editable(request, object_id)
        if "cancel" in request.POST:
            done = starting.cancel_scheduled(mailing, request.user)
        else:
            start = StartForm(request.POST)
            done = start.is_valid() and starting.reschedule(mailing, start.cleaned_data["start_at"])
            if start.errors:
                self.message_user(request, " ".join(start.errors.get("start_at", [])), messages.ERROR)
                return self._back(mailing)
        self.message_user(
            request,
            "Done." if done else "Only a mailing that has not started can be changed or cancelled.",
            messages.SUCCESS if done else messages.WARNING,
        )
        return self._back(mailing)

    # --- actions

    def _editable_selection(self, request, queryset):
        return queryset.filter(pk__in=Mailing.objects.editable_by(request.user).values("pk"))

    @admin.action(description="Pause selected mailings")
    def pause_mailings(self, request, queryset):
        done = sum(mailings.pause(m, request.user) for m in self._editable_selection(request, queryset))
        self.message_user(request, f"{done} mailings paused.")

    @admin.action(description="Resume selected mailings")
    def resume_mailings(self, request, queryset):
        done = sum(mailings.resume(m, request.user) for m in self._editable_selection(request, queryset))
        self.message_user(request, f"{done} mailings resumed.")

    @admin.action(description="Restart failed recipients")
    def restart_failed_mailings(self, request, queryset):
        done = sum(mailings.restart_failed(m) for m in self._editable_selection(request, queryset))
        self.message_user(request, f"{done} failed recipients will be tried again.")

    @admin.action(description="Combine selected mailings")
    def combine_mailings(self, request, queryset):
        selected = list(self._editable_selection(request, queryset).select_related("message", "owner"))
        if request.POST.get("post") == "yes":
            try:
                kept = mailings.combine(selected)
            except ValueError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            self.message_user(request, f"Combined into {kept} (#{kept.pk}).", messages.SUCCESS)
            return self._back(kept)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Combine mailings?",
            "mailings": selected,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "refused": len(selected) != queryset.count(),
        }
        return TemplateResponse(request, "admin/massmail/mailing/combine_confirmation.html", context)


@admin.register(MailingRecipient, site=crm_site)
class MailingRecipientAdmin(ReadOnlyAdmin):
    """Every recipient row the user may see, across mailings, with filters (read only)."""

    list_display = [
        clipped_column("email", "Email"),
        "record",
        clipped_column("mailing", "Mailing", short=True),
        "is_vip",
        "status",
        "reason",
        clipped_column("account", "Account", short=True),
        "attempts",
        "sent",
    ]
    list_filter = [
        "status",
        "is_vip",
        "skip_reason",
        "bounce_reason",
        ("mailing", admin.RelatedOnlyFieldListFilter),
        ("account", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["email"]
    list_select_related = ["mailing", "account", "company", "contact", "lead"]
    list_per_page = 100
    show_full_result_count = False  # no second COUNT over a large table

    @admin.display(description="Why / error")
    def reason(self, obj):
        if obj.last_error:
            return format_html(
                '<span class="clip" title="{}">{}</span>', obj.error_detail or obj.last_error, obj.last_error
            )
        return clipped(obj.skip_reason)

    @admin.display(description="Record")
    def record(self, obj):
        return clipped(obj.record, short=True)

    @admin.display(description="Sent", ordering="sent_at")
    def sent(self, obj):
        return f"{timezone.localtime(obj.sent_at):%Y-%m-%d %H:%M}" if obj.sent_at else "—"


def progress_context(mailing, state, in_list=False):
    running = mailing.is_running or mailing.is_scheduled
    url = reverse("crm:massmail_mailing_progress", args=[mailing.pk])
    return {
        "mailing": mailing,
        "state": state,
        "percent": state.percent,
        "status_label": live.status_label(mailing, state),
        "poll": running,
        "url": url + ("?list=1" if in_list else ""),
    }


def progress_html(mailing, state, in_list=False):
    from django.template.loader import render_to_string

    return render_to_string("massmail/progress.html", progress_context(mailing, state, in_list))


def review_or_start(request, choice, queryset, submit):
    """(the new mailing, None) once the review's `submit` button came with a valid start; else
    (None, the review page's context). Raises ValueError when nobody can be mailed."""
    start = StartForm(request.POST if submit in request.POST else None)
    if start.is_bound and start.is_valid():
        mailing = starting.start_mailing(
            request.user, choice["message"], queryset, choice["name"], start.cleaned_data["start_at"]
        )
        return mailing, None
    return None, {
        "title": "Review the mailing",
        "review": starting.review(request.user, choice["message"], queryset),
        "message": choice["message"],
        "start_form": start,
        "time_zone": MassmailSettings.load().time_zone or "UTC",
    }


def audience_choices(user):
    """Which owner and department filters the user's role offers on the Create mailing page."""
    role = role_of(user)
    if role is Role.COMPANY_MANAGER:
        return {
            "owners": User.objects.filter(is_active=True, is_staff=True),
            "departments": Department.objects.all(),
        }
    if role is Role.DEPARTMENT_HEAD and user.department_id:
        return {
            "owners": User.objects.filter(is_active=True, department_id=user.department_id),
            "departments": None,
        }
    return {"owners": None, "departments": None}


# --- "Make massmail" on Company, Contact and Lead lists ---------------------------------------


@admin.action(description="Make massmail", permissions=["view"])
def make_massmail(modeladmin, request, queryset):
    chosen = "apply" in request.POST or "review" in request.POST
    form = ChooseMessageForm(request.POST if chosen else None, user=request.user)
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "form": form,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    if form.is_bound and form.is_valid():
        try:
            mailing, review = review_or_start(request, form.cleaned_data, queryset, submit="apply")
        except ValueError as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)
            return None
        if mailing is not None:
            modeladmin.message_user(request, mailing.summary, messages.SUCCESS)
            return HttpResponseRedirect(reverse("crm:massmail_mailing_change", args=[mailing.pk]))
        return TemplateResponse(request, "admin/massmail/make_massmail_review.html", {**context, **review})
    context.update(
        title="Make massmail",
        audience=mailings.measure_audience(request.user, queryset),
        has_messages=form.fields["message"].queryset.exists(),
    )
    return TemplateResponse(request, "admin/massmail/make_massmail.html", context)


# Saved segments have their own module; importing it registers their admin.
from massmail import segment_admin  # noqa: E402, F401
