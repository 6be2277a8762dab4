"""What "styled like the admin's own forms" means for a page of ours, checked on its HTML."""

import re


def assert_admin_form_markup(html, fields):
    """Each of `fields` sits in an aligned fieldset's form row beside its label, the admin's
    form styles are loaded, and every submit button is one of the admin's buttons."""
    assert "admin/css/forms.css" in html
    html = html[html.index('<div id="content"') :]  # the header's "Log out" is a link-like button
    assert '<fieldset class="module aligned">' in html
    for name in fields:
        row = re.search(rf'<div class="form-row[^"]*\bfield-{name}\b[^"]*">(.*?)\n\s*</div>\n', html, re.S)
        assert row, f"no form row for {name}"
        assert re.search(rf'name="{name}"', row.group(1)), name
        assert "<label" in row.group(1), name
    for button in re.findall(r"<button[^>]*>", html):
        if 'type="submit"' in button and "deletelink" not in button:
            assert re.search(r'class="[^"]*\bbutton\b', button), button
    assert "submit-row" in html
