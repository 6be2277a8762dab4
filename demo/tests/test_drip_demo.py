import smtplib
from email.message import EmailMessage
from io import StringIO

from django.core.management import call_command

from crm.models import User
from demo.mail_sink import serve
from massmail.models import Mailing, MailingRecipient
from massmail.tests.drip_helpers import drip_settings, make_account, make_mailing
from testsupport._net import free_port


def test_the_demo_sink_stores_mail_and_the_page_shows_it(alice, client, settings, tmp_path):
    settings.MAIL_SINK_DIR = tmp_path
    port = free_port()
    controller = serve(port=port)
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@sender.test", "b@rcpt.test", "Hello sink"
        message.set_content("Body text")
        message.add_alternative("<p>Body <b>html</b></p>", subtype="html")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(message)
    finally:
        controller.stop()
    stored = list(tmp_path.glob("*.eml"))
    assert len(stored) == 1
    client.force_login(alice)
    page = client.get("/crm/sent-mail/")
    assert page.status_code == 200 and b"Hello sink" in page.content
    detail = client.get(f"/crm/sent-mail/{stored[0].name}/")
    assert detail.status_code == 200 and b"Body text" in detail.content
    assert client.get("/crm/sent-mail/nothing.eml/").status_code == 404
    client.logout()
    assert client.get("/crm/sent-mail/").status_code == 302  # to the login page


def test_send_due_runs_one_plan_and_send_pass(alice, smtp_sink):
    drip_settings(time_compression=10**6)
    make_account(alice, smtp_sink, "a1")
    mailing = make_mailing(alice, 3)
    out = StringIO()
    call_command("send_due", stdout=out)
    assert "sent 3" in out.getvalue()
    assert MailingRecipient.objects.filter(mailing=mailing, status="sent").count() == 3
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE


def test_seed_drip_demo_makes_accounts_on_the_sink_and_a_demo_mailing(db):
    from demo.seeding import seed_records, seed_users

    seed_users()
    seed_records(companies=5, contacts_per_company=2, leads=0)
    out = StringIO()
    call_command("seed_drip_demo", "--sink-port", "2999", stdout=out)
    call_command("seed_drip_demo", "--sink-port", "2999", stdout=out)  # idempotent
    assert "DEMO time compression" in out.getvalue()
    assert Mailing.objects.filter(name="Demo mailing").count() == 1


def test_in_the_demo_the_sink_pages_are_only_for_staff_of_the_crm_site(client, east):
    outsider = User.objects.create_user("guest", "guest@crm.test", "pw", department=east, is_staff=False)
    client.force_login(outsider)
    response = client.get("/crm/sent-mail/")
    assert response.status_code == 302 and "/crm/login/" in response["Location"]
