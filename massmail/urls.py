"""Public endpoints reached from mail: unsubscribe, open and click tracking (no login)."""

app_name = "massmail"
urlpatterns = []
