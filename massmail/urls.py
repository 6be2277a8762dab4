"""Public endpoints reached from mail: unsubscribe (no login). Tracking is correspondence's."""

from django.urls import path

from massmail import views

app_name = "massmail"
urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
