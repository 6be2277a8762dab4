"""Every page names the site's icon, so browsers stop asking for a /favicon.ico that is not there."""

import re

from django.contrib.staticfiles import finders


def test_every_page_names_an_icon_that_is_among_the_static_files(client, alice):
    client.force_login(alice)
    for url in ("/crm/", "/crm/crm/contact/", "/crm/mail/", "/crm/login/"):
        html = client.get(url, follow=True).content.decode()
        (href,) = re.findall(r'<link rel="icon" href="([^"]+)"', html)
        assert finders.find(href.split("/static/", 1)[1]), href
