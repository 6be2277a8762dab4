import datetime

import pytest
from django.utils import timezone

from mailaccounts.models import AccountGrant, AccountNotification, EmailAccount

LIST = "/crm/mailaccounts/emailaccount/"
SECRET = "pa55-word-never-shown"


def change_url(account, site="crm"):
    return f"/{site}/mailaccounts/emailaccount/{account.pk}/change/"


@pytest.fixture
def alices(alice):
    return EmailAccount.objects.create(
        owner=alice,
        email="alice@crm.test",
        password=SECRET,
        smtp_host="smtp.crm.test",
        massmail=True,
        is_default=True,
        daily_limit=80,
        sent_today=12,
        sent_today_date=timezone.localdate(),
    )


@pytest.fixture
def bobs(bob):
    return EmailAccount.objects.create(owner=bob, email="bob@crm.test", password="bobs-secret")


def login(client, user):
    client.force_login(user)
    return client


def form_data(account, **changes):
    data = {
        "email": account.email,
        "display_name": account.display_name,
        "reply_to": "",
        "provider": account.provider,
        "massmail": "on" if account.massmail else "",
        "track_opens_clicks": "",
        "auth_method": account.auth_method,
        "username": account.username,
        "password": "",
        "smtp_host": account.smtp_host,
        "smtp_port": account.smtp_port,
        "smtp_security": account.smtp_security,
        "imap_host": account.imap_host,
        "imap_port": account.imap_port,
        "imap_security": account.imap_security,
        "sync_from": account.sync_from,
        "sync_interval": account.sync_interval,
        "exclude_patterns": "",
        "imap_folders-TOTAL_FORMS": "0",
        "imap_folders-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    if account.is_default:
        data["is_default"] = "on"
    return data | changes


def test_sales_manager_sees_own_account_with_counters_and_not_anothers(client, alice, alices, bobs):
    AccountNotification.objects.create(account=alices, text="Mailing “Spring” finished.")
    page = login(client, alice).get(LIST).content.decode()
    assert "alice@crm.test" in page and "bob@crm.test" not in page
    assert "12 / 80" in page
    assert "Mailing “Spring” finished." in page
    assert SECRET not in page


def test_another_users_account_is_a_404(client, alice, bobs):
    assert login(client, alice).get(change_url(bobs)).status_code == 404


def test_the_change_form_never_renders_the_password(client, alice, alices):
    page = login(client, alice).get(change_url(alices)).content.decode()
    assert 'name="password"' in page
    assert SECRET not in page
    assert "Reveal password" not in page


def test_a_blank_password_keeps_the_old_one(client, alice, alices):
    response = login(client, alice).post(change_url(alices), form_data(alices, display_name="Alice A."))
    assert response.status_code == 302, response.content.decode()[:3000]
    alices.refresh_from_db()
    assert (alices.display_name, alices.password) == ("Alice A.", SECRET)


def test_a_new_password_replaces_it_and_clear_removes_it(client, alice, alices):
    login(client, alice).post(change_url(alices), form_data(alices, password="n3w-one"))
    alices.refresh_from_db()
    assert alices.password == "n3w-one"
    client.post(change_url(alices), form_data(alices, clear_password="on"))
    alices.refresh_from_db()
    assert alices.password == ""


def test_sales_manager_cannot_change_superuser_fields(client, alice, alices):
    login(client, alice).post(change_url(alices), form_data(alices, is_main="on", daily_limit="5000"))
    alices.refresh_from_db()
    assert (alices.is_main, alices.daily_limit) == (False, 80)


def test_an_empty_host_takes_the_providers_preset(client, alice, alices):
    data = form_data(alices, provider="gmail", smtp_host="", imap_host="", smtp_port="", imap_port="")
    login(client, alice).post(change_url(alices), data)
    alices.refresh_from_db()
    assert (alices.smtp_host, alices.smtp_port, alices.smtp_security) == ("smtp.gmail.com", 587, "starttls")
    assert (alices.imap_host, alices.imap_port, alices.imap_security) == ("imap.gmail.com", 993, "ssl")


def test_no_provider_and_no_host_is_a_form_error(client, alice, alices):
    response = login(client, alice).post(change_url(alices), form_data(alices, smtp_host=""))
    assert response.status_code == 200
    assert "Choose a provider or enter the SMTP server." in response.content.decode()


def test_shared_account_granted_read_only_is_seen_but_not_editable(client, alice):
    shared = EmailAccount.objects.create(email="sales@crm.test", password="shared-secret")
    AccountGrant.objects.create(account=shared, user=alice, access="read")
    login(client, alice)
    assert "sales@crm.test" in client.get(LIST).content.decode()
    page = client.get(change_url(shared)).content.decode()
    assert "shared-secret" not in page and "••••••••" in page
    response = client.post(change_url(shared), form_data(shared, display_name="Mine now"))
    assert response.status_code == 403


def test_company_manager_views_every_account_without_secrets(client, erin, alices, bobs):
    login(client, erin)
    page = client.get(LIST).content.decode()
    assert "alice@crm.test" in page and "bob@crm.test" in page
    assert SECRET not in client.get(change_url(alices)).content.decode()


def test_only_superusers_reveal_a_password(client, alice, root, alices):
    reveal = f"/admin/mailaccounts/emailaccount/{alices.pk}/reveal-password/"
    login(client, alice)
    assert client.post(f"/crm/mailaccounts/emailaccount/{alices.pk}/reveal-password/").status_code == 403
    assert client.post(reveal).status_code == 302  # to the admin login: not for sales managers
    client.logout()

    login(client, root)
    assert "Reveal password" in client.get(change_url(alices, "admin")).content.decode()
    assert client.get(reveal).status_code == 405  # nothing on GET
    response = client.post(reveal)
    assert SECRET in response.content.decode()
    assert alices.notifications.filter(text="Password revealed to root.").exists()


def test_reconnect_badge_links_to_the_account(client, alice, alices):
    EmailAccount.objects.filter(pk=alices.pk).update(
        needs_reconnect=True, is_active=False, last_error="535 bad credentials"
    )
    page = login(client, alice).get(LIST).content.decode()
    assert "Re-connect needed" in page and change_url(alices) in page
    form = client.get(change_url(alices)).content.decode()
    assert "Re-connect needed." in form and "Save and test connection" in form


def test_usage_chart_counts_mailings_and_one_to_one_mail(client, alice, alices):
    from correspondence.models import CrmEmail

    yesterday = timezone.now() - datetime.timedelta(days=1)
    CrmEmail.objects.create(account=alices, direction="out", subject="hi", date=yesterday)
    CrmEmail.objects.create(account=alices, direction="in", subject="re: hi", date=yesterday)
    page = login(client, alice).get(change_url(alices)).content.decode()
    assert "1 sent in 30 days" in page
    assert "<svg" in page


def test_ticking_default_moves_the_owners_default(client, alice, alices, root):
    other = EmailAccount.objects.create(owner=alice, email="alice2@crm.test", smtp_host="smtp.crm.test")
    response = login(client, alice).post(change_url(other), form_data(other, is_default="on"))
    assert response.status_code == 302
    alices.refresh_from_db(), other.refresh_from_db()
    assert (alices.is_default, other.is_default) == (False, True)

    client.logout()
    login(client, root)  # the superuser's form has the owner field: same behaviour
    data = form_data(alices, is_default="on", owner=alice.pk, daily_limit=80, is_active="on")
    data |= {"assignment": "manual", "grants-TOTAL_FORMS": "0", "grants-INITIAL_FORMS": "0"}
    assert client.post(change_url(alices, "admin"), data).status_code == 302
    alices.refresh_from_db(), other.refresh_from_db()
    assert (alices.is_default, other.is_default) == (True, False)


def test_save_and_test_connection_reports_each_protocol(client, alice, alices, smtp_sink):
    data = form_data(alices, smtp_host=smtp_sink.host, smtp_port=smtp_sink.port, smtp_security="none")
    data["clear_password"] = "on"
    data["_test_connection"] = "Save and test connection"
    response = login(client, alice).post(change_url(alices), data, follow=True)
    page = response.content.decode()
    assert "SMTP: connected (no login)" in page
    assert "IMAP: No IMAP server is set for this account." not in page  # no IMAP server: not tested


def test_owner_chooses_which_folders_to_sync(client, alice, alices):
    from mailaccounts.models import ImapFolder

    inbox = ImapFolder.objects.create(account=alices, name="INBOX", is_active=True)
    trash = ImapFolder.objects.create(account=alices, name="Trash", special_use=r"\Trash", is_active=False)
    data = form_data(alices) | {
        "imap_folders-TOTAL_FORMS": "2",
        "imap_folders-INITIAL_FORMS": "2",
        "imap_folders-0-id": inbox.pk,
        "imap_folders-0-account": alices.pk,
        "imap_folders-1-id": trash.pk,
        "imap_folders-1-account": alices.pk,
        "imap_folders-1-is_active": "on",
    }
    page = login(client, alice).get(change_url(alices)).content.decode()
    assert "Folders (tick the ones to sync)" in page
    assert client.post(change_url(alices), data).status_code == 302
    inbox.refresh_from_db(), trash.refresh_from_db()
    assert (inbox.is_active, trash.is_active) == (False, True)


def test_test_connection_action_on_the_list(client, alice, alices, bobs, smtp_sink):
    EmailAccount.objects.filter(pk=alices.pk).update(
        smtp_host=smtp_sink.host, smtp_port=smtp_sink.port, smtp_security="none", password=""
    )
    data = {"action": "test_connection_action", "_selected_action": [alices.pk, bobs.pk]}
    response = login(client, alice).post(LIST, data, follow=True)
    page = response.content.decode()
    assert "Test of alice@crm.test: SMTP: connected (no login)" in page
    assert "bob@crm.test" not in page


def test_superuser_connects_an_account_for_a_user_with_a_preset(client, root, alice):
    data = {
        "owner": alice.pk,
        "email": "alice@gmail.com",
        "provider": "custom",  # guessed from the address when the servers are left empty
        "is_active": "on",
        "daily_limit": "100",
        "assignment": "manual",
        "auth_method": "password",
        "password": "app-password",
        "smtp_host": "",
        "smtp_port": "",
        "smtp_security": "starttls",
        "imap_host": "",
        "imap_port": "",
        "imap_security": "ssl",
        "sync_from": "now",
        "sync_interval": "5",
        "grants-TOTAL_FORMS": "0",
        "grants-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    response = login(client, root).post("/admin/mailaccounts/emailaccount/add/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    account = EmailAccount.objects.get(email="alice@gmail.com")
    assert (account.owner, account.password, account.smtp_host, account.imap_host) == (
        alice, "app-password", "smtp.gmail.com", "imap.gmail.com",
    )  # fmt: skip
    assert account.provider == "gmail"


def test_status_fragment_for_htmx(client, alice, alices, bobs):
    login(client, alice)
    response = client.get(f"/crm/mailaccounts/emailaccount/{alices.pk}/status/")
    assert response.status_code == 200
    assert "Sent today: 12 of 80." in response.content.decode()
    assert 'hx-trigger="every 30s"' in response.content.decode()
    assert client.get(f"/crm/mailaccounts/emailaccount/{bobs.pk}/status/").status_code == 404


def test_oauth_setup_names_reach_superusers_only(client, alice, root, alices, settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = settings.MICROSOFT_OAUTH_CLIENT_ID = ""

    page = login(client, alice).get(change_url(alices)).content.decode()
    assert "Sign-in with Google or Microsoft is not set up; ask your administrator." in page
    assert "OAUTH" not in page and "environment" not in page
    for site in ("crm", "admin"):
        page = login(client, root).get(change_url(alices, site)).content.decode()
        assert "set GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET" in page
        assert "ask your administrator" not in page


def test_a_configured_provider_offers_its_button_and_no_sentence(client, alice, alices, settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = "client-123"
    settings.MICROSOFT_OAUTH_CLIENT_ID = ""
    EmailAccount.objects.filter(pk=alices.pk).update(needs_reconnect=True, is_active=False)

    page = login(client, alice).get(change_url(alices)).content.decode()

    assert "Connect with Google" in page and "Connect with Microsoft" not in page
    assert "not set up" not in page
    assert 'press "Save and test connection", or connect with Google below.' in page


def test_an_unconfigured_provider_posted_anyway_tells_the_user_whom_to_ask(client, alice, alices, settings):
    settings.MICROSOFT_OAUTH_CLIENT_ID = ""

    response = login(client, alice).post(
        f"/crm/mailaccounts/emailaccount/{alices.pk}/oauth-start/", {"provider": "microsoft"}, follow=True
    )

    page = response.content.decode()
    assert "Sign-in with Microsoft is not set up; ask your administrator." in page
    assert "MICROSOFT_OAUTH" not in page
