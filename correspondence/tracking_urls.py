"""Open and click tracking, reached from mail (no login), mounted at /m/ by config/urls.py."""

from django.urls import path

from correspondence import tracking

app_name = "tracking"
urlpatterns = [
    path("o/<str:token>.gif", tracking.open_pixel, name="open"),
    path("c/<str:token>/", tracking.click_redirect, name="click"),
]
