"""Public endpoints reached from mail: unsubscribe, open and click tracking (no login)."""

from django.urls import path

from massmail import tracking, views

app_name = "massmail"
urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("o/<str:token>.gif", tracking.open_pixel, name="track_open"),
    path("c/<str:token>/", tracking.click_redirect, name="track_click"),
]
