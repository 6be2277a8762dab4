"""Secrets at rest: Fernet tokens under the keys of FIELD_ENCRYPTION_KEY.

The first key encrypts; every key decrypts (MultiFernet), so a new key is put first and
`rotate_secrets` re-encrypts old rows. Without a key (development only: a system check
refuses it in production) a key derived from SECRET_KEY is used.
"""

import base64
import hashlib
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

logger = logging.getLogger(__name__)

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
        except SecretUnreadable as error:
            # Reads as empty (the account then fails to log in and asks to be re-connected);
            # the operator learns why here and from `rotate_secrets`.
            logger.warning("%s.%s: %s", self.model._meta.label, self.name, error)
            return ""

    def formfield(self, **kwargs):
        # A secret is never rendered back into a page: a password input without its value.
        from django import forms

        kwargs.setdefault("widget", forms.PasswordInput(render_value=False))
        kwargs.setdefault("form_class", forms.CharField)
        return super(models.TextField, self).formfield(**kwargs)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else ""


def generate_key():
    return Fernet.generate_key().decode()


def encrypted_fields():
    """(model, field) for every EncryptedTextField of every installed model."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def rotate_all(batch_size=500):
    """Re-encrypt every stored secret under the first key of FIELD_ENCRYPTION_KEY.

    Works on the raw column (the field would hide an unreadable token as ""), and each row is
    written only if it still holds the token that was read, so a concurrent save is not lost.
    Returns {"rotated": n, "unreadable": [(label, pk), ...]}.
    """
    from django.db import connection, transaction
    from django.db.models.functions import Cast

    rotated, unreadable = 0, []
    for model, field in encrypted_fields():
        table, column = (
            connection.ops.quote_name(model._meta.db_table),
            connection.ops.quote_name(field.column),
        )
        pk_column = connection.ops.quote_name(model._meta.pk.column)
        rows = (
            model._base_manager.exclude(**{field.name: ""})
            .annotate(raw=Cast(field.name, models.TextField()))
            .values_list("pk", "raw")
            .iterator(chunk_size=batch_size)
        )
        for pk, raw in rows:
            if not raw:
                continue
            try:
                new = rotate(raw) if raw.startswith(PREFIX) else encrypt(raw)  # clear text from before
            except (InvalidToken, SecretUnreadable):
                unreadable.append((f"{model._meta.label}.{field.name}", pk))
                continue
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s AND {column} = %s",
                    [new, pk, raw],
                )
                rotated += cursor.rowcount
    return {"rotated": rotated, "unreadable": unreadable}
