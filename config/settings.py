"""Settings, read once from the environment (and `.env` when present)."""

import sys
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless set: a production that forgets it must not show tracebacks (the demo sets it).
DEBUG = env.bool("DEBUG", default=False)
_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # One line, no traceback: an operator reads it in the service log.
        sys.exit(
            "Refusing to start: DEBUG is off and SECRET_KEY is not set; set SECRET_KEY in the environment or .env."
        )
    SECRET_KEY = _DEV_SECRET_KEY
# Earlier keys after a rotation: they still open sessions and unsubscribe links already sent.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The demo (scripts/demo.sh sets it): installs the demo app (seed data, the local SMTP sink and
# its pages, time compression) and routes the sink's pages. Never in production.
DEMO = env.bool("DEMO", default=False)

# --- HTTPS (production defaults): a SITE_URL on https turns on what `check --deploy` asks for.
HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
# Load balancers and orchestrators probe /healthz over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS for a year once on https. Subdomains included by default: the CRM's own host serves
# nothing over plain http, and a subdomain left on http is one a network attacker can use to
# set cookies for ours; set SECURE_HSTS_INCLUDE_SUBDOMAINS=False when the CRM runs on an apex
# domain whose other hosts still need http. Preloading is the operator's decision (it cannot
# be taken back quickly): opt in with SECURE_HSTS_PRELOAD=True; until then check W021 is
# silenced, since the preload list is a choice, not a missing setting.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Behind a proxy that terminates TLS and sets X-Forwarded-Proto (and strips it from clients):
# without this, SECURE_SSL_REDIRECT would redirect forever.
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# --- end of HTTPS

INSTALLED_APPS = [
    "crm.apps.SuperuserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_prometheus",
    # The editor of mail bodies: its static files (correspondence/editor.py).
    "django_prose_editor",
    "crm",
    "mailaccounts",
    "correspondence",
    "massmail",
    "axes",
]
if DEMO:
    INSTALLED_APPS.append("demo")
# Demo only: the drip's pacing interval is divided by this (scripts/demo.sh: 600). 1 in production.
DEMO_TIME_COMPRESSION = env.int("DEMO_TIME_COMPRESSION", default=1)
# Demo only: where the local SMTP sink stores what it receives (demo/mail_sink.py).
MAIL_SINK_DIR = Path(env("MAIL_SINK_DIR", default=str(BASE_DIR / "var" / "mail_sink")))

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Production (issue 17): static files, compressed and cached by hash, without DEBUG.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# --- Content-Security-Policy (issue 12, django-csp) --------------------------------------------
# Scripts only from our own static files: no inline script, no eval (htmx is configured for it
# in templates/admin/base_site.html). Styles may be inline (the admin's and our templates'
# style attributes). A stored message is shown in a sandboxed frame whose document has its own,
# stricter policy (correspondence/inbox.py body_policy).
MIDDLEWARE.insert(1, "csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}
# --- end of the Content-Security-Policy block --------------------------------------------------

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

# --- Login throttling (django-axes): both admin sites log in through authenticate(request, …).
# After LOGIN_FAILURE_LIMIT failures for one username, or from one address, even the right
# password is refused for LOGIN_COOLOFF_MINUTES; the page says so (crm.site.locked_out).
# Locking by username lets a stranger lock a known user out for the cool-off: the price of
# stopping a password guesser who changes address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "crm.site.locked_out"
AXES_VERBOSE = False  # no banner on every command; lockouts are still logged
# Behind reverse proxies of ours, the client's address comes from X-Forwarded-For
# (crm/client_address.py): without it every login would share the proxy's address.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "crm.client_address.client_address"
# --- end of login throttling

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
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

# --- Security of mail surfaces (issue 12: files, IMAP, outgoing connections) ---------------------
# Stored files (crm/files.py) are never served from a URL of their own (no MEDIA_URL): only the
# checked download view sends them, through django-sendfile2. The default backend streams them
# from Django; behind nginx set "django_sendfile.backends.nginx" and SENDFILE_URL to an
# `internal` location aliased to MEDIA_ROOT (README "Attachments").
SENDFILE_BACKEND = env("SENDFILE_BACKEND", default="crm.file_streaming")
SENDFILE_ROOT = MEDIA_ROOT
SENDFILE_URL = env("SENDFILE_URL", default="/protected-files")
# "Save and test connection" and the account form connect only to public addresses, after DNS
# resolution, for everyone but superusers; set this to allow loopback and private networks
# (the demo and the test suite, whose mail servers run on 127.0.0.1).
MAIL_ALLOW_PRIVATE_HOSTS = env.bool("MAIL_ALLOW_PRIVATE_HOSTS", default=False)
# --- end of issue 12 block ---------------------------------------------------------------------

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
    # flufl.bounce logs each of its 17 detectors it runs on every bounce at INFO.
    "loggers": {"mail.log": {"level": "WARNING"}, "flufl.bounce": {"level": "WARNING"}},
}

# --- Production: static files, health, metrics, logs (issue 17; README "Production") ---------
# `collectstatic` writes hashed, compressed copies to STATIC_ROOT; WhiteNoise serves them with
# far-future cache headers. Tests render pages without collectstatic (see conftest.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# PostgreSQL's JIT compiles any query whose estimated cost is high: on the mailings list it
# spent 130 ms to speed up a 100 ms query (bench.web). Short web and worker queries never gain.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
# /metrics (massmail/metrics.py): a bearer token, or a client address in these networks (CIDRs,
# comma-separated; REMOTE_ADDR, so scrape the web process directly, not through a proxy).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
# django-prometheus' middleware: first and last, so it times the whole request.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# LOG_FORMAT=json: one JSON object a line (config/log_format.py), for log collectors.
if env("LOG_FORMAT", default="text") == "json":
    LOGGING["formatters"] = {"json": {"()": "config.log_format.JsonFormatter"}}
    LOGGING["handlers"]["console"]["formatter"] = "json"
    CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers and beat log through LOGGING too
# Returned mail (massmail/returns.py): an address with SOFT_BOUNCE_LIMIT soft bounces within
# SOFT_BOUNCE_DAYS days is suppressed; a mailing whose complaints exceed COMPLAINT_RATE_LIMIT
# of its sends is paused (0.3 %: the large mailbox providers' limit for bulk senders).
SOFT_BOUNCE_LIMIT = env.int("SOFT_BOUNCE_LIMIT", default=3)
SOFT_BOUNCE_DAYS = env.int("SOFT_BOUNCE_DAYS", default=30)
COMPLAINT_RATE_LIMIT = 0.003
