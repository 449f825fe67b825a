"""Settings for mypy's Django plugin (``make lint``): the app registry only.

Unlike ``tests.settings`` they start no Redis server and name no database
file; nothing connects while the plugin sets Django up.
"""

import scalejobs.middleware

SECRET_KEY = "type-checking only"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_dramatiq",
    "scalejobs",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DRAMATIQ_BROKER = {
    "BROKER": "scalejobs.dispatch.RedisBroker",
    "OPTIONS": {"url": "redis://127.0.0.1:6379/0"},
    "MIDDLEWARE": scalejobs.middleware.DEFAULT_STACK,
}
USE_TZ = True
