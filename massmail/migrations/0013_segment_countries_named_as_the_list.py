"""A saved segment's country filter as the list of countries names it, like the records'
(crm 0009), so "UK" saved before the list still finds the records now stored by its name."""

from django.db import migrations


def name_countries(apps, schema_editor):
    from crm.countries import canonical_country

    segment_model = apps.get_model("massmail", "Segment")
    for segment in segment_model.objects.exclude(filters={}):
        typed = (segment.filters or {}).get("country")
        if typed and canonical_country(typed) != typed:
            segment.filters["country"] = canonical_country(typed)
            segment.save(update_fields=["filters"])


class Migration(migrations.Migration):
    dependencies = [
        ("massmail", "0012_signature_and_tracking_move_to_correspondence"),
        ("crm", "0009_countries_named_as_the_list"),
    ]

    operations = [migrations.RunPython(name_countries, migrations.RunPython.noop, elidable=True)]
