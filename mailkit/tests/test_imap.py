import pytest

from mailkit.imap import UnsafeImapValue, message_id, quote


def test_quote_escapes_backslash_and_double_quote():
    assert quote('Sales "EU" \\ 2026') == '"Sales \\"EU\\" \\\\ 2026"'


@pytest.mark.parametrize("value", ["INBOX\r\nA1 DELETE INBOX", "a\nb", "a\rb", "a\x00b"])
def test_quote_refuses_line_breaks_and_nul(value):
    with pytest.raises(UnsafeImapValue):
        quote(value)


def test_a_message_id_is_kept_as_written():
    assert message_id("  <abc.123+x@mail.example.com> ") == "<abc.123+x@mail.example.com>"


@pytest.mark.parametrize(
    "value",
    [
        "<x@y>\r\nA1 DELETE INBOX",
        "<x@y>\nA1 RENAME Victim Renamed",
        "<x y@z>",
        "x@y",
        "<x@y> <z@w>",
        "<x@y\x00>",
        "",
    ],
)
def test_anything_else_is_not_a_message_id(value):
    with pytest.raises(UnsafeImapValue):
        message_id(value)
