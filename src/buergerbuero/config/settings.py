"""Deploy-time settings of the Bürgerbüro.

Every value comes from an environment variable through the typed helpers in
``buergerbuero.core.env``; ``.env.example`` documents each one. Run-time
settings per municipality and office live in the database instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from buergerbuero.core.env import ImproperlyConfiguredEnv, envbool, envfloat, envint, envlist, envstr

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = SRC_DIR.parent.parent
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))
SHARED_DATA_DIR = Path(envstr("SHARED_DATA_DIR", str(BASE_DIR.parent / "shared" / "data")))

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfiguredEnv("SECRET_KEY is not set; see .env.example")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves Swagger UI from our own static files, never from a CDN
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "buergerbuero.core",
    "buergerbuero.notifications",
    "buergerbuero.tenants",
    "buergerbuero.accounts",
    "buergerbuero.catalog",
    "buergerbuero.appointments",
    "buergerbuero.queueing",
    "buergerbuero.applications",
    "buergerbuero.payments",
    "buergerbuero.portal",
    "buergerbuero.analytics",
    "buergerbuero.demo",
]

MIDDLEWARE = [
    "buergerbuero.core.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "buergerbuero.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "buergerbuero.accounts.middleware.CitizenSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "buergerbuero.core.middleware.TenantScopeMiddleware",
]

ROOT_URLCONF = "buergerbuero.config.urls"
ASGI_APPLICATION = "buergerbuero.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "buergerbuero.portal.context_processors.portal",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL", "")
if DATABASE_URL:
    # Under ASGI each request runs its sync code in a thread of its own, so a persistent connection
    # (CONN_MAX_AGE > 0) is never reused and stays open until PostgreSQL refuses new clients: close
    # after each request, and let the pool below keep connections instead.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 0))}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Django's psycopg pool (per process): at most DB_POOL_MAX_SIZE connections, 0 switches it off.
    DB_POOL_MAX_SIZE = envint("DB_POOL_MAX_SIZE", 10)
    if DB_POOL_MAX_SIZE > 0 and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": 10,  # seconds a request waits for a free connection before failing
        }
else:
    # SQLite needs its folder; var/ is not in the repository, so a fresh clone creates it here.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The embedded default: one file under var/, WAL so readers never block the
    # writer, IMMEDIATE transactions so that atomic claims take the write lock
    # up front instead of failing on upgrade.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / envstr("SQLITE_NAME", "buergerbuero.sqlite3")),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # One test database file per process, so parallel test runs never share one.
            "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate-limit counters and used ALTCHA solutions live in the cache, shared by all processes.
# Empty CACHE_URL: the database cache (nothing to run besides the database). redis://…: Redis, the
# production recommendation — the database cache counts its whole table on every write to decide
# on culling, which gets slow as used solutions pile up under load.
CACHE_URL = envstr("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES: dict[str, dict[str, Any]] = {
        # Django's Redis cache, with one connection pool per process instead of one per request.
        "default": {"BACKEND": "buergerbuero.core.cache.SharedRedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL:
    raise ImproperlyConfiguredEnv(f"CACHE_URL must be empty or a redis:// URL, got {CACHE_URL!r}")
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "buergerbuero_cache",
            # Django's default of 300 entries would cull live rate-limit counters and ALTCHA replay
            # markers (by key, not by age), letting a used proof of work through again.
            "OPTIONS": {"MAX_ENTRIES": envint("CACHE_MAX_ENTRIES", 1_000_000)},
        }
    }

TASKS = {
    "default": {
        "BACKEND": envstr("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# The event bus (core/events.py): auto = PostgreSQL LISTEN/NOTIFY on PostgreSQL, else in-process (memory).
EVENT_BUS = envstr("EVENT_BUS", "auto")
# Seconds the catalogue feed importer waits for another installation's feed (connect and each read).
CATALOG_FEED_TIMEOUT_SECONDS = envint("CATALOG_FEED_TIMEOUT_SECONDS", 20)

# --- identity ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "backoffice:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

OIDC_ISSUER = envstr("OIDC_ISSUER", "http://127.0.0.1:9400")
OIDC_CLIENT_ID = envstr("OIDC_CLIENT_ID", "buergerbuero")
OIDC_CLIENT_SECRET = envstr("OIDC_CLIENT_SECRET", "buergerbuero-demo-secret")
OIDC_SCOPES = envstr("OIDC_SCOPES", "openid profile email address")
OIDC_TIMEOUT_SECONDS = envint("OIDC_TIMEOUT_SECONDS", 10)
# No citizen login lasts longer than this, however active the citizen is (SESSION_COOKIE_AGE is the idle limit).
CITIZEN_SESSION_MAX_SECONDS = envint("CITIZEN_SESSION_MAX_SECONDS", 8 * 60 * 60)

STAFF_OTP_REQUIRED = envbool("STAFF_OTP_REQUIRED", True)
OTP_TOTP_ISSUER = envstr("OTP_TOTP_ISSUER", "Bürgerbüro")
LOGIN_THROTTLE_ATTEMPTS = envint("LOGIN_THROTTLE_ATTEMPTS", 5)
LOGIN_THROTTLE_IP_ATTEMPTS = envint("LOGIN_THROTTLE_IP_ATTEMPTS", 20)
LOGIN_THROTTLE_WINDOW_SECONDS = envint("LOGIN_THROTTLE_WINDOW_SECONDS", 900)

SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- security ---------------------------------------------------------------
HTTPS = envbool("HTTPS", False)
# How many reverse proxies in front of us append to X-Forwarded-For (0: none; the peer is the client).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
if envbool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS and envbool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and envbool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Strict: no inline scripts or styles, nothing from other origins.
CONTENT_SECURITY_POLICY = envstr(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; manifest-src 'self'; worker-src 'self'",
)
# Without form-action in the policy above, the middleware adds `form-action 'self' <OIDC issuer origin>`:
# the citizen login form redirects to the identity provider, and browsers check that redirect too.

# --- internationalisation -----------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files -----------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
# Citizens' uploads: outside the web root, served only by views that check who asks.
PRIVATE_MEDIA_ROOT = Path(envstr("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
# Production serves hashed, compressed files collected by `collectstatic`; the demo and the
# tests serve them straight from the apps' static folders.
STATIC_MANIFEST = envbool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = DEBUG

# --- mail -----------------------------------------------------------------------
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = envint("EMAIL_PORT", 25)
# Seconds an SMTP connection may take (a hung server must not outlast the outbox claim below).
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "buergerbuero@example.org")

# The transactional outbox (core/outbox.py): attempts per message and the first retry delay (doubling).
OUTBOX_MAX_ATTEMPTS = envint("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_BACKOFF_SECONDS = envint("OUTBOX_BACKOFF_SECONDS", 30)
# How long a dispatcher owns a message it is sending; a worker killed mid-send leaves a claim that
# another run takes over after this. Longer than any transport timeout (mail, hand-offs).
OUTBOX_CLAIM_SECONDS = envint("OUTBOX_CLAIM_SECONDS", 300)
# A commit that queued messages enqueues one dispatch unless one is already waiting (at most this long);
# a burst of commits thus costs one task. 0: one dispatch per commit.
OUTBOX_KICK_SECONDS = envint("OUTBOX_KICK_SECONDS", 5)

# Web Push (notifications/webpush.py, docs/notifications.md). The VAPID private key: the raw 32-byte
# P-256 key in base64url (`manage.py vapid_keys`) or PEM. Unset: with WEBPUSH_VAPID_DEV_KEY (on in
# DEBUG) a key is generated once into VAR_DIR/vapid_private.pem, otherwise Web Push is off.
WEBPUSH_VAPID_PRIVATE_KEY = envstr("WEBPUSH_VAPID_PRIVATE_KEY", "")
WEBPUSH_VAPID_SUBJECT = envstr("WEBPUSH_VAPID_SUBJECT", f"mailto:{DEFAULT_FROM_EMAIL}")
WEBPUSH_VAPID_DEV_KEY = envbool("WEBPUSH_VAPID_DEV_KEY", DEBUG)
# Tests and demo only: also push to http(s)://127.0.0.1 / localhost (a local push service).
WEBPUSH_ALLOW_INSECURE_ENDPOINTS = envbool("WEBPUSH_ALLOW_INSECURE_ENDPOINTS", False)
WEBPUSH_TIMEOUT_SECONDS = envint("WEBPUSH_TIMEOUT_SECONDS", 10)
# SMS (notifications/sms.py): dotted path of the provider class; the default only logs.
SMS_SENDER = envstr("SMS_SENDER", "buergerbuero.notifications.sms.LoggingSmsSender")

# Appointments: fairness (docs/appointments-fairness.md).
ALTCHA_HMAC_KEY = envstr("ALTCHA_HMAC_KEY", "")  # empty: derived from SECRET_KEY
ALTCHA_MAX_NUMBER = envint("ALTCHA_MAX_NUMBER", 50_000)
ALTCHA_EXPIRES_SECONDS = envint("ALTCHA_EXPIRES_SECONDS", 600)
# "scope=requests/seconds,..." over the defaults in appointments.fairness; 0 requests switch a scope off.
APPOINTMENTS_RATE_LIMITS = {
    scope.strip(): (int(rule.split("/")[0]), int(rule.split("/")[1]))
    for scope, _, rule in (item.partition("=") for item in envlist("APPOINTMENTS_RATE_LIMITS", []))
}
APPOINTMENTS_WAITLIST_MAX_MISSED_OFFERS = envint("APPOINTMENTS_WAITLIST_MAX_MISSED_OFFERS", 2)
# Seconds a free-days / free-times answer of the public API is reused (appointments/availability_cache.py); 0 = off.
APPOINTMENTS_AVAILABILITY_CACHE_SECONDS = envint("APPOINTMENTS_AVAILABILITY_CACHE_SECONDS", 2)
# Per-process copies of offices, policies, groups and services, renewed on every change (appointments/setup_cache.py).
APPOINTMENTS_SETUP_CACHE = envbool("APPOINTMENTS_SETUP_CACHE", True)
# How often a process looks for a setup change another process committed (seconds; 0 = every lookup).
APPOINTMENTS_SETUP_CHECK_SECONDS = envfloat("APPOINTMENTS_SETUP_CHECK_SECONDS", 1.0)

# --- logging ------------------------------------------------------------------------
LOG_LEVEL = envstr("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "buergerbuero.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": envstr("LOG_FORMAT", "json")},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}


# --- Online applications -------------------------------------------------------------------------
# Uploads: the defaults of a form's file fields (a field may ask for less, never for more).
ATTACHMENT_MAX_MB = envint("ATTACHMENT_MAX_MB", 10)
ATTACHMENT_MAX_FILES = envint("ATTACHMENT_MAX_FILES", 10)
ATTACHMENT_MAX_IMAGE_PIXELS = envint("ATTACHMENT_MAX_IMAGE_PIXELS", 40_000_000)
# The virus scanner hook: a dotted path to a class with ``scan(path) -> ScanResult``; the default scans nothing.
ATTACHMENT_SCANNER = envstr("ATTACHMENT_SCANNER", "buergerbuero.applications.scanning.NoopScanner")
# For ``buergerbuero.applications.scanning.ClamdScanner``: clamd's socket (unix:///path or tcp://host:port).
ATTACHMENT_CLAMD_ADDRESS = envstr("ATTACHMENT_CLAMD_ADDRESS", "unix:///run/clamav/clamd.ctl")
ATTACHMENT_CLAMD_TIMEOUT = envint("ATTACHMENT_CLAMD_TIMEOUT", 30)
# The payment provider: the built-in demo provider, or ePayBL / pmPayment / a bank's gateway by dotted path.
PAYMENT_PROVIDER = envstr("PAYMENT_PROVIDER", "buergerbuero.payments.providers.DemoProvider")

# --- Hand-offs: XGewerbeanzeige --------------------------------------------------------------------
# Each Gewerbeanzeige goes as an XGewerbeanzeige 2.2 message to the recipients of § 14 GewO
# (``applications/recipients.py``). Transport: "files" writes <XGEWERBEANZEIGE_DIR>/<recipient>/<uuid>.xml
# (for a Verteilplattform that collects them); "http" POSTs each message to XGEWERBEANZEIGE_ENDPOINT.
XGEWERBEANZEIGE_TRANSPORT = envstr("XGEWERBEANZEIGE_TRANSPORT", "files")
if XGEWERBEANZEIGE_TRANSPORT not in ("files", "http"):
    raise ImproperlyConfiguredEnv("XGEWERBEANZEIGE_TRANSPORT must be 'files' or 'http'")
XGEWERBEANZEIGE_DIR = Path(envstr("XGEWERBEANZEIGE_DIR", str(VAR_DIR / "handoffs")))
XGEWERBEANZEIGE_ENDPOINT = envstr("XGEWERBEANZEIGE_ENDPOINT", "")
XGEWERBEANZEIGE_TIMEOUT_SECONDS = envint("XGEWERBEANZEIGE_TIMEOUT_SECONDS", 20)
# The recipients' names and addresses per Kreis (District.slug; "default" for any other Kreis). Defaults:
# the authorities for the Rhein-Kreis Neuss in NRW (example addresses: confirm each with the recipient
# before going live). XGEWERBEANZEIGE_RECIPIENTS (JSON) replaces entries.
XGEWERBEANZEIGE_RECIPIENTS: dict[str, dict[str, dict[str, str]]] = {
    "default": {
        "finanzamt": {"name": "Finanzamt Neuss", "email": "poststelle.neuss@fv.nrw.de"},
        "statistik": {"name": "IT.NRW – Statistisches Landesamt", "email": "gewerbeanzeigen@it.nrw.de"},
        "ihk": {"name": "IHK Mittlerer Niederrhein", "email": "gewerbemeldungen@krefeld.ihk.de"},
        "hwk": {"name": "Handwerkskammer Düsseldorf", "email": "gewerbemeldungen@hwk-duesseldorf.de"},
        "gewerbeaufsicht": {"name": "Bezirksregierung Düsseldorf, Arbeitsschutz", "email": "arbeitsschutz@brd.nrw.de"},
        "arbeitsagentur": {"name": "Agentur für Arbeit Mönchengladbach", "email": "moenchengladbach@arbeitsagentur.de"},
        "berufsgenossenschaft": {"name": "Deutsche Gesetzliche Unfallversicherung (DGUV)", "email": "gewerbe@dguv.de"},
        "registergericht": {"name": "Amtsgericht Neuss – Registergericht", "email": "poststelle@ag-neuss.nrw.de"},
        "auslaenderbehoerde": {
            "name": "Ausländerbehörde Rhein-Kreis Neuss",
            "email": "auslaenderamt@rhein-kreis-neuss.de",
        },
        "eichamt": {"name": "Landesbetrieb Mess- und Eichwesen NRW", "email": "poststelle@lbme.nrw.de"},
    }
}
_xga_recipients = envstr("XGEWERBEANZEIGE_RECIPIENTS", "")
if _xga_recipients:
    try:
        XGEWERBEANZEIGE_RECIPIENTS.update(json.loads(_xga_recipients))
    except (ValueError, TypeError):
        raise ImproperlyConfiguredEnv(
            "XGEWERBEANZEIGE_RECIPIENTS must be a JSON object of Kreis → recipients"
        ) from None

# --- Hand-offs: FIT-Connect ------------------------------------------------------------------------
# The sender's OAuth2 client (client credentials) and the Submission API; all empty: nothing is sent.
FITCONNECT_TOKEN_URL = envstr("FITCONNECT_TOKEN_URL", "")
FITCONNECT_SUBMISSION_API_URL = envstr("FITCONNECT_SUBMISSION_API_URL", "")
FITCONNECT_CLIENT_ID = envstr("FITCONNECT_CLIENT_ID", "")
FITCONNECT_CLIENT_SECRET = envstr("FITCONNECT_CLIENT_SECRET", "")
# JSON object: service slug or LeiKa key -> FIT-Connect destination ID; a service not named gets no hand-off.
_fitconnect_destinations = envstr("FITCONNECT_DESTINATIONS", "") or "{}"
try:
    FITCONNECT_DESTINATIONS: dict[str, str] = json.loads(_fitconnect_destinations)
except ValueError:
    raise ImproperlyConfiguredEnv("FITCONNECT_DESTINATIONS must be a JSON object") from None
if not isinstance(FITCONNECT_DESTINATIONS, dict) or not all(
    isinstance(key, str) and isinstance(value, str) for key, value in FITCONNECT_DESTINATIONS.items()
):
    raise ImproperlyConfiguredEnv("FITCONNECT_DESTINATIONS must map service slugs or LeiKa keys to destination IDs")

# --- Statistics, forecasts and the Digitalisierungscheck -------------------------------------------
# Counts below this are shown as "<5" in exports and open data, so that nobody can be singled out.
STATS_MIN_COUNT = envint("STATS_MIN_COUNT", 5)
# Personal data in tickets and appointments is removed this many days after the visit; the rows stay
# for the statistics.
ANONYMISE_TICKETS_AFTER_DAYS = envint("ANONYMISE_TICKETS_AFTER_DAYS", 90)
ANONYMISE_APPOINTMENTS_AFTER_DAYS = envint("ANONYMISE_APPOINTMENTS_AFTER_DAYS", 90)
# Digitalisierungscheck: how many visits to the office one online application saves (its "visits
# avoided"), and how many one use of a document checklist saves.
DIGICHECK_VISITS_PER_APPLICATION = envfloat("DIGICHECK_VISITS_PER_APPLICATION", 1.0)
DIGICHECK_VISITS_PER_CHECKLIST = envfloat("DIGICHECK_VISITS_PER_CHECKLIST", 0.5)
# Staff time an online case takes as a share of the service's counter minutes, for services without a
# standard time set by the Kreis (0.5 = half).
DIGICHECK_ONLINE_MINUTES_SHARE = envfloat("DIGICHECK_ONLINE_MINUTES_SHARE", 0.5)
# How many answers one client (browser) may give to the "what next online" survey per day.
SURVEY_VOTES_PER_DAY = envint("SURVEY_VOTES_PER_DAY", 3)
# How many days the signed link to rate a visit or an application stays valid.
RATING_LINK_MAX_AGE_DAYS = envint("RATING_LINK_MAX_AGE_DAYS", 60)
# How many days of past tickets, appointments, applications and ratings the demo generates.
DEMO_HISTORY_DAYS = envint("DEMO_HISTORY_DAYS", 365)
