from django.contrib import admin

from massmail.models import MassmailSettings, Suppression


@admin.register(MassmailSettings)
class MassmailSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not MassmailSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "detail", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
