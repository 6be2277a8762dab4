import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def run_django_check(*options, **env):
    # The project's own settings, not the test run's (config.test_settings sets a key).
    unset = ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE")
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *options],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_production_without_secret_key_refuses_in_one_line():
    result = run_django_check(DEBUG="False")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("Refusing to start")
    assert "SECRET_KEY is not set" in result.stderr


def test_development_starts_without_configuration():
    result = run_django_check(DEBUG="True")
    assert result.returncode == 0, result.stderr


def test_debug_is_off_unless_set():
    result = run_django_check()  # no DEBUG, no SECRET_KEY: production, which refuses
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_makemigrations_needs_no_configuration(tmp_path):
    unset = ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "FIELD_ENCRYPTION_KEY")
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'bare.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def production_environment(**extra):
    """Only what the README says production must set; nothing else of the machine's."""
    return {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "crm.example.com",
        "SITE_URL": "https://crm.example.com",
        **extra,
    }


def test_check_deploy_passes_with_the_four_production_variables():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def production_settings(**extra):
    """The settings module's values under a production environment (a fresh interpreter)."""
    names = [
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_PROXY_SSL_HEADER",
    ]
    code = f"from django.conf import settings; import json; print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    environment = production_environment(DJANGO_SETTINGS_MODULE="config.settings", **extra)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_https_site_url_turns_on_secure_cookies_hsts_and_the_redirect():
    values = production_settings()
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SECURE_PROXY_SSL_HEADER"] is None, "no proxy header is trusted unless asked"


def test_a_tls_terminating_proxy_is_trusted_only_when_asked():
    values = production_settings(TRUST_X_FORWARDED_PROTO="True")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_plain_http_site_url_keeps_cookies_usable_over_http():
    values = production_settings(SITE_URL="http://127.0.0.1:8000")
    assert not values["SESSION_COOKIE_SECURE"] and not values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] == 0
