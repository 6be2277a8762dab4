import re

import pytest

from mailkit.sanitizing import sanitize_html

# (vector, what must not survive)
XSS_VECTORS = [
    ("<script>alert(1)</script>hello", "alert"),
    ("<SCRIPT SRC=//evil.test/x.js></SCRIPT>", "evil"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ("<img src=x onerror=alert(1)//>", "onerror"),
    ("<svg onload=alert(1)><circle r=1></svg>", "onload"),
    ("<svg><script>alert(1)</script></svg>", "alert"),
    ('<a href="javascript:alert(1)">x</a>', "javascript"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
    ('<a href=" javascript:alert(1)">x</a>', "alert"),
    ('<a href="jav&#x09;ascript:alert(1)">x</a>', "alert"),
    ('<a href="jav&#x0A;ascript:alert(1)">x</a>', "alert"),
    ('<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>', "alert"),
    ('<a href="&#x6A;avascript:alert(1)">x</a>', "alert"),
    ('<a href="vbscript:msgbox(1)">x</a>', "vbscript"),
    ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', "data:"),
    ('<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">', "data:"),
    ('<p style="width: expression(alert(1))">x</p>', "expression"),
    ('<p style="width: expr\\65 ssion(alert(1))">x</p>', "ssion"),
    ('<p style="background:url(javascript:alert(1))">x</p>', "javascript"),
    ('<p style="background-image:url(&quot;javascript:alert(1)&quot;)">x</p>', "javascript"),
    ('<p style="behavior:url(x.htc)">x</p>', "behavior"),
    ('<p style="-moz-binding:url(x.xml#xss)">x</p>', "binding"),
    ('<p style="color:red;/**/background:url(x)">x</p>', "url("),
    ('<iframe src="https://evil.test"></iframe>', "iframe"),
    ('<object data="x.swf"></object><embed src="x.swf">', "swf"),
    ('<form action="https://evil.test"><input name=p><button>go</button></form>', "action"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.test">', "refresh"),
    ('<base href="https://evil.test/">', "base"),
    ('<link rel=stylesheet href="https://evil.test/x.css">', "evil"),
    ("<style>@import 'https://evil.test/x.css';</style>", "import"),
    ('<div onmouseover="alert(1)">x</div>', "onmouseover"),
    ('<body onload="alert(1)">x</body>', "onload"),
    ('<a href="#" onclick="alert(1)">x</a>', "onclick"),
    ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "onerror"),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', "onerror"),
    ("<!--<img src=x onerror=alert(1)>-->", "onerror"),
    ('<a href="https://ok.test" target="_blank" formaction="javascript:alert(1)">x</a>', "formaction"),
    ('<img src="x" srcset="javascript:alert(1)">', "srcset"),
    ('<table background="javascript:alert(1)"><tr><td>x</td></tr></table>', "javascript"),
]


@pytest.mark.parametrize(("vector", "forbidden"), XSS_VECTORS)
def test_known_xss_vectors_are_neutralised(vector, forbidden):
    cleaned = sanitize_html(vector)
    assert forbidden.lower() not in cleaned.lower(), cleaned
    assert not re.search(r"<(script|iframe|object|embed|form|meta|base|link|svg|style)\b", cleaned, re.I)
    assert not re.search(r"\son\w+\s*=", cleaned, re.I)


def test_mail_formatting_survives():
    html = (
        '<table cellpadding="4" style="border-collapse:collapse"><tr>'
        '<td style="color:#333;font-size:14px;padding:4px 8px">Hi <b>there</b></td></tr></table>'
        '<p><a href="https://example.com/x?a=1&amp;b=2">offer</a> <a href="mailto:a@b.test">mail</a>'
        ' <img src="cid:logo" alt="Logo" width="80"></p>'
    )
    cleaned = sanitize_html(html)
    assert 'style="border-collapse:collapse"' in cleaned
    assert "padding:4px 8px" in cleaned and "color:#333" in cleaned
    assert 'href="https://example.com/x?a=1&amp;b=2"' in cleaned
    assert 'href="mailto:a@b.test"' in cleaned
    assert 'src="cid:logo"' in cleaned and 'alt="Logo"' in cleaned


def test_template_variables_are_kept_for_the_renderer():
    html = '<p>Hi {{ first_name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>{% if company %}x{% endif %}'
    cleaned = sanitize_html(html)
    assert "{{ first_name }}" in cleaned
    assert 'href="{{ unsubscribe_url }}"' in cleaned
    assert "{% if company %}" in cleaned


def test_empty_input():
    assert sanitize_html("") == ""
    assert sanitize_html(None) == ""
