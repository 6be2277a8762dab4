"""A record's country as the list of countries names it (issue 15: country from a list).

Values typed before the list ("DE", "usa", "Deutschland") become the list's name, so the
country filters and choices match them; a value that names no country stays as written.
"""

from django.db import migrations


def name_countries(apps, schema_editor):
    from crm.countries import canonical_country

    for model_name in ("Company", "Contact", "Lead"):
        model = apps.get_model("crm", model_name)
        for typed in model.objects.exclude(country="").values_list("country", flat=True).distinct():
            named = canonical_country(typed)
            if named != typed:
                model.objects.filter(country=typed).update(country=named)


class Migration(migrations.Migration):
    dependencies = [("crm", "0008_mail_moves_to_correspondence")]

    # Backwards: nothing to undo; the names are as good as what they replaced.
    operations = [migrations.RunPython(name_countries, migrations.RunPython.noop, elidable=True)]
