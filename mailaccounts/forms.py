from django import forms

from mailaccounts.destinations import RefusedDestination, public_address
from mailaccounts.models import EmailAccount
from mailaccounts.presets import fill_empty, guess_provider

# Only a superuser sets who owns an account, its address (mail goes out From it, so changing
# it would let one send as someone else), whether it is the main (VIP) account, how much it
# may send a day and whether it is switched on; a sales manager re-activates an account by
# fixing its credentials and passing "Test connection".
SUPERUSER_FIELDS = ("owner", "email", "is_main", "daily_limit", "is_active", "assignment")

DEFAULT_SMTP_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
DEFAULT_IMAP_PORTS = {"none": 143, "starttls": 143, "ssl": 993}


class EmailAccountForm(forms.ModelForm):
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Never shown again. Leave blank to keep the current password. "
        "An account without a password sends without login (internal relay).",
    )
    clear_password = forms.BooleanField(
        required=False, label="Remove the password", help_text="Send without SMTP login from now on."
    )

    class Meta:
        model = EmailAccount
        fields = [
            *("owner", "email", "display_name", "reply_to", "provider", "is_default"),
            *("is_active", "is_main", "massmail", "daily_limit", "track_opens_clicks", "assignment"),
            *("auth_method", "username", "password", "allow_untrusted_cert"),
            *("smtp_host", "smtp_port", "smtp_security", "imap_host", "imap_port", "imap_security"),
            *("do_import", "sync_from", "sync_interval", "import_all", "exclude_patterns"),
            "create_unknown_contacts",
        ]
        labels = {
            "smtp_host": "SMTP server",
            "smtp_port": "SMTP port",
            "smtp_security": "SMTP security",
            "imap_host": "IMAP server",
            "imap_port": "IMAP port",
            "imap_security": "IMAP security",
            "auth_method": "Sign in with",
        }

    # Whether the servers may be on loopback or private networks: set per request by the
    # admin (AccountAdminMixin.get_form) from destinations.may_reach_private(user).
    may_reach_private = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("smtp_port", "imap_port"):
            if name in self.fields:
                self.fields[name].required = False  # filled from the preset or the security

    def clean(self):
        data = super().clean()
        provider = data.get("provider") or EmailAccount.Provider.CUSTOM
        if provider == EmailAccount.Provider.CUSTOM and data.get("email") and not data.get("smtp_host"):
            provider = guess_provider(data["email"])
            if "provider" in self.fields:
                data["provider"] = provider
        filled = fill_empty(data, provider)
        for name, value in filled.items():
            if name in self.fields and data.get(name) != value and name not in self._errors:
                data[name] = value
        for kind, ports in (("smtp", DEFAULT_SMTP_PORTS), ("imap", DEFAULT_IMAP_PORTS)):
            if f"{kind}_port" in self.fields and not data.get(f"{kind}_port"):
                data[f"{kind}_port"] = ports.get(data.get(f"{kind}_security"), ports["ssl"])
        if not self.may_reach_private:
            self._refuse_private_servers(data)
        if data.get("clear_password"):
            data["password"] = ""
        elif not data.get("password") and self.instance.pk:
            data["password"] = self.instance.password  # blank means "keep"
        return data

    def _refuse_private_servers(self, data):
        """A changed server that resolves to a loopback, private… address is refused."""
        for kind in ("smtp", "imap"):
            host = data.get(f"{kind}_host")
            if not host or not {f"{kind}_host", f"{kind}_port"} & set(self.changed_data):
                continue
            try:
                public_address(host, data.get(f"{kind}_port") or 0)
            except RefusedDestination as error:
                self.add_error(f"{kind}_host", str(error))
            except (OSError, UnicodeError):
                pass  # a name that does not resolve now: the connection test says so

    def _get_validation_exclusions(self):
        # "One default account per owner" is kept by moving the default on save
        # (accounts.save_account), not by refusing the second tick.
        return {*super()._get_validation_exclusions(), "is_default"}

    def _post_clean(self):
        super()._post_clean()
        if "smtp_host" in self.fields and not self.cleaned_data.get("smtp_host") and not self._errors:
            self.add_error("smtp_host", "Choose a provider or enter the SMTP server.")
