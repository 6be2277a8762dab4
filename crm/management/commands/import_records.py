"""Import Companies, Contacts or Leads from a CSV/XLSX file, as the import page does."""

from django.core.management.base import BaseCommand, CommandError

from crm.importing import ImportRefused, mapping_from_json, run_import
from crm.models import ImportJob, User


class Command(BaseCommand):
    help = "Import companies, contacts or leads from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportJob.Kind.values)
        parser.add_argument("file")
        parser.add_argument("--owner", required=True, help="username: who imports, and owns what is created")
        parser.add_argument(
            "--duplicates", choices=ImportJob.Duplicates.values, default=ImportJob.Duplicates.SKIP
        )
        parser.add_argument("--mapping", help='JSON {"column header": "field"}; unnamed columns are detected')
        parser.add_argument(
            "--create-companies", action="store_true", help="contacts: create missing companies"
        )

    def handle(self, *args, kind, file, owner, duplicates, mapping, create_companies, **options):
        user = User.objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No user {owner!r}.")
        try:
            job = ImportJob.objects.create(
                user=user,
                kind=kind,
                filename=file,
                duplicates=duplicates,
                mapping=mapping_from_json(mapping) if mapping else {},
                options={"create_companies": create_companies},
            )
            job = run_import(job, file)
        except (ImportRefused, OSError) as error:
            raise CommandError(str(error)) from error
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.error)
        self.stdout.write(job.totals)
