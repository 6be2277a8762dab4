"""Secrets at rest: Fernet tokens under the keys of FIELD_ENCRYPTION_KEY.

The first key encrypts; every key decrypts (MultiFernet), so a new key is put first and
`rotate_secrets` re-encrypts old rows. Without a key (development only: a system check
refuses it in production) a key derived from SECRET_KEY is used.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "fernet:"


class SecretUnreadable(Exception):
    """A stored secret that no configured key decrypts."""


@lru_cache(maxsize=4)
def _fernet(keys):
    if not keys:
        derived = hashlib.sha256(b"field-encryption:" + settings.SECRET_KEY.encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def fernet():
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEY))


def encrypt(plain):
    if not plain:
        return ""
    return PREFIX + fernet().encrypt(plain.encode()).decode()


def decrypt(stored):
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise SecretUnreadable("stored secret is not encrypted")
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("no configured FIELD_ENCRYPTION_KEY decrypts this secret") from exc


def rotate(stored):
    """The same secret encrypted under the first (newest) key."""
    if not stored:
        return ""
    return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()


class EncryptedTextField(models.TextField):
    """Holds a Fernet token in the database and the plain text on the model instance."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        try:
            return decrypt(value)
        except SecretUnreadable:
            return ""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else ""
