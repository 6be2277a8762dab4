from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html
from django.utils.timezone import localtime

from crm import record_pages
from crm.columns import clipped_column
from crm.export_admin import ExportAdminMixin
from crm.import_admin import ImportAdminMixin
from crm.models import Company, Contact, Deal, Department, Lead, Request, Tag, User
from crm.site import OWNER_COLUMN, OwnedRecordAdmin, register_both

# The lists' columns are chosen to fit 1366 px beside the side menu and the filters (the
# role walk, crm/tests/test_role_walk_browser.py): long text on one line, whole on hover. City,
# industry and the like stay as filters and search terms, and on the record's page.
EMAIL = clipped_column("email", "Email")
COUNTRY = clipped_column("country", "Country", short=True)


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
    list_display = [
        clipped_column("full_name", "Name"),
        EMAIL,
        COUNTRY,
        clipped_column("get_industry_display", "Industry", ordering="industry", short=True),
        "is_vip",
        "newsletters",
        OWNER_COLUMN,
    ]
    list_filter = ["is_vip", "massmail", "industry", "country", "tags"]
    search_fields = ["full_name", "email", "city"]
    export_extra_columns = ["city"]
    list_select_related = ["owner"]


class ContactAdmin(ImportAdminMixin, RecordAdmin):
    list_display = [
        clipped_column("__str__", "Contact", ordering="last_name"),
        EMAIL,
        clipped_column("company", "Company"),
        COUNTRY,
        "is_vip",
        "newsletters",
        OWNER_COLUMN,
    ]
    list_filter = ["is_vip", "massmail", "company__industry", "country", "tags"]
    search_fields = ["first_name", "last_name", "email", "company__full_name"]
    list_select_related = ["owner", "company"]
    autocomplete_fields = ["company"]
    ordering = ["last_name", "first_name"]


class LeadAdmin(ImportAdminMixin, RecordAdmin):
    list_display = [
        clipped_column("__str__", "Lead", ordering="last_name"),
        EMAIL,
        clipped_column("company_name", "Company"),
        COUNTRY,
        "is_vip",
        "newsletters",
        OWNER_COLUMN,
    ]
    list_filter = ["is_vip", "massmail", "industry", "country", "tags"]
    search_fields = ["first_name", "last_name", "email", "company_name"]
    export_extra_columns = ["industry"]
    list_select_related = ["owner"]


class TicketedAdmin(RecordAdmin):
    actions = []
    readonly_fields = ["ticket"]
    list_select_related = ["owner"]
    autocomplete_fields = ["company", "contact"]

    @admin.display(description="Created", ordering="created_at")
    def created_on(self, obj):
        created = localtime(obj.created_at)
        return format_html('<span title="{}">{}</span>', f"{created:%Y-%m-%d %H:%M}", f"{created:%Y-%m-%d}")


class RequestAdmin(TicketedAdmin):
    list_display = [
        clipped_column("subject", "Subject"),
        "ticket",
        "status",
        clipped_column("company", "Company", short=True),
        clipped_column("contact", "Contact", short=True),
        OWNER_COLUMN,
        "created_on",
    ]
    list_filter = ["status"]
    search_fields = ["subject", "ticket", "description"]


class DealAdmin(TicketedAdmin):
    list_display = [
        clipped_column("name", "Name"),
        "ticket",
        "stage",
        "amount",
        clipped_column("company", "Company", short=True),
        OWNER_COLUMN,
        "created_on",
    ]
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
