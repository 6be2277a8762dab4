"""Issue 15, point 8: /crm/ pages say what they are ("Contacts", "Jane Doe"), and their
breadcrumbs go Home › list › record, without the admin's app level repeated."""

import html as entities
import re

import pytest
from django.urls import reverse
from django.utils.text import capfirst

from crm.models import Company, Contact
from crm.site import crm_site
from crm.tests.test_form_scope import world_of

pytestmark = pytest.mark.django_db


def heading(html):
    return entities.unescape(re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip())


def breadcrumbs(html):
    crumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S).group(1)
    return entities.unescape(" ".join(re.sub(r"<[^>]+>", "", crumbs).split()))


def test_every_crm_list_and_record_page_has_a_human_heading_and_flat_breadcrumbs(client, alice):
    world_of(alice)
    client.force_login(alice)
    seen = 0
    for model, model_admin in crm_site._registry.items():
        opts = model._meta
        plural = capfirst(opts.verbose_name_plural)
        response = client.get(reverse(f"crm:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 200, model
        html = response.content.decode()
        assert heading(html) == plural
        assert breadcrumbs(html) == f"Home › {plural}"
        assert "to change" not in html and "to view" not in html

        obj = model_admin.get_queryset(response.wsgi_request).first()
        if obj is None:
            continue
        url = reverse(f"crm:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        response = client.get(url)
        assert response.status_code == 200, model
        html = response.content.decode()
        assert heading(html) == str(model_admin.heading(obj)), model
        assert breadcrumbs(html) == f"Home › {plural} › {obj}", model
        assert f"<h2>{entities.escape(str(obj), quote=False)}</h2>" not in html  # once, as the h1
        seen += 1
    assert len(crm_site._registry) >= 10 and seen >= 8


def test_a_contacts_page_reads_home_contacts_and_its_name(client, alice):
    company = Company.objects.create(full_name="Acme", owner=alice)
    jane = Contact.objects.create(first_name="Jane", last_name="Doe", company=company, owner=alice)
    client.force_login(alice)
    html = client.get(reverse("crm:crm_contact_change", args=[jane.pk])).content.decode()
    assert heading(html) == "Jane Doe"
    assert breadcrumbs(html) == "Home › Contacts › Jane Doe"
    assert heading(client.get(reverse("crm:crm_contact_add")).content.decode()) == "Add contact"


def test_superusers_admin_keeps_its_app_level(client, root):
    client.force_login(root)
    html = client.get(reverse("admin:mailaccounts_emailaccount_changelist")).content.decode()
    assert reverse("admin:app_list", args=["mailaccounts"]) in html
