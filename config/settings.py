"""Unisono settings: everything comes from the environment.

With nothing set, Unisono runs *embedded*: a SQLite file under ``var/``, the
in-memory channel layer, Celery tasks executed in-process. ``DATABASE_URL``
switches to PostgreSQL and ``REDIS_URL`` to the Redis channel layer, cache and
Celery broker. Provider credentials switch their channel on.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_json_list, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("UNISONO_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if DATABASE_URL:
        # A production deployment must bring its own key; never invent one.
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set")
    # Embedded default: a random key generated once per installation and kept
    # beside the SQLite file, so sessions and customer links survive restarts.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The public base URL (scheme + host) used in links we send to customers and
# to validate provider signatures behind a proxy or TLS terminator.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "inbox",
    "channels_app",
    "resolutions",
    "care",
    "audit",  # supervisor consistency audit
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
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

# Requests each Daphne process runs at once (sync Django code, a thread each);
# more wait on the event loop (config/asgi.py). Keep it <= DB_POOL_MAX.
HTTP_CONCURRENCY = env_int("HTTP_CONCURRENCY", 4)
if HTTP_CONCURRENCY < 1:
    raise ImproperlyConfigured(f"HTTP_CONCURRENCY must be at least 1, got {HTTP_CONCURRENCY}")

if DATABASE_URL:
    # Under Daphne every request runs in a thread of its own: persistent
    # per-thread connections (CONN_MAX_AGE) pile up until PostgreSQL refuses
    # clients. A bounded pool per process shares a few connections instead.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if env_bool("DB_POOL", True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 1),
            "max_size": env_int("DB_POOL_MAX", 10),
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "unisono.sqlite3",
            # SQLite serialises writers; a generous timeout plus IMMEDIATE
            # transactions avoid "database is locked" under concurrent webhooks.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Live frames fan out to every agent of a queue. The pub/sub layer publishes a
# group message once and each Daphne process hands it to its own sockets; the
# "core" layer stores one copy per member socket in Redis, which each process
# then pops one round trip at a time (and drops past a per-socket capacity).
CHANNEL_LAYER_BACKENDS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
}
CHANNEL_LAYER = env_str("CHANNEL_LAYER", "pubsub")
if CHANNEL_LAYER not in CHANNEL_LAYER_BACKENDS:
    raise ImproperlyConfigured(f"CHANNEL_LAYER must be one of {', '.join(CHANNEL_LAYER_BACKENDS)}, not {CHANNEL_LAYER!r}")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": CHANNEL_LAYER_BACKENDS[CHANNEL_LAYER],
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNEL_PREFIX", "unisono")},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"pool_class": "config.redis_pool.ProcessConnectionPool"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# ModelBackend that loads the user's role with the user (one query less per request).
AUTHENTICATION_BACKENDS = ["inbox.auth.InboxBackend"]
# Sessions are read from the cache (Redis in production, process memory when
# embedded) and written through to the database: no session query per request,
# and a cache flush only costs a database read.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("da", "Dansk"), ("nb", "Norsk bokmål")]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
# Our own translations (nl, da, nb); the .mo files are committed so no gettext is needed to run.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)

# Email: console in the embedded default, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Unisono Support <support@localhost>")

# Celery: Redis broker in production; in-process (eager) in the embedded default.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"  # a host, or kombu warns "No hostname was supplied"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Periodic jobs (Celery beat in production; the embedded scheduler runs the same
# entries in-process beside Daphne when REDIS_URL is not set): config/schedule.py.
from config.schedule import beat_schedule  # noqa: E402

CELERY_BEAT_SCHEDULE = beat_schedule(
    x_poll_seconds=env_int("X_POLL_SECONDS", 60), care_check_seconds=env_int("UNISONO_CARE_CHECK_SECONDS", 60)
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "inbox.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Unisono API",
    "DESCRIPTION": "Omnichannel customer-care inbox: tickets, messages, customers.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Ticket and Message both have a "status" and two fields use Channel: name
    # the enums once so the schema's components are stable and warning-free.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "inbox.models.Ticket.Status",
        "MessageStatusEnum": "inbox.models.Message.Status",
        "ChannelEnum": "inbox.models.Channel",
    },
}

# Unisono behaviour.
UNISONO_DEFAULT_REGION = env_str("UNISONO_DEFAULT_REGION", "NL")  # for phone numbers without +country
UNISONO_THREAD_WINDOW_HOURS = env_int("UNISONO_THREAD_WINDOW_HOURS", 72)
UNISONO_TICKET_LINK_MAX_AGE_DAYS = env_int("UNISONO_TICKET_LINK_MAX_AGE_DAYS", 30)
UNISONO_MAX_MESSAGE_LENGTH = env_int("UNISONO_MAX_MESSAGE_LENGTH", 10_000)
UNISONO_FORM_THROTTLE_PER_IP_HOUR = env_int("UNISONO_FORM_THROTTLE_PER_IP_HOUR", 10)
UNISONO_FORM_THROTTLE_PER_CONTACT_DAY = env_int("UNISONO_FORM_THROTTLE_PER_CONTACT_DAY", 5)
UNISONO_FORM_THROTTLE_CALLBACKS_PER_NUMBER_DAY = env_int("UNISONO_FORM_THROTTLE_CALLBACKS_PER_NUMBER_DAY", 3)
UNISONO_TEAM_NAME = env_str("UNISONO_TEAM_NAME", "The customer care team")  # signs replies sent by email
UNISONO_DELIVERY_MAX_RETRIES = env_int("UNISONO_DELIVERY_MAX_RETRIES", 6)
# A reply still "sending" this long after a worker claimed it is shown as
# unconfirmed (the worker died, or no status report came) so an agent can act.
# Far above one provider call (15 s timeout), so a live send is never caught.
UNISONO_UNCONFIRMED_AFTER_MINUTES = env_int("UNISONO_UNCONFIRMED_AFTER_MINUTES", 15)

# Phone & SMS (Twilio or a Twilio-compatible provider). Without credentials the
# channel shows as not configured and its webhooks answer 503.
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
# The URL Twilio calls us on, when it differs from what Django sees (proxy, TLS terminator).
TWILIO_WEBHOOK_BASE_URL = env_str("TWILIO_WEBHOOK_BASE_URL").rstrip("/")
# Where the REST client sends API calls: empty means Twilio's own
# (https://api.twilio.com); a Twilio-compatible provider or a test fake sets it.
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL").rstrip("/")
# The language each of our numbers greets callers in: "+31201234567=nl,+4532123456=da".
TWILIO_NUMBER_LANGUAGES = dict(
    (number.strip(), language.strip())
    for number, _, language in (pair.partition("=") for pair in env_list("TWILIO_NUMBER_LANGUAGES"))
    if number.strip() and language.strip()
)
TWILIO_DEFAULT_LANGUAGE = env_str("TWILIO_DEFAULT_LANGUAGE", "en")
# Hosts whose MMS media links are shown to agents as links (never fetched by us).
TWILIO_MEDIA_HOSTS = env_list("TWILIO_MEDIA_HOSTS", "api.twilio.com")
# Office hours (local time, Monday to Friday) for "call me back during office hours".
UNISONO_OFFICE_HOURS_START = env_int("UNISONO_OFFICE_HOURS_START", 9)
UNISONO_OFFICE_HOURS_END = env_int("UNISONO_OFFICE_HOURS_END", 17)

# X (Twitter). Without credentials the channel shows as not configured.
X_BEARER_TOKEN = env_str("X_BEARER_TOKEN")
X_CONSUMER_KEY = env_str("X_CONSUMER_KEY")
X_CONSUMER_SECRET = env_str("X_CONSUMER_SECRET")
X_ACCESS_TOKEN = env_str("X_ACCESS_TOKEN")
X_ACCESS_TOKEN_SECRET = env_str("X_ACCESS_TOKEN_SECRET")
# The numeric user id of that account; looked up once (GET /2/users/me) when empty.
X_USER_ID = env_str("X_USER_ID")
# More accounts: a JSON list of objects with the keys name, user_id, bearer_token,
# consumer_key, consumer_secret, access_token, access_token_secret (see docs/x.md).
X_ACCOUNTS = env_json_list("X_ACCOUNTS")
# Seconds between two polls of each account (mentions and DMs).
X_POLL_SECONDS = env_int("X_POLL_SECONDS", 60)
# Where tweepy sends API calls: empty means X's own (https://api.twitter.com); tests point it at a fake.
X_API_BASE_URL = env_str("X_API_BASE_URL").rstrip("/")

# Production hardening: on whenever DEBUG is off and we are told we sit behind TLS.
if env_bool("SECURE", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- care loop (care/) ---------------------------------------------------------------
# A ticket is "at risk" this many minutes before an SLA target is due.
UNISONO_SLA_WARN_MINUTES = env_int("UNISONO_SLA_WARN_MINUTES", 30)
# An inbound message without an answer escalates after this many business minutes.
UNISONO_UNANSWERED_MINUTES = env_int("UNISONO_UNANSWERED_MINUTES", 120)
# Days after solving before "is everything working now?" (0 = no follow-ups).
UNISONO_FOLLOW_UP_DAYS = env_int("UNISONO_FOLLOW_UP_DAYS", 3)
# Seconds between the SLA / survey / follow-up checks.
UNISONO_CARE_CHECK_SECONDS = env_int("UNISONO_CARE_CHECK_SECONDS", 60)
