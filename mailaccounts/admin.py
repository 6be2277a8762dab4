from django.contrib import admin

from mailaccounts.models import AccountGrant, EmailAccount
from mailaccounts.sync_admin import SyncAdminMixin


class AccountGrantInline(admin.TabularInline):
    model = AccountGrant
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(EmailAccount)
class EmailAccountAdmin(SyncAdminMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "owner",
        "is_active",
        "massmail",
        "is_main",
        "do_import",
        "daily_limit",
        "sent_today",
    ]
    list_filter = ["is_active", "massmail", "is_main", "do_import", "provider"]
    search_fields = ["email", "display_name", "owner__username"]
    list_select_related = ["owner"]
    inlines = [AccountGrantInline]
