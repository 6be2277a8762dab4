from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("massmail", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="mailingrecipient",
            index=models.Index(
                condition=models.Q(("is_vip", True), ("status", "pending")),
                fields=["mailing", "next_attempt_at"],
                name="recipient_pending_vip_idx",
            ),
        ),
    ]
