"""The stored-XSS payloads of issue 12, and a check that HTML carries none of them live.

Each payload sets `window.__xss` when its script runs, so a browser test can ask whether
anything ran. They survive a sanitizer that runs *before* the template step: the comment
swallows the quote that closed `title`, a string literal prints a tag unescaped, and a literal
puts a `javascript:` URL where the sanitizer saw template syntax.
"""

from html.parser import HTMLParser

PAYLOADS = (
    '<img src="x" title="{% comment %}">{% endcomment %}" onerror="window.__xss=1">',
    '{{ "<script>window.__xss=1</script>" }}',
    "<a href=\"{{ 'javascript:window.__xss=1' }}\">click me</a>",
)
PAYLOAD = "<p>Hello</p>" + "".join(PAYLOADS)

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background"}


class _LiveScript(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "base", "meta", "form"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if (
                name.startswith("on")
                or name in _URL_ATTRIBUTES
                and "".join((value or "").split()).lower().startswith("javascript:")
            ):
                self.found.append(f"{tag} {name}={value!r}")

    handle_startendtag = handle_starttag


def live_script(html: str) -> list[str]:
    """What in `html` could run script: script-like tags, event handlers, javascript: URLs."""
    parser = _LiveScript()
    parser.feed(html or "")
    parser.close()
    return parser.found
