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

if os.environ.get("SCALEJOBS_WORKER_OF_TESTS"):
    # A worker started by a system test uses the test database, not the real one.
    default = DATABASES["default"]
    default["NAME"] = default.get("TEST", {}).get("NAME") or "test_" + default["NAME"]
