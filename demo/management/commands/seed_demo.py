from django.core.management.base import BaseCommand

from demo.seeding import seed_records, seed_users


class Command(BaseCommand):
    help = "Create the demo departments, users (one per role) and records. Safe to run again."

    def handle(self, *args, **options):
        passwords = seed_users()
        created = seed_records()
        self.stdout.write(
            "Demo records created: "
            + ", ".join(f"{count} {name}" for name, count in created.items())
            + " (existing ones kept)."
        )
        self.stdout.write("Demo users (passwords are new on every run):")
        for username, password in passwords.items():
            self.stdout.write(f"  {username:<12} {password}")
