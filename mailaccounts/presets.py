"""Server settings of the common providers, filled in for the user."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    label: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    imap_host: str
    imap_port: int
    imap_security: str
    oauth: str = ""  # "google" or "microsoft": the provider also offers OAuth2
    domains: tuple[str, ...] = ()
    note: str = ""


PRESETS = {
    "gmail": Preset(
        "Gmail / Google Workspace",
        "smtp.gmail.com", 587, "starttls",
        "imap.gmail.com", 993, "ssl",
        oauth="google",
        domains=("gmail.com", "googlemail.com"),
        note="Use OAuth2, or an app password when 2-step verification is on.",
    ),
    "outlook": Preset(
        "Outlook / Office 365",
        "smtp.office365.com", 587, "starttls",
        "outlook.office365.com", 993, "ssl",
        oauth="microsoft",
        domains=("outlook.com", "hotmail.com", "live.com", "msn.com"),
        note="Office 365 has turned basic authentication off: use OAuth2.",
    ),
    "yahoo": Preset(
        "Yahoo",
        "smtp.mail.yahoo.com", 465, "ssl",
        "imap.mail.yahoo.com", 993, "ssl",
        domains=("yahoo.com", "ymail.com", "yahoo.co.uk", "yahoo.de", "yahoo.fr"),
        note="Yahoo needs an app password (Account security, Generate app password).",
    ),
    "icloud": Preset(
        "iCloud",
        "smtp.mail.me.com", 587, "starttls",
        "imap.mail.me.com", 993, "ssl",
        domains=("icloud.com", "me.com", "mac.com"),
        note="iCloud needs an app-specific password (appleid.apple.com). The user name is the address.",
    ),
}  # fmt: skip

SERVER_FIELDS = ("smtp_host", "smtp_port", "smtp_security", "imap_host", "imap_port", "imap_security")


def guess_provider(email: str) -> str:
    """The preset for an address's domain, or "custom"."""
    domain = email.rpartition("@")[2].lower()
    return next((key for key, preset in PRESETS.items() if domain in preset.domains), "custom")


def preset_values(provider: str) -> dict:
    """Server settings of a provider ({} for custom)."""
    preset = PRESETS.get(provider)
    return {name: getattr(preset, name) for name in SERVER_FIELDS} if preset else {}


def fill_empty(values: dict, provider: str) -> dict:
    """Settings the user left empty, taken from the provider's preset (hosts decide: a host
    left empty means "use the preset" for its port and security too)."""
    filled = dict(values)
    preset = preset_values(provider)
    for kind in ("smtp", "imap"):
        if preset and not values.get(f"{kind}_host"):
            for name in ("host", "port", "security"):
                filled[f"{kind}_{name}"] = preset[f"{kind}_{name}"]
    return filled


def presets_for_script() -> dict:
    """What the account form's script needs to fill the fields when a provider is chosen."""
    return {key: {**preset_values(key), "note": preset.note} for key, preset in PRESETS.items()} | {
        "custom": {"note": ""}
    }
