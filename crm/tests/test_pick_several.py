"""Issue 15, point 7: picking several (tags, products) takes plain clicks: every multi-select of
every /crm/ form is a checkbox list, never a <select multiple> that needs Ctrl held down."""

import re

import pytest
from django.test import RequestFactory

from crm.site import crm_site
from crm.tests.test_form_scope import forms_of, world_of

pytestmark = pytest.mark.django_db


def multi_selects(html):
    return re.findall(r"<select[^>]*\bmultiple\b[^>]*>", html)


@pytest.mark.parametrize("viewer", ["alice", "dana", "root"])
def test_no_crm_form_asks_for_ctrl_to_pick_several(request, alice, viewer):
    world_of(alice)
    http = RequestFactory().get("/crm/")
    http.user = request.getfixturevalue(viewer)
    found, checkbox_lists = [], 0
    for model, model_admin in crm_site._registry.items():
        for where, form in forms_of(model_admin, http):
            html = str(form)
            found += [f"{model.__name__} {where}: {tag}" for tag in multi_selects(html)]
            assert "Hold down" not in html, model
            checkbox_lists += html.count('class="checkbox-list"') and 1
    assert found == []
    assert checkbox_lists >= 3  # tags of companies, contacts and leads at least


def test_tags_on_a_contact_page_are_checkboxes(client, alice):
    world_of(alice)
    client.force_login(alice)
    html = client.get("/crm/crm/contact/add/").content.decode()
    assert '<div id="id_tags" class="checkbox-list">' in html
    assert re.search(r'<input type="checkbox" name="tags" value="\d+"', html)
    assert multi_selects(html) == []
