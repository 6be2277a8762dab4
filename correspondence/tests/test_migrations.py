"""The mail models moved to correspondence with migrations that keep an existing database's
rows: a database holding mail at the migration heads from before the move is migrated to
today's heads and the mail is read back through the new models."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from correspondence.models import CrmEmail, EmailTemplate, Notification, Signature, TrackingEvent

BEFORE_THE_MOVE = [
    ("crm", "0003_correspondence"),
    ("mailaccounts", "0003_tracking_flag_and_assignment"),
    ("massmail", "0006_recipient_links_without_constraints"),
]
SENT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest_heads():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def write_mail_as_it_was(apps):
    User = apps.get_model("crm", "User")
    Request = apps.get_model("crm", "Request")
    EmailAccount = apps.get_model("mailaccounts", "EmailAccount")
    OldSignature = apps.get_model("massmail", "Signature")
    OldTemplate = apps.get_model("crm", "EmailTemplate")
    OldEmail = apps.get_model("crm", "CrmEmail")
    OldAttachment = apps.get_model("crm", "CrmEmailAttachment")
    OldNotification = apps.get_model("crm", "Notification")
    OldEvent = apps.get_model("massmail", "TrackingEvent")

    alice = User.objects.create(username="alice", email="alice@crm.test")
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test")
    request = Request.objects.create(ticket="T0K3N", subject="Offer", owner=alice)
    signature = OldSignature.objects.create(owner=alice, name="Main", body="<b>Alice</b>")
    template = OldTemplate.objects.create(owner=alice, name="Offer", subject="Our offer", body="<p>Hi</p>")
    email = OldEmail.objects.create(
        account=account,
        direction="out",
        message_id="<sent@crm.test>",
        subject="Our offer [ticket:T0K3N]",
        recipients="client@example.com",
        date=SENT,
        html="<p>Hi</p>",
        status="sent",
        request=request,
        template=template,
        signature=signature,
        owner=alice,
    )
    no_id = OldEmail.objects.create(account=account, subject="No Message-ID", date=SENT)
    OldAttachment.objects.create(email=email, filename="offer.pdf", content_type="application/pdf", size=3)
    OldNotification.objects.create(user=alice, kind="new_email", email=email, text="New mail from client")
    OldEvent.objects.create(kind="open", crm_email=email, created_at=SENT)
    return email.pk, no_id.pk


@pytest.mark.django_db(transaction=True)
def test_mail_written_before_the_move_reads_back_through_the_new_models():
    email_type = ContentType.objects.get_for_model(CrmEmail).pk
    try:
        email_id, no_id_id = write_mail_as_it_was(migrate(BEFORE_THE_MOVE))
        migrate(latest_heads())

        email = CrmEmail.objects.get(pk=email_id)
        assert (email.subject, email.message_id, email.date) == (
            "Our offer [ticket:T0K3N]",
            "<sent@crm.test>",
            SENT,
        )
        assert email.request.ticket == "T0K3N" and email.account.email == "alice@crm.test"
        assert [(a.filename, a.size) for a in email.attachments.all()] == [("offer.pdf", 3)]
        assert email.template == EmailTemplate.objects.get(name="Offer")
        assert email.signature == Signature.objects.get(name="Main")
        assert Notification.objects.get().email == email
        assert TrackingEvent.objects.get().crm_email == email
        # The thread key is stored for every message, also for mail stored before.
        assert email.thread_key == "<sent@crm.test>"
        assert CrmEmail.objects.get(pk=no_id_id).thread_key == f"#{no_id_id}"
        # Permissions point at content types: the moved models keep theirs.
        assert ContentType.objects.get(app_label="correspondence", model="crmemail").pk == email_type
    finally:
        migrate(latest_heads())
