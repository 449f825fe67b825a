"""Test settings: the example project, with test-only overrides.

``tests/redis_server.py`` provides ``REDIS_URL`` before the example settings read it.
"""

import os

from tests.redis_server import provide_test_environment

provide_test_environment()

from example_project.settings import *  # noqa: F403
from example_project.settings import DATABASES

if "sqlite" in DATABASES["default"]["ENGINE"]:
    # A file (not :memory:) so worker subprocesses can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["SCALEJOBS_TEST_SQLITE"]}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SCALEJOBS = {"MAIL": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405
# The demo's periodic and throttled jobs stay out of the test workers.
SHOP_TOUR = False

if os.environ.get("SCALEJOBS_WORKER_OF_TESTS"):
    # A worker started by a system test uses the test database, not the real one.
    default = DATABASES["default"]
    default["NAME"] = default.get("TEST", {}).get("NAME") or "test_" + default["NAME"]

if os.environ.get("SCALEJOBS_TEST_SMTP_PORT"):
    # A system test's worker delivers queued email to the SMTP server that the test started.
    import django

    _smtp = {"host": "127.0.0.1", "port": int(os.environ["SCALEJOBS_TEST_SMTP_PORT"]), "timeout": 10}
    if django.VERSION >= (6, 1):
        # Django 6.1 mailers; MAILERS and the deprecated EMAIL_* settings must not be mixed.
        del EMAIL_BACKEND
        MAILERS = {
            "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
            "smtp": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": _smtp},
        }
        SCALEJOBS = {**SCALEJOBS, "MAIL": {"USING": "smtp"}}
    else:
        SCALEJOBS = {**SCALEJOBS, "MAIL": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}
        EMAIL_HOST, EMAIL_PORT, EMAIL_TIMEOUT = _smtp["host"], _smtp["port"], _smtp["timeout"]

if os.environ.get("SCALEJOBS_TEST_OVERRIDES"):
    # A system test hands its workers extra SCALEJOBS sections, as JSON.
    import json

    SCALEJOBS = {**SCALEJOBS, **json.loads(os.environ["SCALEJOBS_TEST_OVERRIDES"])}
