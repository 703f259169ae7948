"""Watchkeeper's one settings module, driven by ``WATCHKEEPER_*`` environment variables.

Every setting has a zero-setup default (SQLite and SqliteHuey under the data directory, a secret key
generated once). With ``WATCHKEEPER_PRODUCTION=true`` an unsafe configuration stops start-up with a
message naming the setting (see ``watchkeeper.config.check_production``).
"""

from __future__ import annotations

from pathlib import Path

from watchkeeper.config import (
    check_production,
    database_settings,
    env_bool,
    env_int,
    env_list,
    env_str,
    queue_settings,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = env_bool("PRODUCTION", False)
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key(DATA_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
BIND = env_str("BIND", "127.0.0.1:8000")
BASE_URL = env_str("BASE_URL", f"http://{BIND}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "huey.contrib.djhuey",
    "ninja",
    "watchkeeper.core",
    "watchkeeper.accounts",
    "watchkeeper.cmdb",
    "watchkeeper.incidents",
    "watchkeeper.sla",
    "watchkeeper.events",
    "watchkeeper.requests",
    "watchkeeper.access",
    "watchkeeper.knowledge",
    "watchkeeper.problems",
    "watchkeeper.reporting",
    "watchkeeper.audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "watchkeeper.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "watchkeeper.urls"
WSGI_APPLICATION = "watchkeeper.wsgi.application"

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
                "watchkeeper.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": database_settings(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["watchkeeper.accounts.backends.RoleBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lockout: this many failed logins for one username within the window lock it for the window.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The project-wide files (stylesheet, icons) live beside the templates, outside any one app.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from the app folders too (USE_FINDERS)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "files"

# Security: cookies, headers and the content security policy (see core.middleware).
HTTPS = env_bool("HTTPS", PRODUCTION)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "watchkeeper.core.views.csrf_failure"
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 12) * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000 if HTTPS else 0)
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# E-mail: SMTP when a host is set; otherwise messages are written as files under var/outbox/.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "watchkeeper@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox")

HUEY = queue_settings(DATA_DIR)

# Incidents: a resolved incident closes itself after this many days (the caller may reopen it
# until then); attachments up to this size.
INCIDENT_AUTO_CLOSE_DAYS = env_int("INCIDENT_AUTO_CLOSE_DAYS", 7, minimum=1)
ATTACHMENT_MAX_MB = env_int("ATTACHMENT_MAX_MB", 20, minimum=1)
# Recurring-incident detection (docs/problem-detection.md): this many incidents alike within
# these days make a problem candidate; "alike" text shares this percentage of its words.
PROBLEM_DETECTION_WINDOW_DAYS = env_int("PROBLEM_DETECTION_WINDOW_DAYS", 7, minimum=1)
PROBLEM_DETECTION_THRESHOLD = env_int("PROBLEM_DETECTION_THRESHOLD", 4, minimum=2)
PROBLEM_DETECTION_SIMILARITY = env_int("PROBLEM_DETECTION_SIMILARITY", 50, minimum=1)
APPROVAL_LINK_DAYS = env_int("APPROVAL_LINK_DAYS", 14, minimum=1)  # requests/links.py
APPROVAL_REMIND_HOURS = env_int("APPROVAL_REMIND_HOURS", 24, minimum=1)  # requests/reminders.py
APPROVAL_ESCALATE_HOURS = env_int("APPROVAL_ESCALATE_HOURS", 72, minimum=1)
# Satisfaction surveys (docs/surveys.md): sent when an incident is resolved or a request
# closes complete ("off" sends none); the signed link in the e-mail works this many days.
# Process audits (docs/process-audits.md).
AUDIT_REASSIGNMENT_LIMIT = env_int("AUDIT_REASSIGNMENT_LIMIT", 3, minimum=0)
AUDIT_BACKUP_INCIDENT_HOURS = env_int("AUDIT_BACKUP_INCIDENT_HOURS", 24, minimum=1)
AUDIT_FINDING_DUE_DAYS = env_int("AUDIT_FINDING_DUE_DAYS", 14, minimum=1)
SURVEYS = env_bool("SURVEYS", True)
SURVEY_LINK_DAYS = env_int("SURVEY_LINK_DAYS", 30, minimum=1)  # reporting/surveys.py
EVENTS_MAX_CONCURRENT = env_int("EVENTS_MAX_CONCURRENT", 16, minimum=1)  # events/throttle.py
EVENTS_RAW_DAYS = env_int("EVENTS_RAW_DAYS", 7, minimum=1)
# events/spool.py: accepted events wait here for the processor; above this many, 429.
EVENTS_SPOOL = Path(env_str("EVENTS_SPOOL", str(DATA_DIR / "events-spool.sqlite3"))).resolve()
EVENTS_MAX_BACKLOG = env_int("EVENTS_MAX_BACKLOG", 1_000_000, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Platform backups (docs/backup.md): where archives go, when the scheduler takes one (a cron
# expression in UTC, or "off"), and how many archives are kept.
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(DATA_DIR / "backups"))).resolve()
BACKUP_SCHEDULE = env_str("BACKUP_SCHEDULE", "30 1 * * *").strip()
BACKUP_KEEP = env_int("BACKUP_KEEP", 7, minimum=1)

NINJA_PAGINATION_CLASS = "watchkeeper.core.api.Pagination"  # limit/offset, bounded offset
NINJA_PAGINATION_MAX_LIMIT = 500
NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # The consumer adds its own handler to "huey" when it has none: give it ours, once.
    "loggers": {"huey": {"level": "INFO", "handlers": ["console"], "propagate": False}},
}

if PRODUCTION:
    check_production(globals())
