"""Mektep settings: one module, driven by the environment.

Two ways to run (see docs/architecture.md):
- embedded default: no ``DATABASE_URL`` (SQLite), no ``REDIS_URL`` (in-memory channel layer,
  ``memory://`` broker, eager Celery);
- production / CI: ``DATABASE_URL`` and ``REDIS_URL`` set. With ``LMS_ENV=prod`` the process
  refuses to start on any insecure or embedded-only setting.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEVELOPMENT_SECRET_KEY = "django-insecure-mektep-development-key-never-use-in-production"  # noqa: S105 - production refuses it

LMS_ENV = env.str("LMS_ENV", default="dev")
if LMS_ENV not in {"dev", "prod"}:
    raise ImproperlyConfigured(f"LMS_ENV must be 'dev' or 'prod', not {LMS_ENV!r}.")
PRODUCTION = LMS_ENV == "prod"

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- applications --------------------------------------------------------------------------
INSTALLED_APPS = [
    "lms.apps.MektepAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "phonenumber_field",
    "django_htmx",
    "django_celery_beat",
    "channels",
    "lms.apps.LmsConfig",
    "lms.accounts",
    "lms.notifications",
    "courses",
    "courses.assessments",
    "classrooms",
    "realtime",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lms.compression.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lms.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"
ASGI_APPLICATION = "lms.asgi.application"

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
                "frontend.context_processors.notices",
            ],
        },
    },
]

# --- data ----------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'mektep.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_POOL", default=True
):
    # Under ASGI, Django's persistent connections do not apply; psycopg's pool keeps a few
    # connections open per process instead of connecting on every request.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=1),
        "max_size": env.int("DATABASE_POOL_MAX", default=10),
        "timeout": 10,
    }
# The live lessons' own connection (realtime.statements) prepares its few statements once.
# Off behind a connection pooler that does not keep prepared statements (PgBouncer in
# transaction mode before 1.21, or without max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default writes from several threads at once (requests, the embedded beat).
    # A transaction takes SQLite's write lock when it begins, so a second writer waits for it
    # (up to the timeout) instead of failing with "database is locked" when a read turns into a
    # write; WAL lets pages read while someone writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mektep",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "lms.channel_layer.RedisChannelLayer",  # channels-redis, waiting longer
            "CONFIG": {
                # A join storm adds hundreds of sockets to their groups at once; redis-py's
                # default pool of 100 connections refuses the rest ("Too many connections").
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=1000),
                        # The layer waits up to 12 s for a message (BZPOPMIN); redis-py's
                        # own 5 s read timeout would end that wait with an error first.
                        "socket_timeout": 15,
                        # No CLIENT SETINFO on each new connection: redis-py 8 looks its own
                        # version up in the installed packages' metadata for it, some
                        # milliseconds per connection, and a join storm opens dozens at once.
                        "driver_info": None,
                    }
                ],
                # Not the cache's "mektep:" prefix: clearing the cache's keys (tests do,
                # between tests) must not drop sockets from their groups.
                "prefix": "mektep-channels",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Live lessons ---------------------------------------------------------------------------
# Redis pub/sub channels of live lessons are named with this prefix and the database's name.
REALTIME_CHANNEL_PREFIX = env.str("REALTIME_CHANNEL_PREFIX", default="mektep.")

# --- Celery: eager only when no broker is configured ----------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task taken by a worker that then dies (killed, the machine lost) goes back to the queue
# once it has been unacknowledged for ``visibility_timeout`` seconds (Kombu's default is an
# hour). Tasks are idempotent, so one that merely runs longer and is delivered twice does no
# harm. Kombu looks for such tasks every ``unacked_restore_interval`` seconds (times the
# throttle, here 1), and a worker killed during that sweep leaves its lock for
# ``unacked_mutex_expire`` seconds (Kombu's default: 5 minutes of no recovery at all).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
    "unacked_mutex_expire": 30,
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = timedelta(hours=1)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# With no broker (the embedded default) there is no beat process: the web process runs the
# schedule below itself, eagerly (lms.embedded_beat, started by the ASGI lifespan).
EMBEDDED_BEAT = env.bool("EMBEDDED_BEAT", default=CELERY_TASK_ALWAYS_EAGER and not REDIS_URL)
# Periodic jobs of assessments: hand in attempts whose time ran out, and ask again for the
# grading of attempts still ungraded a while after submission (a lost task).
ASSESSMENTS_SWEEP_SECONDS = env.float("ASSESSMENTS_SWEEP_SECONDS", default=60.0)
GRADING_REQUEUE_AFTER_SECONDS = env.int("GRADING_REQUEUE_AFTER_SECONDS", default=120)
# Every periodic job, in this one place; beat (django-celery-beat) copies it into its tables at
# start. Each job is safe to run twice at once (a second beat started by mistake).
CELERY_BEAT_SCHEDULE = {
    "attempts-expired-submit": {
        "task": "assessments.attempts_expired_submit",
        "schedule": ASSESSMENTS_SWEEP_SECONDS,
    },
    "attempts-ungraded-requeue": {
        "task": "assessments.attempts_ungraded_requeue",
        "schedule": ASSESSMENTS_SWEEP_SECONDS,
    },
    "classrooms-live-lesson-reminders": {
        "task": "classrooms.live_lesson_reminders",
        "schedule": env.float("LIVE_LESSON_REMINDER_SECONDS", default=60.0),
    },
    "assessments-due-soon": {
        "task": "assessments.due_soon_notify",
        "schedule": 15 * 60.0,
    },
    "assessments-grading-digests": {
        "task": "assessments.grading_digests",
        "schedule": 15 * 60.0,
    },
    # Sends what is due (quiet hours over, a retry's pause over, a lost task), revives what a
    # killed worker left half-sent, resumes stalled fan-outs.
    "notifications-sweep": {
        "task": "notifications.sweep",
        "schedule": env.float("NOTIFICATIONS_SWEEP_SECONDS", default=30.0),
    },
}

# --- authentication ------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "frontend:sign-in"
LOGIN_REDIRECT_URL = "frontend:home"
LOGOUT_REDIRECT_URL = "frontend:sign-in"

# Lockout: 5 failed sign-ins lock the account for 15 minutes (docs/decisions/0003).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "frontend.views.locked_out"
AXES_VERBOSE = False
# axes.W006 warns that a lockout keyed on the username alone ignores the client's address. That
# is the point: pupils of one school share one NAT address, so keying on the address would lock
# a whole school out; keying on the username protects each account wherever guesses come from.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LMS_API_TOKENS_PER_PERSON = 20  # one per device; the oldest makes room for a new one
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=30),
    "AUTO_REFRESH": True,
    "TOKEN_LIMIT_PER_USER": LMS_API_TOKENS_PER_PERSON,
    "AUTH_HEADER_PREFIX": "Token",
}

# --- API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lms.accounts.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "lms.api.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "lms.api.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lms.errors.api_exception_handler",
    # A class of 40 signs in at once from one village school's address: the per-address limit
    # leaves room for that; django-axes guards each account.
    "DEFAULT_THROTTLE_RATES": {"sign-in": "120/min", "password-check": "10/hour"},
    # How many proxies in front of the app set X-Forwarded-For. 0: trust only the socket's
    # address (a client cannot forge its way past the rate limits).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mektep API",
    "DESCRIPTION": (
        "The REST API of Mektep. Sign in with POST /api/v1/auth/token/ and send "
        "`Authorization: Token <token>`. Every 4xx answer has the body "
        '`{"code": ..., "message": ..., "fields": {...}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "lms.accounts.models.Role",
        "LocalityEnum": "lms.accounts.models.Locality",
        "LanguageEnum": "lms.accounts.models.LANGUAGE_CHOICES",
        "LessonFileKindEnum": "courses.models.LessonFile.Kind",
        "QuestionKindEnum": "courses.assessments.models.QuestionKind",
        "AssessmentKindEnum": "courses.assessments.models.AssessmentKind",
        "NotificationKindEnum": "lms.notifications.models.Kind",
    },
}

# --- languages and time --------------------------------------------------------------------
LANGUAGE_CODE = env.str("LMS_DEFAULT_LANGUAGE", default="en")
LANGUAGES = [
    ("ky", _("Kyrgyz")),
    ("ru", _("Russian")),
    ("en", _("English")),
    ("mn", _("Mongolian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
LMS_TIME_ZONES = ["Asia/Bishkek", "Asia/Ulaanbaatar", "Asia/Hovd", "Asia/Choibalsan"]
PHONENUMBER_DEFAULT_REGION = "KG"

# --- static and uploaded files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Source maps (megabytes of them, from the API docs' Swagger UI) are for developers' tools;
# compressing them twice doubled the time of collectstatic.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- security ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = PRODUCTION
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend"
        if PRODUCTION
        else "django.core.mail.backends.console.EmailBackend"
    ),
)

EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Mektep <no-reply@mektep.localhost>")
# The site's address as people reach it, for links in e-mail and SMS.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- notifications --------------------------------------------------------------------------
# Teachers hear of the work waiting for their marking in this hour of their own day.
GRADING_DIGEST_HOUR = env.int("GRADING_DIGEST_HOUR", default=7)
NOTIFICATIONS_BATCH_SIZE = env.int("NOTIFICATIONS_BATCH_SIZE", default=500)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.float("NOTIFICATIONS_RETRY_BASE_SECONDS", default=30.0)
NOTIFICATIONS_SENDING_TIMEOUT = env.int("NOTIFICATIONS_SENDING_TIMEOUT", default=600)
NOTIFICATIONS_DISPATCH_STALL_SECONDS = env.int("NOTIFICATIONS_DISPATCH_STALL_SECONDS", default=120)
SMS_BACKEND = env.str(
    "SMS_BACKEND",
    default=(
        "lms.notifications.senders.HttpSmsBackend"
        if env.str("SMS_GATEWAY_URL", default="")
        else "lms.notifications.senders.ConsoleSmsBackend"
    ),
)
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=10.0)
SMS_CALLBACK_TOKEN = env.str("SMS_CALLBACK_TOKEN", default="")
SMS_MAX_PARTS = env.int("SMS_MAX_PARTS", default=3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- a public host without LMS_ENV=prod is a forgotten setting, not a development machine ---
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1", "testserver"}
if not PRODUCTION and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or DEBUG):
    public = sorted(host for host in ALLOWED_HOSTS if host not in LOCAL_HOSTS)
    if public:
        raise ImproperlyConfigured(
            f"ALLOWED_HOSTS names public hosts ({', '.join(public)}) while DEBUG is on or the "
            "development secret key is in use: set LMS_ENV=prod (and its settings) to deploy."
        )

# --- production refuses to start on anything insecure or embedded-only ----------------------
if PRODUCTION:
    problems = []
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("DJANGO_SECRET_KEY must be set to a random value of 50+ characters")
    if DEBUG:
        problems.append("DEBUG must be off")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must name the site's hosts")
    if not REDIS_URL:
        problems.append(
            "REDIS_URL must be set (without it the channel layer is in-memory "
            "and Celery has no broker)"
        )
    if CELERY_TASK_ALWAYS_EAGER:
        problems.append("Celery must not run tasks eagerly (CELERY_TASK_ALWAYS_EAGER)")
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must point at PostgreSQL")
    if SMS_BACKEND.endswith("HttpSmsBackend") and not (SMS_GATEWAY_URL and SMS_CALLBACK_TOKEN):
        problems.append("SMS_GATEWAY_URL and SMS_CALLBACK_TOKEN must be set for the SMS gateway")
    if SITE_URL.startswith("http://127.0.0.1"):
        problems.append("SITE_URL must be the site's public address (links in e-mail and SMS)")
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start with LMS_ENV=prod: " + "; ".join(problems) + "."
        )
