import datetime as dt

from django.urls import reverse

from correspondence.models import CrmEmail, EmailTemplate, TrackingEvent
from crm.models import Company, Contact
from massmail.models import Mailing, MailingRecipient, Message

SENT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def logged_in(client, user):
    client.force_login(user)
    return client


def a_mailing(owner):
    message = Message.objects.create(owner=owner, subject="Spring", body="{{ unsubscribe_url }}")
    mailing = Mailing.objects.create(owner=owner, message=message, recipient_type="contacts", name="Spring")
    recipient = MailingRecipient.objects.create(
        mailing=mailing, email="x@example.com", status="sent", sent_at=SENT
    )
    TrackingEvent.objects.create(
        kind="open", mailing_recipient=recipient, created_at=SENT + dt.timedelta(hours=1)
    )
    return mailing


def test_mailing_report_page_chart_and_csv(client, alice):
    mailing = a_mailing(alice)
    client = logged_in(client, alice)
    page = client.get(reverse("mail:mailing_report", args=[mailing.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text and 'class="figure-opened"' in text
    assert page.context["figures"].opened == 1
    csv_response = client.get(reverse("mail:mailing_report", args=[mailing.pk]), {"format": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "opened,1,1.0000" in csv_response.content.decode()
    recipients = client.get(reverse("mail:mailing_report", args=[mailing.pk]), {"format": "recipients"})
    assert "x@example.com,sent" in recipients.content.decode()
    assert client.get(reverse("mail:message_report", args=[mailing.message.pk])).status_code == 200
    assert client.get(reverse("mail:reports")).status_code == 200


def test_a_mailing_of_another_department_is_a_404(client, alice, carol):
    mailing = a_mailing(alice)
    assert logged_in(client, carol).get(reverse("mail:mailing_report", args=[mailing.pk])).status_code == 404


def test_email_report_lists_each_open_and_click_with_its_time(client, alice):
    template = EmailTemplate.objects.create(owner=alice, name="Intro")
    email = CrmEmail.objects.create(
        direction="out", status="sent", owner=alice, date=SENT, recipients="jane@acme.test", template=template
    )
    email.contact = Contact.objects.create(
        company=Company.objects.create(full_name="Acme", owner=alice), owner=alice, email="jane@acme.test"
    )
    email.save()
    TrackingEvent.objects.create(kind="open", crm_email=email, created_at=SENT + dt.timedelta(minutes=30))
    TrackingEvent.objects.create(
        kind="click",
        crm_email=email,
        url="https://acme.test/",
        created_at=SENT + dt.timedelta(seconds=2),
        is_machine=True,
        machine_reason="clicked 2 s after delivery",
    )
    client = logged_in(client, alice)
    page = client.get(reverse("mail:email_report", args=[email.pk]))
    text = page.content.decode()
    assert "2026-03-02 10:30:00" in text and "machine (clicked 2 s after delivery)" in text
    assert page.context["figures"].opened == 1 and page.context["figures"].clicked == 0
    assert client.get(reverse("mail:template_report", args=[template.pk])).context["figures"].sent == 1
