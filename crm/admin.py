from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from crm.export_admin import ExportAdminMixin
from crm.import_admin import ImportAdminMixin
from crm.models import Company, Contact, CrmEmail, Deal, Department, Lead, Request, Tag, User
from crm.site import OwnedRecordAdmin, ReadOnlyAdmin, register_both
from mailaccounts.sync_admin import ImportConversationMixin
from massmail.admin import make_massmail


class RecordAdmin(ExportAdminMixin, OwnedRecordAdmin):
    """A CRM record's page: "Write email" and the record's correspondence timeline."""

    change_form_template = "admin/crm/record_change_form.html"
    # The total beside a filtered count is a second COUNT over every record: 30-60 ms at
    # 100,000 contacts (bench.web). The list offers "Show all" instead.
    show_full_result_count = False


RECORD_ACTIONS = [*RecordAdmin.actions, make_massmail]


class CompanyAdmin(ImportAdminMixin, RecordAdmin):
    actions = RECORD_ACTIONS
    list_display = ["full_name", "email", "country", "city", "industry", "is_vip", "massmail", "owner"]
    list_filter = ["is_vip", "massmail", "industry", "country", "tags"]
    search_fields = ["full_name", "email", "city"]
    list_select_related = ["owner"]
    filter_horizontal = ["tags"]


class ContactAdmin(ImportAdminMixin, RecordAdmin):
    actions = RECORD_ACTIONS
    list_display = ["__str__", "email", "company", "country", "is_vip", "massmail", "owner"]
    list_filter = ["is_vip", "massmail", "company__industry", "country", "tags"]
    search_fields = ["first_name", "last_name", "email", "company__full_name"]
    list_select_related = ["owner", "company"]
    autocomplete_fields = ["company"]
    filter_horizontal = ["tags"]
    ordering = ["last_name", "first_name"]


class LeadAdmin(ImportAdminMixin, RecordAdmin):
    actions = RECORD_ACTIONS
    list_display = ["__str__", "email", "company_name", "country", "industry", "is_vip", "massmail", "owner"]
    list_filter = ["is_vip", "massmail", "industry", "country", "tags"]
    search_fields = ["first_name", "last_name", "email", "company_name"]
    list_select_related = ["owner"]
    filter_horizontal = ["tags"]


class TicketedAdmin(RecordAdmin):
    actions = []
    readonly_fields = ["ticket"]
    list_select_related = ["owner"]
    autocomplete_fields = ["company", "contact"]


class RequestAdmin(ImportConversationMixin, TicketedAdmin):
    list_display = ["subject", "ticket", "status", "company", "contact", "owner", "created_at"]
    list_filter = ["status"]
    search_fields = ["subject", "ticket", "description"]


class DealAdmin(TicketedAdmin):
    list_display = ["name", "ticket", "stage", "amount", "company", "owner", "created_at"]
    list_filter = ["stage"]
    search_fields = ["name", "ticket"]


class CrmEmailAdmin(ReadOnlyAdmin):
    """Stored mail, read only, in the superusers' admin. It is written only by compose, reply,
    forward and IMAP import; on /crm/ the inbox and thread pages show it."""

    list_display = ["subject", "sender", "recipients", "direction", "date", "account"]
    list_filter = ["direction"]
    search_fields = ["subject", "sender", "recipients", "text"]
    list_select_related = ["account"]


register_both(Company, CompanyAdmin)
register_both(Contact, ContactAdmin)
register_both(Lead, LeadAdmin)
register_both(Request, RequestAdmin)
register_both(Deal, DealAdmin)
admin.site.register(CrmEmail, CrmEmailAdmin)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "department", "is_staff", "is_superuser"]
    list_filter = [*BaseUserAdmin.list_filter, "department"]
    fieldsets = [*BaseUserAdmin.fieldsets, ("CRM", {"fields": ["department"]})]
    add_fieldsets = [*BaseUserAdmin.add_fieldsets, ("CRM", {"fields": ["email", "department", "groups"]})]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
