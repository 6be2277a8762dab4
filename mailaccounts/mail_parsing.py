"""Turn raw RFC 5322 bytes into plain values, whatever the sender's software did.

Real mail has broken MIME, charsets Python does not know, RFC 2047 words in headers and
attachments bigger than anyone wants stored. Nothing here raises on bad input: a part that
cannot be decoded becomes text with replacement characters, and the message is kept.
The HTML returned is *not* sanitized: callers pass it through `mailkit.sanitizing.sanitize_html`
before storing or showing it.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.parser
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message

from django.conf import settings

from mailkit.returned_mail import is_auto_reply

MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
SURROGATE_RE = re.compile("[\udc80-\udcff]")  # raw 8-bit bytes, as the parser escapes them


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    size: int
    content: bytes | None  # None when over the size cap (truncated)
    content_id: str = ""

    @property
    def truncated(self) -> bool:
        return self.content is None


@dataclass
class ParsedMessage:
    message: Message
    message_id: str
    in_reply_to: str
    references: list[str]
    subject: str
    sender: str  # the bare address, lower-cased
    sender_name: str
    to: list[tuple[str, str]]  # (name, address)
    cc: list[tuple[str, str]]
    date: datetime | None
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    is_auto_reply: bool = False
    content_type: str = "text/plain"

    @property
    def referenced_ids(self) -> list[str]:
        """Message-IDs this one answers: In-Reply-To first, then References, newest first."""
        ids = MESSAGE_ID_RE.findall(self.in_reply_to) + list(reversed(self.references))
        return list(dict.fromkeys(ids))


def attachment_max_bytes() -> int:
    return settings.IMAP_ATTACHMENT_MAX_BYTES


def message_from_bytes(raw: bytes) -> Message:
    # compat32 never raises on malformed headers; the modern policy can raise on access.
    return email.message_from_bytes(raw)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes to text in the declared charset; unknown or wrong charsets fall back gracefully."""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            codecs.lookup(candidate)
        except LookupError:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    # latin-1 maps every byte, so this never fails; it is the usual truth for undeclared 8-bit.
    return data.decode("latin-1")


def decode_header(value) -> str:
    """An RFC 2047 header (possibly with unknown charsets or raw 8-bit) to one clean line."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        value = str(value)
    try:
        parts = email.header.decode_header(value)
    except (email.errors.HeaderParseError, ValueError, LookupError):
        return _one_line(str(value))
    chunks = []
    for chunk, charset in parts:
        chunks.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    # decode_header drops the whitespace between an encoded word and plain text.
    joined = "".join(chunks) if len(parts) > 1 else (chunks[0] if chunks else "")
    return _one_line(joined)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\x00", "")).strip()


def _raw_header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        # compat32 wraps raw 8-bit header bytes in an "unknown-8bit" Header: read them as UTF-8
        # (latin-1 when that fails) instead of replacement characters.
        chunks = email.header.decode_header(value)
        return "".join(decode_bytes(b, c) if isinstance(b, bytes) else b for b, c in chunks)
    # Raw 8-bit header bytes arrive as surrogate escapes; read them as UTF-8 or latin-1.
    if SURROGATE_RE.search(value):
        raw = value.encode("utf-8", "surrogateescape")
        return decode_bytes(raw, "utf-8")
    return value


def header_text(message: Message, name: str) -> str:
    return decode_header(_raw_header(message, name))


def addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs from address headers, bad ones dropped."""
    values = [_raw_header(message, name) for name in names]
    pairs = []
    for name, address in email.utils.getaddresses([v for v in values if v]):
        address = address.strip().strip("<>").lower()
        if "@" in address:
            pairs.append((decode_header(name), address))
    return pairs


def message_ids(text: str) -> list[str]:
    return MESSAGE_ID_RE.findall(text or "")


def parse_date(message: Message) -> datetime | None:
    value = _raw_header(message, "Date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_headers(raw: bytes) -> ParsedMessage:
    """Only the headers (from `RFC822.HEADER`): enough to decide whether to fetch the body."""
    # headersonly: a multipart's boundary is not compiled into a regex for an empty body.
    message = email.parser.BytesParser().parsebytes(raw, headersonly=True)
    return _from_headers(message)


def _from_headers(message: Message) -> ParsedMessage:
    subject = header_text(message, "Subject")
    senders = addresses(message, "From") or addresses(message, "Sender")
    sender_name, sender = senders[0] if senders else ("", "")
    message_id = (message_ids(_raw_header(message, "Message-ID")) or [""])[0]
    try:
        content_type = message.get_content_type()
    except Exception:  # a hopeless Content-Type header still leaves a message
        content_type = "text/plain"
    return ParsedMessage(
        message=message,
        message_id=message_id,
        in_reply_to=" ".join(message_ids(_raw_header(message, "In-Reply-To"))),
        references=message_ids(_raw_header(message, "References")),
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        to=addresses(message, "To"),
        cc=addresses(message, "Cc"),
        date=parse_date(message),
        is_auto_reply=is_auto_reply(message),
        content_type=content_type,
    )


def parse_message(raw: bytes, *, max_attachment_bytes: int | None = None) -> ParsedMessage:
    """The whole message: headers, the best text and HTML bodies, and attachments (capped)."""
    cap = attachment_max_bytes() if max_attachment_bytes is None else max_attachment_bytes
    message = message_from_bytes(raw)
    parsed = _from_headers(message)
    if not parsed.message_id:
        parsed.message_id = synthetic_message_id(raw)
    texts, htmls = [], []
    for part in _walk(message):
        if part.is_multipart():
            continue
        content_type = _content_type(part)
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if content_type.startswith("message/") or content_type == "text/rfc822-headers":
            continue  # kept inside `message` for the bounce parser; not body text
        if disposition != "attachment" and not filename and content_type in ("text/plain", "text/html"):
            body = part_text(part)
            (htmls if content_type == "text/html" else texts).append(body)
            continue
        payload = _payload_bytes(part)
        size = len(payload)
        parsed.attachments.append(
            ParsedAttachment(
                filename=filename or _default_filename(content_type),
                content_type=content_type,
                size=size,
                content=payload if size <= cap else None,
                content_id=(message_ids(_raw_header(part, "Content-ID")) or [""])[0].strip("<>"),
            )
        )
    parsed.text = "\n\n".join(t for t in texts if t.strip())
    parsed.html = "\n".join(h for h in htmls if h.strip())
    return parsed


def synthetic_message_id(raw: bytes) -> str:
    """A stable stand-in for a message without Message-ID, so a re-sync can still dedupe it."""
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return f"<no-message-id.{digest}@crm.invalid>"


def _walk(message: Message):
    try:
        yield from message.walk()
    except Exception:  # a structure so broken walk() fails: treat the whole thing as one part
        yield message


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is None:
        return ""
    name = decode_header(name)
    return name.replace("/", "_").replace("\\", "_")[:200]


def _default_filename(content_type: str) -> str:
    return "attachment." + (content_type.rpartition("/")[2] or "bin")[:20]


def _payload_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        raw = part.get_payload()
        payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return payload


def part_text(part: Message) -> str:
    """A text part decoded by its transfer encoding and charset, never raising."""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(_payload_bytes(part), charset).replace("\x00", "")
