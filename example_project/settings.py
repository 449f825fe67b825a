"""Settings of the example project: a small shop that signs users up and exports CSV.

Configured from the environment so the same file serves the demo, the tests
and docker-compose: ``REDIS_URL``, ``DATABASE_URL`` (SQLite when unset),
``SECRET_KEY``, ``DEBUG``, ``ALLOWED_HOSTS``, ``ECS_AGENT_URI``, ``STATIC_ROOT``.
"""

import os
from pathlib import Path

import django

import scalejobs.middleware

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-example-key-change-me")
DEBUG = os.environ.get("DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_dramatiq",
    "scalejobs",
    "example_project.shop",
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

if not DEBUG:
    # Serves the admin's CSS and JS under gunicorn (collected into STATIC_ROOT by the image build);
    # with DEBUG on, runserver serves them itself.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "example_project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

WSGI_APPLICATION = "example_project.wsgi.application"

if os.environ.get("DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))

# Django's @task functions run on the Dramatiq workers too (scalejobs.tasks).
TASKS = {
    "default": {
        "BACKEND": "scalejobs.tasks.DramatiqBackend",
        "QUEUES": ["default", "exports"],
        "OPTIONS": {"RESULT_TTL": 24 * 60 * 60},
    },
}
if django.VERSION < (6, 0):
    # Django 5.2 has no django.tasks: the django-tasks backport provides it.
    INSTALLED_APPS.append("django_tasks")

# While `make demo` runs, it writes its embedded server's URL here, so every manage.py command
# (`scalejobs status` included) finds the demo's Redis; REDIS_URL in the environment wins.
DEMO_REDIS_URL_FILE = BASE_DIR / ".demo" / "redis-url"
REDIS_URL = (
    os.environ.get("REDIS_URL")
    or (DEMO_REDIS_URL_FILE.read_text().strip() if DEMO_REDIS_URL_FILE.exists() else "")
    or "redis://127.0.0.1:6379/0"
)
# While Redis is away, a connect gives up after 2 s and a reply after 5 s, so an enqueue raises
# scalejobs.BrokerUnavailable instead of hanging (docs/reliability.md). Dramatiq builds its
# connection pool from the URL alone, so the timeouts ride in the URL's query string.
BROKER_URL = f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}socket_connect_timeout=2&socket_timeout=5"

DRAMATIQ_BROKER = {
    # Dramatiq's Redis broker, with idle workers woken at once (docs/dispatch.md).
    "BROKER": "scalejobs.dispatch.RedisBroker",
    # heartbeat_timeout (ms, Dramatiq's default 60000) plus SCALEJOBS["RELIABILITY"]["RECOVERY_INTERVAL_SECONDS"]
    # bounds how long a SIGKILLed worker's jobs wait to be recovered.
    "OPTIONS": {"url": BROKER_URL, "heartbeat_timeout": 60_000},
    "MIDDLEWARE": scalejobs.middleware.DEFAULT_STACK,
}

SCALEJOBS = {
    "MAIL": {"BACKEND": "django.core.mail.backends.console.EmailBackend"},
    # The demo shortens the grace so the admin shows protection turn off soon after the jobs.
    "PROTECTION": {"IDLE_GRACE_SECONDS": float(os.environ.get("PROTECTION_IDLE_GRACE_SECONDS", "30"))},
}

# Every email Django sends goes through a worker.
EMAIL_BACKEND = "scalejobs.mail.QueuedEmailBackend"
DEFAULT_FROM_EMAIL = "shop@example.com"

# The demo's extra jobs (example_project/shop/tour.py): a throttled partner API, a periodic
# report and a payment that always fails.
SHOP_TOUR = os.environ.get("SHOP_TOUR", "1") == "1"

EXPORT_DIR = Path(os.environ.get("EXPORT_DIR", BASE_DIR / "exports"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
