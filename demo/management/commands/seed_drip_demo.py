from django.conf import settings
from django.core.management.base import BaseCommand

from crm.models import Contact, User
from crm.roles import Role
from mailaccounts.models import EmailAccount
from massmail.mailings import create_mailing
from massmail.models import Mailing, MassmailSettings, Message


class Command(BaseCommand):
    help = (
        "Demo only: mailing accounts that deliver to the local mail sink and one demo mailing, so a "
        "new user sees a mailing drip out (time runs faster by DEMO_TIME_COMPRESSION). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sink-port", type=int, default=2525)

    def handle(self, *args, sink_port, **options):
        cfg = MassmailSettings.load()
        cfg.use_business_time = False
        cfg.save()
        managers = User.objects.filter(groups__name=Role.SALES_MANAGER.value).order_by("username")
        for user in managers:
            for is_main in (False, True):
                local = f"{user.username}{'.main' if is_main else ''}"
                EmailAccount.objects.update_or_create(
                    email=f"{local}@demo-sender.test",
                    defaults={
                        "owner": user,
                        "display_name": f"{user.get_full_name()} (demo)",
                        "smtp_host": "127.0.0.1",
                        "smtp_port": sink_port,
                        "smtp_security": "none",
                        "password": "",
                        "massmail": True,
                        "is_main": is_main,
                        "daily_limit": 50 if is_main else 200,
                    },
                )
        owner = managers.first()
        if owner and not Mailing.objects.filter(owner=owner, name="Demo mailing").exists():
            message, _ = Message.objects.get_or_create(
                owner=owner,
                name="Demo newsletter",
                defaults={
                    "subject": "News for {{ company }}",
                    "body": "<p>Hello {{ first_name }},</p><p>this is the demo newsletter.</p>"
                    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
                },
            )
            create_mailing(owner, message, Contact.objects.filter(owner=owner), name="Demo mailing")
        self.stdout.write(
            f"Demo drip: accounts send to the mail sink on 127.0.0.1:{sink_port}; DEMO time compression "
            f"x{settings.DEMO_TIME_COMPRESSION} (a day's pace in minutes; the setting DEMO_TIME_COMPRESSION); "
            "business hours off. Watch /crm/sent-mail/ and the mailing's page."
        )
