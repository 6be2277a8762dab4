from django.core.management.base import BaseCommand, CommandError

from mailaccounts import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt stored passwords and OAuth tokens under the first key of FIELD_ENCRYPTION_KEY. "
        "To rotate: put a new key first, keep the old ones after it, run this, then drop the old keys."
    )

    # It is what the missing-key check tells an operator to run: it must work without a key.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--generate-key", action="store_true", help="Print a new Fernet key and exit.")

    def handle(self, *args, generate_key=False, **options):
        if generate_key:
            self.stdout.write(crypto.generate_key())
            return
        result = crypto.rotate_all()
        self.stdout.write(f"Re-encrypted {result['rotated']} secret(s) under the first key.")
        if result["unreadable"]:
            listed = ", ".join(f"{label} #{pk}" for label, pk in result["unreadable"])
            raise CommandError(
                f"{len(result['unreadable'])} secret(s) no configured key decrypts (left as they are): "
                f"{listed}. Add the key they were written with to FIELD_ENCRYPTION_KEY and run again."
            )
