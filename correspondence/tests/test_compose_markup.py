"""Issue 15, point 7: the compose page is laid out like the admin's own forms."""

import re

import pytest

from correspondence.tests.mail_fixtures import account_on
from crm.tests.form_markup import assert_admin_form_markup

pytestmark = pytest.mark.django_db


def test_compose_renders_in_the_admins_aligned_form_markup(client, alice):
    account_on(None, alice)
    client.force_login(alice)
    html = client.get("/crm/mail/compose/").content.decode()
    assert_admin_form_markup(
        html,
        ["account", "to", "cc", "subject", "template", "body", "signature", "track_opens", "scheduled_at"],
    )
    # a checkbox sits before its label, as in the admin's forms
    assert re.search(r'class="flex-container checkbox-row"><input type="checkbox" name="track_opens"', html)
    assert '<button type="submit" name="action" value="send" class="button default">' in html
