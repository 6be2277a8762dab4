import pytest

from mailkit.headers import UnsafeAddress, address_header


def test_a_display_name_with_a_comma_and_brackets_stays_one_quoted_name():
    assert (
        address_header("Evil, <attacker@x.test>", "me@crm.test") == '"Evil, <attacker@x.test>" <me@crm.test>'
    )


def test_line_breaks_in_the_display_name_become_spaces():
    assert (
        address_header("Alice\r\nBcc: victim@x.test", "me@crm.test")
        == '"Alice Bcc: victim@x.test" <me@crm.test>'
    )


def test_no_display_name_is_the_bare_address():
    assert address_header("", "me@crm.test") == "me@crm.test"


@pytest.mark.parametrize(
    "address",
    ["a@x.test, b@y.test", "a@x.test\r\nBcc: b@y.test", "<a@x.test>", "Name a@x.test", "nobody", ""],
)
def test_anything_but_one_plain_address_is_refused(address):
    with pytest.raises(UnsafeAddress):
        address_header("Alice", address)
