"""Saved segments (massmail/segments.py): dynamic sets of filters with a live count, shared or
personal, engagement filters over what mailings recorded, and "Create mailing" from one."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from correspondence.models import CrmEmail, TrackingEvent
from crm.models import Company, Contact, Lead, Tag
from massmail import segments
from massmail.models import Mailing, MailingRecipient, Message, Segment, Suppression
from massmail.tests.drip_helpers import BODY, make_mailing

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


def contact(owner, email, **fields):
    company = Company.objects.get_or_create(full_name=f"{owner.username} Co", owner=owner)[0]
    return Contact.objects.create(company=company, owner=owner, email=email, **fields)


def segment(owner, filters, kind="contacts", **fields):
    return Segment.objects.create(owner=owner, name="S", recipient_type=kind, filters=filters, **fields)


def test_the_count_follows_the_records(alice):
    vip_germans = segment(alice, {"country": "germany", "vip": "yes", "accepts_newsletters": True})
    contact(alice, "a@x.test", country="Germany", is_vip=True)
    contact(alice, "b@x.test", country="France", is_vip=True)
    assert segments.live_count(vip_germans, alice) == 1
    b = Contact.objects.get(email="b@x.test")
    b.country = "Germany"
    b.save()
    assert segments.live_count(vip_germans, alice) == 2
    Contact.objects.filter(email="a@x.test").update(massmail=False)
    assert segments.live_count(vip_germans, alice) == 1


def test_tags_industry_and_created_since(alice):
    fair = Tag.objects.create(name="Fair")
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        old = Lead.objects.create(owner=alice, email="old@x.test", industry="software")
    new = Lead.objects.create(owner=alice, email="new@x.test", industry="software")
    Lead.objects.create(owner=alice, email="retail@x.test", industry="retail")
    old.tags.add(fair)
    new.tags.add(fair)
    with time_machine.travel(NOW, tick=False):
        tagged = segment(alice, {"tags": [fair.pk], "industry": "software"}, kind="leads")
        assert set(segments.segment_records(tagged, alice).values_list("email", flat=True)) == {
            "old@x.test",
            "new@x.test",
        }
        recent = segment(
            alice, {"created_since": (NOW - datetime.timedelta(days=7)).date().isoformat()}, kind="leads"
        )
    assert "old@x.test" not in set(segments.segment_records(recent, alice).values_list("email", flat=True))


def test_opened_and_clicked_in_the_last_days(alice):
    with time_machine.travel(NOW, tick=False):
        mailing = make_mailing(alice, 3)
        first, second, third = MailingRecipient.objects.filter(mailing=mailing).order_by("email")
        TrackingEvent.objects.create(kind="open", mailing_recipient=first)
        TrackingEvent.objects.create(kind="click", mailing_recipient=second)
        TrackingEvent.objects.create(kind="open", mailing_recipient=third, is_machine=True)  # a proxy
        opened = segment(alice, {"opened_days": 7})
        clicked = segment(alice, {"clicked_days": 7})
        assert list(segments.segment_records(opened, alice)) == [first.contact]
        assert list(segments.segment_records(clicked, alice)) == [second.contact]
    with time_machine.travel(NOW + datetime.timedelta(days=8), tick=False):
        assert segments.live_count(opened, alice) == 0


def test_replied_and_bounced(alice):
    replied, bounced, suppressed, quiet = (contact(alice, f"{n}@x.test") for n in ("r", "b", "s", "q"))
    CrmEmail.objects.create(direction="in", contact=replied, subject="Re: offer", date=timezone.now())
    CrmEmail.objects.create(direction="in", contact=quiet, subject="Out of office", is_auto_reply=True)
    mailing = make_mailing(alice, 1, prefix="other")
    MailingRecipient.objects.create(mailing=mailing, contact=bounced, email="b@x.test", status="failed")
    Suppression.suppress("S@x.test", Suppression.Reason.BOUNCED)
    assert list(segments.segment_records(segment(alice, {"replied": True}), alice)) == [replied]
    assert set(segments.segment_records(segment(alice, {"bounced": True}), alice)) == {bounced, suppressed}


def test_shared_and_personal_segments_count_in_each_users_scope(alice, bob, dana):
    contact(alice, "a@x.test")
    contact(bob, "b@x.test")
    personal = segment(alice, {})
    shared = segment(alice, {}, is_shared=True)
    assert set(Segment.objects.visible_to(bob)) == {shared}
    assert segments.live_count(shared, bob) == 1
    assert segments.live_count(shared, dana) == 2
    assert personal in Segment.objects.visible_to(alice)


def test_the_segments_page_shows_live_counts_and_saves_filters(client, alice, bob):
    contact(alice, "a@x.test", country="Germany")
    contact(alice, "b@x.test", country="France")
    client.force_login(alice)
    response = client.post(
        "/crm/massmail/segment/add/",
        {
            "name": "Germans",
            "recipient_type": "contacts",
            "country": "Germany",
            "accepts_newsletters": "on",
            "opened_days": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Segment.objects.get()
    assert (saved.owner, saved.filters) == (alice, {"country": "Germany", "accepts_newsletters": True})
    page = client.get("/crm/massmail/segment/").content.decode()
    assert '<td class="field-live_count">1</td>' in page
    assert "1 records match now" in client.get(f"/crm/massmail/segment/{saved.pk}/change/").content.decode()
    client.force_login(bob)
    assert client.get(f"/crm/massmail/segment/{saved.pk}/change/").status_code == 404


def test_create_mailing_takes_a_segment(client, alice):
    contact(alice, "a@x.test", country="Germany")
    contact(alice, "b@x.test", country="France")
    germans = segment(alice, {"country": "Germany"})
    message = Message.objects.create(owner=alice, subject="News", body=BODY)
    client.force_login(alice)
    page = client.get("/crm/massmail/segment/").content.decode()
    link = f"/crm/massmail/mailing/create/?segment={germans.pk}&amp;recipient_type=contacts"
    assert link in page
    form = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'<option value="{germans.pk}" selected>' in form and "errorlist" not in form
    response = client.post(
        "/crm/massmail/mailing/create/",
        {"message": message.pk, "segment": germans.pk, "recipient_type": "leads", "create": "1"},
    )
    assert response.status_code == 302
    mailing = Mailing.objects.get()
    assert mailing.recipient_type == "contacts"
    assert list(mailing.recipients.values_list("email", flat=True)) == ["a@x.test"]


def test_another_users_personal_segment_cannot_be_used_for_a_mailing(client, alice, bob):
    contact(alice, "a@x.test")
    mine = segment(alice, {})
    message = Message.objects.create(owner=bob, subject="News", body=BODY)
    client.force_login(bob)
    response = client.post(
        "/crm/massmail/mailing/create/",
        {"message": message.pk, "segment": mine.pk, "recipient_type": "contacts", "create": "1"},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Mailing.objects.exists()
