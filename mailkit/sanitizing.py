"""HTML that is safe to store, show in the CRM and send by mail: one sanitizer for every place.

Messages, signatures, one-to-one emails and imported mail all pass through `sanitize_html`.
It uses nh3 (bindings to the Rust ammonia library): an allow-list parser, so anything it does
not know (script, iframe, object, form, meta, base, event handlers, unknown URL schemes) is
dropped rather than escaped by hand.

URL schemes: http, https, mailto and cid (inline images attached to the message). `data:` is
not allowed anywhere, images included: Gmail and Outlook do not display data: images in mail
anyway, and a `data:image/svg+xml` or `data:text/html` URL can carry script when a reader
opens it, so allowing it would add risk for no benefit. Inline images go as `cid:` parts.

Inline `style` attributes are kept, filtered to a list of presentational CSS properties;
ammonia drops every other declaration (and with them `expression()`, `behavior` and
`url(javascript:…)`, since no allowed property takes a URL).
"""

import re

import nh3

TAGS = {
    "a", "abbr", "address", "b", "big", "blockquote", "br", "caption", "center", "cite",
    "code", "col", "colgroup", "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q",
    "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "tt", "u", "ul",
}  # fmt: skip

# Dropped with their content, not only the tags: their text is never meant to be read.
CLEAN_CONTENT_TAGS = {
    "script",
    "style",
    "title",
    "head",
    "noscript",
    "template",
    "iframe",
    "object",
    "textarea",
}

GENERIC_ATTRIBUTES = {"style", "title", "dir", "lang", "align", "valign", "class", "width", "height"}
ATTRIBUTES = {
    "*": GENERIC_ATTRIBUTES,
    "a": {"href", "name", "target"},
    "img": {"src", "alt", "border", "hspace", "vspace"},
    "table": {"border", "cellpadding", "cellspacing", "bgcolor", "role"},
    "td": {"colspan", "rowspan", "bgcolor", "nowrap"},
    "th": {"colspan", "rowspan", "bgcolor", "nowrap", "scope"},
    "tr": {"bgcolor"},
    "col": {"span"},
    "colgroup": {"span"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "blockquote": {"cite"},
    "q": {"cite"},
}

URL_SCHEMES = {"http", "https", "mailto", "cid"}

# Presentational properties that mail clients honour; none of them takes a URL.
STYLE_PROPERTIES = {
    "background-color", "border", "border-bottom", "border-bottom-color", "border-bottom-style",
    "border-bottom-width", "border-collapse", "border-color", "border-left", "border-left-color",
    "border-left-style", "border-left-width", "border-radius", "border-right", "border-right-color",
    "border-right-style", "border-right-width", "border-spacing", "border-style", "border-top",
    "border-top-color", "border-top-style", "border-top-width", "border-width", "clear", "color",
    "direction", "display", "float", "font", "font-family", "font-size", "font-style",
    "font-variant", "font-weight", "height", "letter-spacing", "line-height", "list-style-type",
    "margin", "margin-bottom", "margin-left", "margin-right", "margin-top", "max-height",
    "max-width", "min-height", "min-width", "padding", "padding-bottom", "padding-left",
    "padding-right", "padding-top", "table-layout", "text-align", "text-decoration",
    "text-indent", "text-transform", "vertical-align", "white-space", "width", "word-break",
    "word-spacing",
}  # fmt: skip

# ammonia filters declarations by property name only and decodes CSS escapes, so values are
# checked here too: plain words, numbers, colours and rgb()/hsl() only; no url(), no
# expression(), no backslash escapes, no comments.
_COLOUR_FUNCTION = re.compile(r"\b(?:rgba?|hsla?)\([\d\s.,%/]*\)", re.IGNORECASE)
_SAFE_VALUE = re.compile(r"[\w\s#%.,+'\"!/-]*")


def _safe_declarations(style: str) -> str:
    kept = []
    for declaration in style.split(";"):
        name, colon, value = declaration.partition(":")
        name = name.strip().lower()
        if not colon or name not in STYLE_PROPERTIES:
            continue
        if "/*" in value or not _SAFE_VALUE.fullmatch(_COLOUR_FUNCTION.sub("", value)):
            continue
        kept.append(f"{name}:{value.strip()}")
    return ";".join(kept)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        return _safe_declarations(value) or None
    return value


_cleaner = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags=CLEAN_CONTENT_TAGS,
    attributes=ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    filter_style_properties=STYLE_PROPERTIES,
    attribute_filter=_filter_attribute,
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """The HTML with only mail-safe tags, attributes, URL schemes and CSS properties left.

    Template variables survive (`{{ unsubscribe_url }}` in an href stays as it is: it is a
    relative URL to the sanitizer), so bodies are sanitized when stored, and their rendered
    HTML is sanitized again after the template step, before it is sent or shown.
    """
    if not html:
        return ""
    return _cleaner.clean(html)
