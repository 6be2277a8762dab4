import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from mailaccounts import crypto
from mailaccounts.checks import check_field_encryption_key
from mailaccounts.models import EmailAccount

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw_columns(account):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password, oauth_access_token, oauth_refresh_token FROM mailaccounts_emailaccount "
            "WHERE id = %s",
            [account.pk],
        )
        return cursor.fetchone()


@pytest.fixture
def account(alice, settings):
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    return EmailAccount.objects.create(
        owner=alice,
        email="alice@crm.test",
        password="hunter2-secret",
        oauth_access_token="ya29.access",
        oauth_refresh_token="1//refresh",
    )


def test_the_database_never_holds_a_secret_in_clear(account):
    for raw, plain in zip(raw_columns(account), ["hunter2-secret", "ya29.access", "1//refresh"], strict=True):
        assert plain not in raw
        assert raw.startswith("fernet:")
    account.refresh_from_db()
    assert account.password == "hunter2-secret"
    assert account.oauth_refresh_token == "1//refresh"


def test_an_empty_password_stays_empty(alice):
    account = EmailAccount.objects.create(owner=alice, email="relay@crm.test")
    assert raw_columns(account)[0] == ""


def test_rotation_re_encrypts_under_the_first_key(account, settings):
    old_raw = raw_columns(account)
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    call_command("rotate_secrets")
    new_raw = raw_columns(account)
    assert all(n != o for n, o in zip(new_raw, old_raw, strict=True))

    settings.FIELD_ENCRYPTION_KEY = [NEW]  # the old key is gone: the rows still read
    account.refresh_from_db()
    assert (account.password, account.oauth_access_token) == ("hunter2-secret", "ya29.access")


def test_rotation_reports_secrets_no_key_decrypts_and_leaves_them(account, settings):
    old_raw = raw_columns(account)
    settings.FIELD_ENCRYPTION_KEY = [NEW]
    with pytest.raises(CommandError, match="3 secret\\(s\\) no configured key decrypts"):
        call_command("rotate_secrets")
    assert raw_columns(account) == old_raw


def test_a_secret_under_an_unknown_key_reads_as_empty_not_a_crash(account, settings):
    settings.FIELD_ENCRYPTION_KEY = [NEW]
    account.refresh_from_db()
    assert account.password == ""
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(raw_columns(account)[0])


def test_generate_key_prints_a_fernet_key(capsys):
    call_command("rotate_secrets", "--generate-key")
    Fernet(capsys.readouterr().out.strip())


def test_missing_key_in_production_is_an_error(settings):
    settings.DEBUG, settings.FIELD_ENCRYPTION_KEY = False, []
    [error] = check_field_encryption_key()
    assert error.id == "mailaccounts.E001"
    assert "Set FIELD_ENCRYPTION_KEY" in error.hint and "Fernet.generate_key()" in error.hint


def test_no_check_error_with_a_key_or_in_development(settings):
    settings.DEBUG, settings.FIELD_ENCRYPTION_KEY = False, [NEW]
    assert check_field_encryption_key() == []
    settings.DEBUG, settings.FIELD_ENCRYPTION_KEY = True, []
    assert check_field_encryption_key() == []


def test_a_malformed_key_is_an_error(settings):
    settings.FIELD_ENCRYPTION_KEY = ["not-a-key"]
    [error] = check_field_encryption_key()
    assert error.id == "mailaccounts.E002"


def test_check_runs_with_manage_py_check(settings):
    from django.core.management import call_command as run

    settings.DEBUG, settings.FIELD_ENCRYPTION_KEY = False, []
    with pytest.raises(Exception, match="FIELD_ENCRYPTION_KEY is not set"):
        run("check")
