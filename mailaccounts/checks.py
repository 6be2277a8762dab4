"""System checks: say what is missing before the first send fails."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, register

MAKE_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" '
    "(or: python manage.py rotate_secrets --generate-key)"
)


@register(Tags.security, deploy=False)
def check_field_encryption_key(app_configs=None, **kwargs):
    keys = list(settings.FIELD_ENCRYPTION_KEY)
    problems = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(
                Error(
                    f"FIELD_ENCRYPTION_KEY: key number {position} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes).",
                    hint=f"Make a key with {MAKE_KEY}.",
                    id="mailaccounts.E002",
                )
            )
    if not keys and not settings.DEBUG:
        problems.append(
            Error(
                "FIELD_ENCRYPTION_KEY is not set: email account passwords and OAuth tokens would be "
                "encrypted with a key derived from SECRET_KEY.",
                hint=(
                    "Set FIELD_ENCRYPTION_KEY in the environment or .env to a Fernet key (several, "
                    f"comma-separated, to rotate: the first encrypts). Make a key with {MAKE_KEY}."
                ),
                id="mailaccounts.E001",
            )
        )
    return problems
