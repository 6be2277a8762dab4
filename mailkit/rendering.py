"""Templates of mail, headers and MIME: pure functions, no models.

A dedicated Django template `Engine` renders message templates: autoescaping on for HTML, no
template loaders, and only a handful of harmless tags and filters (no `{% load %}`,
`{% include %}`, `{% debug %}`), so a message author can only print the variables we hand them.

Variables: `first_name`, `last_name`, `full_name`, `company`, `email`, `unsubscribe_url`,
and `user.name`, `user.first_name`, `user.last_name`, `user.email` (the sender).

Also here: Message-IDs, HTML to text, and building MIME cheaply
(shared, pre-parsed headers) for the drip's per-recipient messages (massmail/compiling.py).
"""

import base64
import binascii
import functools
import re
import secrets
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings
from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import VariableNode

from mailkit.headers import has_line_break, one_line
from mailkit.sanitizing import sanitize_html

VARIABLES = ("first_name", "last_name", "full_name", "company", "email", "unsubscribe_url", "user")
USER_VARIABLES = ("name", "first_name", "last_name", "email")
KNOWN_VARIABLES = (
    "{{ first_name }}, {{ last_name }}, {{ full_name }}, {{ company }}, {{ email }}, "
    "{{ unsubscribe_url }}, {{ user.name }}, {{ user.email }}"
)

# --- the template engine --------------------------------------------------------------------

# Exposed to templates as the engine's only builtins (see `_engine`).
register = Library()
for _name in ("if", "for", "with", "comment", "firstof", "now", "spaceless", "verbatim", "templatetag"):
    register.tag(_name, defaulttags.register.tags[_name])
for _name in (
    "default", "default_if_none", "upper", "lower", "title", "capfirst", "date", "time",
    "truncatechars", "truncatewords", "yesno", "linebreaksbr", "length", "first", "last", "join",
):  # fmt: skip
    register.filter(_name, defaultfilters.register.filters[_name])


@functools.cache
def _engine(autoescape=True, debug=False):
    return Engine(
        dirs=[],
        app_dirs=False,
        loaders=[],
        libraries={},
        builtins=["mailkit.rendering"],
        autoescape=autoescape,
        debug=debug,
        string_if_invalid="",
    )


def compile_template(source, autoescape=True):
    """A template of our restricted engine (autoescaping for HTML)."""
    return _engine(autoescape).from_string(source or "")


def site_host():
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def make_message_id() -> str:
    """A new Message-ID on our own domain, so replies and bounces can be matched to us."""
    return f"<{secrets.token_urlsafe(18)}@{site_host()}>"


# --- header safety --------------------------------------------------------------------------

# `one_line`, `has_line_break` and `address_header` live in mailkit/headers.py (one home).


class RenderError(ValueError):
    """This recipient cannot be mailed (e.g. an unusable address); the rest of the batch can."""


# --- plain text from HTML -------------------------------------------------------------------

_BLOCKS = {
    "p", "div", "table", "tr", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "hr", "address", "center", "dl", "dt", "dd", "caption", "li",
}  # fmt: skip
_SKIPPED = {"style", "script", "head", "title"}


class _TextMaker(HTMLParser):
    """Readable text from mail HTML: blocks on their own lines, links as "text (url)"."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.skip = 0
        self.links = []  # (href, index in out where the link text starts)
        self.pre = 0

    def newline(self, count=1):
        text = "".join(self.out).rstrip(" ")
        have = len(text) - len(text.rstrip("\n"))
        if text and have < count:
            self.out = [text, "\n" * (count - have)]
        elif text:
            self.out = [text]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in _SKIPPED:
            self.skip += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.newline()
            self.out.append("- ")
        elif tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre"):
            self.newline(2)
            self.pre += tag == "pre"
        elif tag in _BLOCKS:
            self.newline()
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag == "a":
            self.links.append((attrs.get("href") or "", len(self.out)))
        elif tag == "img" and attrs.get("alt"):
            self.out.append(attrs["alt"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.out[start:]).strip()
            if href and not href.startswith(("#", "cid:")) and href != label:
                target = href[7:] if href.startswith("mailto:") else href
                if not label:
                    self.out.append(target)
                elif target != label:
                    self.out.append(f" ({target})")
        elif tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre"):
            self.newline(2)
            self.pre -= tag == "pre"
        elif tag in _BLOCKS:
            self.newline()

    def handle_data(self, data):
        if self.skip:
            return
        self.out.append(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self):
        lines = (line.strip() for line in "".join(self.out).splitlines())
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _TextMaker()
    parser.feed(html or "")
    parser.close()
    return parser.text()


# --- variables ------------------------------------------------------------------------------


def user_variables(user):
    if user is None:
        return {}
    return {
        "name": user.get_full_name() or user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
    }


def record_variables(record):
    """The template variables of a Company, Contact or Lead (no query if `contact__company` is loaded)."""
    if record is None:
        return {"first_name": "", "last_name": "", "full_name": "", "company": "", "email": ""}
    model = record._meta.model_name
    if model == "company":
        first, last, full, company = "", "", record.full_name, record.full_name
    else:
        first, last = record.first_name, record.last_name
        full = f"{first} {last}".strip()
        company = record.company.full_name if model == "contact" else record.company_name
    return {
        "first_name": first,
        "last_name": last,
        "full_name": full,
        "company": company,
        "email": record.email,
    }


# --- compiling and rendering ----------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    data: bytes
    maintype: str
    subtype: str
    filename: str
    content_id: str  # without angle brackets; "" for a plain attachment


# --- building MIME cheaply ------------------------------------------------------------------
#
# `email`'s modern API parses and refolds a header whenever it is set or read (about half a
# millisecond each), which would cap rendering at a few hundred messages a second. Here the
# per-recipient values are already one line (see `one_line`), so short ASCII ones are stored
# as they are; only non-ASCII or very long ones go through the policy's parser to be encoded.
# The MIME headers (Content-Type with its boundary, Content-Transfer-Encoding) are parsed once
# per compiled message and shared, so generating the bytes never parses them again. Bodies
# are encoded by binascii (quoted-printable), in C.

POLICY = policy.SMTP.clone(refold_source="none")


def set_header(message, name, value):
    if has_line_break(value):
        raise RenderError(f"{name} must be one line")
    if value.isascii() and len(value) < 900:
        message.set_raw(name, value)
    elif name == "Subject":
        message.set_raw(name, _encoded_words(value))
    else:
        message[name] = value


def _encoded_words(text):
    """RFC 2047 UTF-8 encoded words, folded: at most 45 bytes (60 base64 characters) each."""
    words, chunk, size = [], [], 0
    for char in text:
        width = len(char.encode())
        if size + width > 45:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    words.append("".join(chunk))
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word.encode()).decode()}?=" for word in words)


class _FoldOnce:
    """A parsed header's folded text, computed once per line ending instead of per message."""

    def __init__(self, header):
        self.header = header
        self.folded = {}

    def __call__(self, *, policy):
        key = (policy.linesep, policy.max_line_length)
        if key not in self.folded:
            self.folded[key] = type(self.header).fold(self.header, policy=policy)
        return self.folded[key]


def _parsed(name, value):
    header = POLICY.header_factory(name, value)
    header.fold = _FoldOnce(header)
    return header


class MimeHeaders:
    """Parsed header objects of one compiled message's MIME skeleton, shared by its messages.

    They are stored with `set_raw` (no per-message parsing, no duplicate check: we set each
    once), read by the generator without parsing, and folded once.
    """

    def __init__(self):
        self.text = {
            sub: _parsed("Content-Type", f'text/{sub}; charset="utf-8"') for sub in ("plain", "html")
        }
        self.qp = _parsed("Content-Transfer-Encoding", "quoted-printable")
        # A boundary must not occur in the content: 128 random bits per compile, and the
        # bodies are quoted-printable, whose lines never start with "--=_".
        self.multipart = {
            sub: _parsed("Content-Type", f'multipart/{sub}; boundary="=_{sub[:3]}{secrets.token_hex(16)}"')
            for sub in ("alternative", "related", "mixed")
        }
        self.version = _parsed("MIME-Version", "1.0")


def text_part(headers, subtype, text):
    part = EmailMessage(policy=POLICY)
    part.set_raw("Content-Type", headers.text[subtype])
    part.set_raw("Content-Transfer-Encoding", headers.qp)
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode(), istext=True)
    part.set_payload(encoded.decode("ascii"))
    return part


def multipart(headers, subtype, parts, message=None):
    message = message if message is not None else EmailMessage(policy=POLICY)
    message.set_raw("Content-Type", headers.multipart[subtype])
    message.set_payload(list(parts))
    return message


def file_part(attachment):
    part = EmailMessage(policy=POLICY)
    options = {"filename": attachment.filename}
    if attachment.content_id:
        options.update(disposition="inline", cid=f"<{attachment.content_id}>")
    part.set_content(attachment.data, maintype=attachment.maintype, subtype=attachment.subtype, **options)
    return part


# --- one-to-one mail and validation ---------------------------------------------------------


def render_for_record(subject, html, record=None, user=None):
    """(subject, html) of a one-to-one email: variables filled for a record and the sender.

    A template that does not parse is returned as written, so a send never fails on it. The
    HTML is sanitized last, after the template step, either way.
    """
    context = record_variables(record) | {"user": user_variables(user), "unsubscribe_url": ""}
    try:
        rendered_subject = compile_template(subject, autoescape=False).render(
            Context(context, autoescape=False)
        )
        rendered_html = compile_template(html).render(Context(context))
    except TemplateSyntaxError:
        return subject, sanitize_html(html)
    return one_line(rendered_subject), sanitize_html(rendered_html)


def _variables_used(template):
    names = set()
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        var = node.filter_expression.var
        lookups = getattr(var, "lookups", None)
        if lookups:
            names.add(".".join(lookups))
    return names


def _syntax_error(where, exc):
    debug = getattr(exc, "template_debug", None)
    line = f" on line {debug['line']}" if debug else ""
    return f"The {where} has a template error{line}: {exc}"


def validate_template(subject, body, *, require_unsubscribe=True) -> list[str]:
    """Sentences for a form: syntax errors (with line), a missing unsubscribe link, unknown variables.

    One-to-one templates pass `require_unsubscribe=False`.
    """
    errors = []
    if has_line_break(subject):
        errors.append("The subject must be one line.")
    used = set()
    for where, source, autoescape in (("subject", subject, False), ("body", body, True)):
        try:
            template = _engine(autoescape, debug=True).from_string(source or "")
        except TemplateSyntaxError as exc:
            errors.append(_syntax_error(where, exc))
            continue
        used |= _variables_used(template)
    if (
        require_unsubscribe
        and not any(name == "unsubscribe_url" for name in used)
        and "unsubscribe_url" not in (body or "")
    ):
        errors.append("The body must contain the unsubscribe link {{ unsubscribe_url }}.")
    for name in sorted(used):
        top, _, attr = name.partition(".")
        if top not in VARIABLES or (top == "user" and attr not in USER_VARIABLES) or (top != "user" and attr):
            errors.append(f"Unknown variable {{{{ {name} }}}}: use one of {KNOWN_VARIABLES}.")
    return errors
