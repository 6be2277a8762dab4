from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from crm import record_pages
from crm.export_admin import ExportAdminMixin
from crm.import_admin import ImportAdminMixin
from crm.models import Company, Contact, Deal, Department, Lead, Request, Tag, User
from crm.site import OwnedRecordAdmin, register_both


class RecordAdmin(ExportAdminMixin, OwnedRecordAdmin):
    """A CRM record's page, with what the upper apps register in crm.record_pages: list
    actions ("Make massmail"), links on the form ("Write email") and panels (the timeline)."""

    change_form_template = "admin/crm/record_change_form.html"
    # The total beside a filtered count is a second COUNT over every record: 30-60 ms at
    # 100,000 contacts (bench.web). The list offers "Show all" instead.
    show_full_result_count = False

    def _get_base_actions(self):
        # Registered actions go through the admin's own permission filter like the others.
        registered = (self.get_action(action) for action in record_pages.list_actions(self.model))
        return [*super()._get_base_actions(), *registered]

    def get_actions(self, request):
        # An action the user could start but not finish (a company manager's "Make massmail")
        # is not offered.
        actions = super().get_actions(request)
        for name in record_pages.refused_list_actions(self.model, request.user):
            actions.pop(name, None)
        return actions


class CompanyAdmin(ImportAdminMixin, RecordAdmin):
    list_display = ["full_name", "email", "country", "city", "industry", "is_vip", "massmail", "owner"]
    list_filter = ["is_vip", "massmail", "industry", "country", "tags"]
    search_fields = ["full_name", "email", "city"]
    list_select_related = ["owner"]


class ContactAdmin(ImportAdminMixin, RecordAdmin):
    list_display = ["__str__", "email", "company", "country", "is_vip", "massmail", "owner"]
    list_filter = ["is_vip", "massmail", "company__industry", "country", "tags"]
    search_fields = ["first_name", "last_name", "email", "company__full_name"]
    list_select_related = ["owner", "company"]
    autocomplete_fields = ["company"]
    ordering = ["last_name", "first_name"]


class LeadAdmin(ImportAdminMixin, RecordAdmin):
    list_display = ["__str__", "email", "company_name", "country", "industry", "is_vip", "massmail", "owner"]
    list_filter = ["is_vip", "massmail", "industry", "country", "tags"]
    search_fields = ["first_name", "last_name", "email", "company_name"]
    list_select_related = ["owner"]


class TicketedAdmin(RecordAdmin):
    actions = []
    readonly_fields = ["ticket"]
    list_select_related = ["owner"]
    autocomplete_fields = ["company", "contact"]


class RequestAdmin(TicketedAdmin):
    list_display = ["subject", "ticket", "status", "company", "contact", "owner", "created_at"]
    list_filter = ["status"]
    search_fields = ["subject", "ticket", "description"]


class DealAdmin(TicketedAdmin):
    list_display = ["name", "ticket", "stage", "amount", "company", "owner", "created_at"]
    list_filter = ["stage"]
    search_fields = ["name", "ticket"]


register_both(Company, CompanyAdmin)
register_both(Contact, ContactAdmin)
register_both(Lead, LeadAdmin)
register_both(Request, RequestAdmin)
register_both(Deal, DealAdmin)


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
