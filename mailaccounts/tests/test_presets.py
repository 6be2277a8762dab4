import pytest

from mailaccounts.presets import PRESETS, fill_empty, guess_provider, preset_values, presets_for_script


@pytest.mark.parametrize(
    ("email", "provider"),
    [
        ("a@gmail.com", "gmail"),
        ("a@Outlook.com", "outlook"),
        ("a@hotmail.com", "outlook"),
        ("a@yahoo.com", "yahoo"),
        ("a@me.com", "icloud"),
        ("a@company.example", "custom"),
    ],
)
def test_guess_provider(email, provider):
    assert guess_provider(email) == provider


def test_every_preset_has_both_servers():
    for key in PRESETS:
        values = preset_values(key)
        assert values["smtp_host"] and values["imap_host"]
        assert values["smtp_security"] in ("starttls", "ssl") and values["imap_security"] == "ssl"


def test_fill_empty_takes_the_preset_only_where_the_host_is_empty():
    values = {
        "smtp_host": "",
        "smtp_port": 25,
        "imap_host": "mail.example",
        "imap_port": 143,
        "imap_security": "none",
    }
    filled = fill_empty(values, "outlook")
    assert (filled["smtp_host"], filled["smtp_port"], filled["smtp_security"]) == (
        "smtp.office365.com",
        587,
        "starttls",
    )
    assert (filled["imap_host"], filled["imap_port"], filled["imap_security"]) == (
        "mail.example",
        143,
        "none",
    )
    assert fill_empty(values, "custom") == values


def test_the_script_gets_notes_and_values():
    script = presets_for_script()
    assert script["custom"] == {"note": ""}
    assert script["icloud"]["smtp_host"] == "smtp.mail.me.com" and "app-specific" in script["icloud"]["note"]
