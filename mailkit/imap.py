"""Values that go into IMAP commands: validated and quoted by one function each.

Every IMAP command built from data (a folder name from the database, a Message-ID a user
posted, an address) goes through `quote`; a value with CR, LF or NUL could end the command and
start another one on the server, so it is refused, never cleaned up.
"""

import re

_FORBIDDEN = re.compile(r"[\r\n\x00]")
# A Message-ID as it appears in a header: <left@right>, no spaces, controls or angle brackets inside.
_MESSAGE_ID = re.compile(r"<[^\s<>\x00-\x1f\x7f]+>")


class UnsafeImapValue(ValueError):
    """A value that cannot be put into an IMAP command; the message is meant for people."""


def quote(value: str) -> str:
    """An IMAP quoted string (RFC 3501) for `value`; UnsafeImapValue on CR, LF or NUL."""
    if _FORBIDDEN.search(value):
        raise UnsafeImapValue("A value for the mail server contains a line break; it was not sent.")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def message_id(value: str) -> str:
    """`value` as one Message-ID (`<…>`, surrounding blanks dropped); UnsafeImapValue otherwise."""
    candidate = value.strip(" \t")
    if not _MESSAGE_ID.fullmatch(candidate):
        raise UnsafeImapValue(
            "That is not a Message-ID: paste it as it appears in the header, e.g. <abc123@example.com>."
        )
    return candidate
