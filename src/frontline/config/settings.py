"""Frontline settings, read from environment variables with safe demo defaults.

See docs/operations.md for every variable. Nothing here reaches the network at import time.
"""

import warnings
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_str, mailer_from_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
WORK_DIR = Path.cwd()

DEBUG = env_bool("DEBUG", False)
# The demo (``frontline demo``) runs on plain HTTP on 127.0.0.1 with readable logs.
DEMO = env_bool("FRONTLINE_DEMO", False)
HTTPS = env_bool("HTTPS", not (DEBUG or DEMO))

INSECURE_DEMO_KEY = "django-insecure-frontline-demo-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY") or INSECURE_DEMO_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "ninja",
    "django_htmx",
    "django_tasks_db",
    "frontline.core",
    "frontline.audit",
    "frontline.accounts",
    "frontline.customers",
    "frontline.catalog",
    "frontline.orders",
    "frontline.shipping",
    "frontline.cases",
    "frontline.inbox",
    "frontline.portal",
    "frontline.workspace",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "frontline.core.request_context.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "frontline.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "frontline.config.urls"
ASGI_APPLICATION = "frontline.config.asgi.application"
WSGI_APPLICATION = "frontline.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontline.workspace.context_processors.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{WORK_DIR / 'frontline.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process read while the worker writes; IMMEDIATE avoids
        # "database is locked" on lock upgrades inside transactions.
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=20000;PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif find_spec("psycopg_pool") is not None and env_int("DB_POOL_SIZE", 10) > 0:
    # Under ASGI every request runs its view in a thread of its own, so a connection kept per
    # thread (CONN_MAX_AGE) is never reused: each request opened one and left it open until
    # PostgreSQL ran out of connections. A pool per process shares a few among all requests.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("DB_POOL_SIZE", 10),
        "timeout": 10,
        "max_idle": 300,
    }
else:
    # Without psycopg's pool: a connection per request, closed at its end (see above).
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, task queue ------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "frontline.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_PREFIX", "frontline"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CACHE_PREFIX", "frontline")},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Sessions: read from the shared cache (Redis) and written through to the database, so a signed-in
# request costs no session query. Only with a shared cache: a per-process cache would keep a
# signed-out session alive in the other web processes.
# Rendered queue pages are kept this many seconds, dropped at once by any case change
# (frontline.cases.queue_cache). Off without Redis: a per-process cache cannot see other
# processes' changes.
QUEUE_PAGE_CACHE_SECONDS = env_int("QUEUE_PAGE_CACHE_SECONDS", 10 if REDIS_URL else 0)
# The signed-in user from the shared cache, not a query per request (accounts/user_cache.py).
USER_CACHE = env_bool("USER_CACHE", bool(REDIS_URL))
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
)

# Background work goes through django.tasks. "db" (default) keeps tasks in the database and
# needs nothing else; "rq" puts them on Redis (REDIS_URL) for many workers.
TASKS_BACKEND = env_str("TASKS_BACKEND", "db")
if TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ValueError("TASKS_BACKEND=rq needs REDIS_URL")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    INSTALLED_APPS.append("django_rq")
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
elif TASKS_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
else:
    raise ValueError(f"TASKS_BACKEND must be db, rq or immediate, got {TASKS_BACKEND!r}")
# Periodic jobs (frontline.config.schedule), run by a scheduler inside every worker, which
# wakes up every SCHEDULER_TICK_SECONDS. FRONTLINE_EXTRA_SCHEDULE adds jobs:
# "name=dotted.path.to.task@seconds,...".
SCHEDULE = "frontline.config.schedule.SCHEDULE"
SCHEDULE_EXTRA = env_str("FRONTLINE_EXTRA_SCHEDULE")
SCHEDULER_TICK_SECONDS = env_int("SCHEDULER_TICK_SECONDS", 5)
# Finished task results, and the scheduler's record of claimed ticks, are pruned daily after:
TASK_RESULT_RETENTION_DAYS = env_int("TASK_RESULT_RETENTION_DAYS", 14)
SCHEDULER_RUN_RETENTION_DAYS = env_int("SCHEDULER_RUN_RETENTION_DAYS", 30)
if SCHEDULER_RUN_RETENTION_DAYS < 2:
    raise ValueError("SCHEDULER_RUN_RETENTION_DAYS must be at least 2 (longer than any job interval)")

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["frontline.accounts.backends.RoleBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Lockout after repeated failures, per username and per client address.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)

# --- Security -------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("de", _("German")),
    ("fr", _("French")),
    ("ar", _("Arabic")),
]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or WORK_DIR / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or WORK_DIR / "media")
# Serve straight from the apps' static folders, so the demo needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
# ...so a missing STATIC_ROOT (no collectstatic yet) is expected, not worth a warning per start.
warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Frontline <support@frontline.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MAILERS = {"default": mailer_from_url(env_str("EMAIL_URL", "console://"))}

# --- Logging --------------------------------------------------------------------------------
LOG_FORMAT = env_str("LOG_FORMAT", "text" if (DEBUG or DEMO) else "json")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "frontline.core.logging.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "frontline.core.logging.JsonFormatter"},
        "text": {"()": "frontline.core.logging.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "uvicorn.access": {"level": "WARNING"},
    },
}

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200
API_TOKEN_PREFIX = "fl"

# --- Uploads and imports --------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000)

# --- Cases ----------------------------------------------------------------------------------
CASE_ATTACHMENT_MAX_BYTES = env_int("CASE_ATTACHMENT_MAX_MB", 10) * 1024 * 1024
CASE_ATTACHMENT_MAX_FILES = 10
CASE_ATTACHMENT_TYPES = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/zip",
    "message/rfc822",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/msword",
]
# Resolution follow-up: days the customer has to answer before a resolved case closes.
CASE_FOLLOW_UP_DAYS = env_int("CASE_FOLLOW_UP_DAYS", 7)
# Inbox: how long a chat/social/SMS message continues an open case; the public form's rate limit.
INBOX_CONTINUE_DAYS = env_int("INBOX_CONTINUE_DAYS", 3)
INBOX_FORM_RATE_LIMIT = env_int("INBOX_FORM_RATE_LIMIT", 5)
INBOX_FORM_RATE_WINDOW = env_int("INBOX_FORM_RATE_WINDOW", 3600)
# Uploaded files above this go to a temporary file rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Shipping -------------------------------------------------------------------------------
# Tracking webhooks read TRACKING_WEBHOOK_SECRETS from the environment (shipping/webhooks.py).
# The demo alone, when none is set, accepts the generic format signed with a published secret,
# so a newcomer can send a carrier event to it.
DEMO_WEBHOOK_SECRET = "frontline-demo-webhook"
if DEMO and not env_str("TRACKING_WEBHOOK_SECRETS"):
    TRACKING_WEBHOOK_SECRETS = {"generic": DEMO_WEBHOOK_SECRET}
