"""Settings, read once from the environment (and `.env` when present)."""

import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # One line, no traceback: an operator reads it in the service log.
        sys.exit(
            "Refusing to start: DEBUG is off and SECRET_KEY is not set; set SECRET_KEY in the environment or .env."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "crm.apps.SuperuserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crm",
    "mailaccounts",
    "massmail",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "crm.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "crm:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Uploaded import files (crm/importing.py) wait here, never served, until their import ends;
# background exports are kept here too and served only to the user who asked for them.
IMPORT_FILES_ROOT = env("IMPORT_FILES_ROOT", default=str(BASE_DIR / "var" / "imports"))
# Imports of files over this size run in the background (Celery) with a progress bar.
IMPORT_BACKGROUND_BYTES = env.int("IMPORT_BACKGROUND_BYTES", default=256 * 1024)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
# Exports of lists longer than this are written in the background (crm/exporting.py).
EXPORT_BACKGROUND_ROWS = env.int("EXPORT_BACKGROUND_ROWS", default=10_000)

# Secrets at rest (email account passwords and OAuth tokens). A comma-separated list of
# Fernet keys: the first encrypts, all decrypt, so keys can be rotated.
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[])

# Mail servers: a private CA to trust (PEM file), e.g. the company's own relay's.
MAIL_CA_FILE = env("MAIL_CA_FILE", default="")
# OAuth2 for Gmail and Office 365 mailboxes (mailaccounts/oauth.py). The redirect URI to
# register with the provider is SITE_URL + /crm/mailaccounts/emailaccount/oauth/callback/.
# The endpoint URLs default to the providers' own; tests point them at loopback.
GOOGLE_OAUTH_CLIENT_ID = env("GOOGLE_OAUTH_CLIENT_ID", default="")
GOOGLE_OAUTH_CLIENT_SECRET = env("GOOGLE_OAUTH_CLIENT_SECRET", default="")
GOOGLE_OAUTH_AUTH_URL = env("GOOGLE_OAUTH_AUTH_URL", default="")
GOOGLE_OAUTH_TOKEN_URL = env("GOOGLE_OAUTH_TOKEN_URL", default="")
MICROSOFT_OAUTH_CLIENT_ID = env("MICROSOFT_OAUTH_CLIENT_ID", default="")
MICROSOFT_OAUTH_CLIENT_SECRET = env("MICROSOFT_OAUTH_CLIENT_SECRET", default="")
MICROSOFT_OAUTH_TENANT = env("MICROSOFT_OAUTH_TENANT", default="common")
MICROSOFT_OAUTH_AUTH_URL = env("MICROSOFT_OAUTH_AUTH_URL", default="")
MICROSOFT_OAUTH_TOKEN_URL = env("MICROSOFT_OAUTH_TOKEN_URL", default="")

# IMAP sync (mailaccounts/imap_sync.py): attachments above the cap are recorded, not stored;
# "Sync now" stops after its budget and the poller continues; a poller's lease outlives a
# crashed worker by at most IMAP_SYNC_LEASE_SECONDS.
IMAP_ATTACHMENT_MAX_BYTES = env.int("IMAP_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
IMAP_TIMEOUT = env.int("IMAP_TIMEOUT", default=30)
IMAP_SYNC_NOW_SECONDS = env.int("IMAP_SYNC_NOW_SECONDS", default=20)
IMAP_SYNC_LEASE_SECONDS = env.int("IMAP_SYNC_LEASE_SECONDS", default=600)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # aiosmtpd logs every SMTP command at INFO: the demo sink and the test servers stay quiet.
    "loggers": {"mail.log": {"level": "WARNING"}},
}
