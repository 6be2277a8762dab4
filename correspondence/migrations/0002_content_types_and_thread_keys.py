from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Cast, Concat

MOVED = {
    "crm": ["crmemail", "crmemailattachment", "emailtemplate", "notification"],
    "massmail": ["signature", "trackedlink", "trackingevent"],
}


def content_types_follow(apps, schema_editor):
    """The moved models keep their content types (and so the permissions granted on them)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for app_label, models in MOVED.items():
        for model in models:
            old = ContentType.objects.using(db).filter(app_label=app_label, model=model)
            if old.exists():  # a new row made meanwhile would clash with the old one's move
                ContentType.objects.using(db).filter(app_label="correspondence", model=model).delete()
            ContentType.objects.using(db).filter(app_label=app_label, model=model).update(
                app_label="correspondence"
            )


def content_types_go_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for app_label, models in MOVED.items():
        ContentType.objects.using(db).filter(app_label="correspondence", model__in=models).update(
            app_label=app_label
        )


def store_thread_keys(apps, schema_editor):
    """Every stored message gets its thread key, so the inbox groups by an indexed column:
    its Message-ID when it names no conversation, else `#id` (what CrmEmail.save does now)."""
    CrmEmail = apps.get_model("correspondence", "CrmEmail")
    db = schema_editor.connection.alias
    CrmEmail.objects.using(db).filter(thread_key="").exclude(message_id="").update(thread_key=F("message_id"))
    CrmEmail.objects.using(db).filter(thread_key="").update(
        thread_key=Concat(Value("#"), Cast("id", output_field=CrmEmail._meta.get_field("thread_key")))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("correspondence", "0001_initial"),
        ("crm", "0008_mail_moves_to_correspondence"),
        ("massmail", "0012_signature_and_tracking_move_to_correspondence"),
    ]

    operations = [
        migrations.RunPython(content_types_follow, content_types_go_back),
        migrations.RunPython(store_thread_keys, migrations.RunPython.noop),
    ]
