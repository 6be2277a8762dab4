from django.core.management.base import BaseCommand

from demo.seeding import DEMO_USERS, seed_records, seed_users


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
        for spec in DEMO_USERS:
            role = "superuser (/admin/)" if spec.superuser else spec.role.value
            where = f", {spec.department}" if spec.department else ""
            self.stdout.write(f"  {spec.username:<12} {passwords[spec.username]:<14} {role}{where}")
