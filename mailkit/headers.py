"""Header safety: nothing taken from data can start a new header or add an address.

`one_line` for any header value; `address_header` for every From and Reply-To we write
(one-to-one mail, mailings, test sends, digests).
"""

import re
from email.utils import formataddr

_LINE_BREAKS = re.compile(r"[\r\n\x00\u2028\u2029\x85\x0b\x0c]+")
# One addr-spec: no blanks, separators, brackets or quotes that could make it two addresses.
_ADDR_SPEC = re.compile(r"[^\s,;:<>()\[\]\"\\@]+@[^\s,;:<>()\[\]\"\\@]+")


class UnsafeAddress(ValueError):
    """An address that is not exactly one plain address; the message is meant for people."""


def one_line(value) -> str:
    """A header value with every line break made a space: nothing can start a new header."""
    return _LINE_BREAKS.sub(" ", str(value or "")).strip()


def has_line_break(value) -> bool:
    return bool(_LINE_BREAKS.search(str(value or "")))


def address_header(display_name, address) -> str:
    """`Display Name <address>` for a From or Reply-To header, quoted and encoded by formataddr.

    The display name is made one line and quoted, so commas, brackets or a second address in
    it stay part of the name; the address must be one plain address (UnsafeAddress otherwise).
    """
    address = str(address or "").strip()
    if not _ADDR_SPEC.fullmatch(address):
        raise UnsafeAddress(f"“{one_line(address)}” is not a single email address.")
    return formataddr((one_line(display_name), address))
