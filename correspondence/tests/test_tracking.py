import datetime as dt

import pytest
import time_machine
from django.test import Client

from correspondence import tracking
from correspondence.models import CrmEmail, TrackedLink, TrackingEvent
from massmail import reports
from massmail.models import Mailing, MailingRecipient, Message

SENT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
HTML = (
    '<html><body><p>Hi, see <a href="https://example.com/offer?a=1&amp;b=2">the offer</a>, '
    '<a href="mailto:x@example.com">mail us</a> and '
    '<a href="http://127.0.0.1:8000/m/u/abc/">unsubscribe</a>.</p></body></html>'
)


@pytest.fixture
def recipient(alice):
    message = Message.objects.create(owner=alice, subject="Hi", body="{{ unsubscribe_url }}")
    mailing = Mailing.objects.create(owner=alice, message=message, recipient_type="contacts")
    return MailingRecipient.objects.create(
        mailing=mailing, email="x@example.com", status="sent", sent_at=SENT
    )


@pytest.fixture
def crm_email(alice):
    return CrmEmail.objects.create(direction="out", subject="Quote", owner=alice, date=SENT, status="sent")


def fetch(url, method="get", user_agent=BROWSER, address="127.0.0.1"):
    path = url.removeprefix("http://127.0.0.1:8000")
    return getattr(Client(REMOTE_ADDR=address), method)(path, HTTP_USER_AGENT=user_agent)


def test_instrument_html_rewrites_web_links_and_appends_the_pixel(recipient, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    html = tracking.instrument_html(HTML, mailing_recipient=recipient)
    link = TrackedLink.objects.get(mailing=recipient.mailing)
    assert link.url == "https://example.com/offer?a=1&b=2"
    assert "https://example.com/offer" not in html
    assert 'href="mailto:x@example.com"' in html
    assert 'href="http://127.0.0.1:8000/m/u/abc/"' in html, "unsubscribe stays direct"
    assert html.index("/m/o/") < html.index("</body>")


def test_links_of_a_mailing_are_stored_once_for_all_recipients(recipient):
    other = MailingRecipient.objects.create(mailing=recipient.mailing, email="y@example.com", sent_at=SENT)
    tracking.instrument_html(HTML, mailing_recipient=recipient)
    tracking.instrument_html(HTML, mailing_recipient=other)
    assert TrackedLink.objects.filter(mailing=recipient.mailing).count() == 1


def test_a_pixel_fetch_is_one_open_event(recipient, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    url = tracking.open_url(mailing_recipient=recipient)
    # Frozen: with a ticking clock only the first reading of the time (here the request
    # metrics' middleware's) is exactly the destination.
    with time_machine.travel(SENT + dt.timedelta(hours=1), tick=False):
        first = fetch(url)
    assert first.status_code == 200
    assert first["Content-Type"] == "image/gif"
    assert first.content.startswith(b"GIF89a")
    events = TrackingEvent.objects.filter(mailing_recipient=recipient, kind="open")
    assert events.count() == 1
    assert not any(e.is_machine for e in events)
    assert events[0].user_agent == BROWSER
    assert events[0].created_at == SENT + dt.timedelta(hours=1)
    assert events[0].ip_hash and "127.0.0.1" not in events[0].ip_hash


@pytest.mark.parametrize("target", ["recipient", "crm_email"])
def test_repeated_fetches_by_one_client_count_once_per_window(target, request):
    message = request.getfixturevalue(target)
    url = tracking.open_url(**{"mailing_recipient" if target == "recipient" else "crm_email": message})
    opens = TrackingEvent.objects.filter(kind="open")
    with time_machine.travel(SENT + dt.timedelta(hours=1, minutes=3), tick=False) as traveller:
        for _ in range(200):
            assert fetch(url).status_code == 200  # the image is always served
        assert opens.count() == 1
        fetch(url, address="192.0.2.44")  # another reader (forwarded mail, another device)
        fetch(url, user_agent=BROWSER.replace("Linux", "Windows"))  # another client, same network
        assert opens.count() == 3
        traveller.shift(tracking.OPEN_WINDOW)
        fetch(url)  # the first client reads again later
        assert opens.count() == 4
    assert not opens.filter(is_machine=True).exists()


def test_reports_count_one_open_for_a_burst_of_fetches(recipient):
    url = tracking.open_url(mailing_recipient=recipient)
    with time_machine.travel(SENT + dt.timedelta(hours=1), tick=False):
        for _ in range(200):
            fetch(url)
    figures = reports.mailing_figures(recipient.mailing)
    assert (figures.opens, figures.opened) == (1, 1)


def test_click_redirects_to_the_link_and_counts_one_event(crm_email, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    html = tracking.instrument_html(HTML, crm_email=crm_email, opens=False)
    click = tracking.HREF_RE.search(html).group(3)
    with time_machine.travel(SENT + dt.timedelta(minutes=5)):
        response = fetch(click)
    assert response.status_code == 302
    assert response["Location"] == "https://example.com/offer?a=1&b=2"
    event = TrackingEvent.objects.get(crm_email=crm_email)
    assert (event.kind, event.url, event.is_machine) == ("click", "https://example.com/offer?a=1&b=2", False)


def test_a_link_of_another_message_is_refused(recipient, crm_email):
    tracking.instrument_html(HTML, crm_email=crm_email)
    foreign = TrackedLink.objects.create(crm_email=None, mailing=None, url="https://evil.example/")
    other_mail = TrackedLink.objects.get(crm_email=crm_email)
    for link in (foreign, other_mail):
        response = fetch(tracking.click_url(link.pk, mailing_recipient=recipient))
        assert response.status_code == 404
        assert "Location" not in response
    assert not TrackingEvent.objects.exists()


def test_a_url_in_the_query_string_is_ignored(crm_email):
    tracking.instrument_html(HTML, crm_email=crm_email)
    link = TrackedLink.objects.get(crm_email=crm_email)
    response = fetch(tracking.click_url(link.pk, crm_email=crm_email) + "?url=https://evil.example/")
    assert response["Location"] == link.url


def test_tampered_tokens_are_refused(recipient, crm_email):
    token = tracking.open_token(mailing_recipient=recipient)
    value, signature = token.split(":")
    forged = f"o.r{recipient.pk + 1}:{signature}"
    assert Client().get(f"/m/o/{forged}.gif").status_code == 404
    assert Client().get(f"/m/o/{value}:{'A' * len(signature)}.gif").status_code == 404
    assert Client().get("/m/c/nonsense/").status_code == 404
    # An open token is not a click token.
    assert Client().get(f"/m/c/{token}/").status_code == 404
    assert not TrackingEvent.objects.exists()


def test_a_post_is_not_allowed(recipient):
    assert Client().post(f"/m/o/{tracking.open_token(mailing_recipient=recipient)}.gif").status_code == 405


@pytest.mark.parametrize(
    "user_agent, reason",
    [
        (
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
            "Google",
        ),
        ("Mozilla/5.0", "Apple Mail Privacy Protection"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
            "Apple Mail Privacy Protection",
        ),
        ("YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html", "Yahoo"),
        ("Barracuda Sentinel (EE)", "link scanner"),
        ("python-requests/2.31", "link scanner"),
        ("", "no user agent"),
    ],
)
def test_proxies_and_scanners_are_machine_opens(recipient, user_agent, reason):
    with time_machine.travel(SENT + dt.timedelta(hours=2)):
        fetch(tracking.open_url(mailing_recipient=recipient), user_agent=user_agent)
    event = TrackingEvent.objects.get()
    assert event.is_machine
    assert reason in event.machine_reason


def test_a_click_seconds_after_delivery_or_a_head_request_is_a_scanner(recipient):
    tracking.instrument_html(HTML, mailing_recipient=recipient)
    click = tracking.click_url(TrackedLink.objects.get().pk, mailing_recipient=recipient)
    with time_machine.travel(SENT + dt.timedelta(seconds=3)):
        fetch(click)
    with time_machine.travel(SENT + dt.timedelta(hours=3)):
        head = fetch(click, method="head")
        fetch(click)
    assert head.status_code == 302
    reasons = list(
        TrackingEvent.objects.order_by("created_at", "id").values_list("is_machine", "machine_reason")
    )
    assert reasons == [(True, "clicked 3 s after delivery"), (True, "HEAD request"), (False, "")]


def test_apple_mail_with_a_version_is_a_person():
    agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
    assert tracking.machine_reason("GET", agent, "open") == ""


def test_token_of_a_deleted_message_is_a_404(crm_email):
    token = tracking.open_token(crm_email=crm_email)
    crm_email.delete()
    assert Client().get(f"/m/o/{token}.gif").status_code == 404


def test_instrument_message_rewrites_the_html_part_of_a_rendered_mailing(recipient):
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = "Hi"
    message.set_content("Hi, see https://example.com/offer")
    message.add_alternative(HTML, subtype="html")
    tracking.instrument_message(message, mailing_recipient=recipient)
    html = message.get_body(("html",)).get_content()
    assert "/m/o/" in html and "/m/c/" in html
    assert message.get_body(("plain",)).get_content().strip() == "Hi, see https://example.com/offer"


def test_mailing_links_are_looked_up_once_per_process(recipient, django_assert_num_queries):
    tracking.instrument_html(HTML, mailing_recipient=recipient)
    fresh = MailingRecipient.objects.get(pk=recipient.pk)  # as the sender fetches it: no mailing loaded
    with django_assert_num_queries(0):
        tracking.instrument_html(HTML, mailing_recipient=fresh)


def test_a_mailing_for_a_tracking_account_is_instrumented_keeping_its_unsubscribe_link(recipient, alice):
    from mailaccounts.models import EmailAccount
    from massmail.compiling import compile_message

    recipient.mailing.message.body = (
        '<p><a href="https://example.com/spring">Spring</a> {{ unsubscribe_url }}</p>'
    )
    recipient.mailing.message.save()
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test", track_opens_clicks=False)
    compiled = compile_message(recipient.mailing)
    plain = compiled.render(recipient, account).get_body(("html",)).get_content()
    assert "https://example.com/spring" in plain and "/m/o/" not in plain
    unsubscribe = plain.split("</a> ")[1].split("<")[0].strip()

    account.track_opens_clicks = True
    message = compiled.render(recipient, account)
    html = message.get_body(("html",)).get_content()
    assert "https://example.com/spring" not in html and "/m/c/" in html and html.count("/m/o/") == 1
    assert unsubscribe in html
    assert message["List-Unsubscribe"]


def test_our_own_people_reading_a_sent_copy_in_the_crm_are_not_counted(crm_email, alice, settings):
    settings.SITE_URL = "http://testserver"
    pixel = tracking.open_url(crm_email=crm_email).removeprefix("http://testserver")
    staff = Client()
    staff.force_login(alice)
    assert staff.get(pixel).status_code == 200
    referred = Client().get(pixel, HTTP_REFERER="http://testserver/crm/mail/thread/?key=x")
    assert referred.status_code == 200
    assert not TrackingEvent.objects.exists()
    Client().get(pixel, HTTP_USER_AGENT=BROWSER)
    assert TrackingEvent.objects.count() == 1
