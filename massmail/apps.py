from django.apps import AppConfig


class MassmailConfig(AppConfig):
    name = "massmail"

    def ready(self):
        from crm import files
        from massmail.models import MessageAttachment

        # Message attachments and inline images are downloaded through crm's checked view.
        files.register("message", MessageAttachment.objects.visible_to)
