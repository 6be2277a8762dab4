"""Only for the demo: seed data (seed_demo, seed_drip_demo), the local SMTP sink and its pages
at /crm/sent-mail/, and time compression. May import every app; nothing imports it, and it is
installed only when DEMO is set (scripts/demo.sh)."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "Demo"
