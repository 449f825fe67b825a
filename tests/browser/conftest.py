"""Fixtures for every slice's browser tests: headless Chromium driven by Playwright.

- ``browser``: one Chromium per test module (the system's ``chromium``; without it
  the tests skip locally and fail in CI, where ``CI=true``).
- ``staff_page``: a fresh page logged into the admin of ``live_server`` as a
  superuser; ``page.goto("/admin/...")`` takes paths.
- ``screenshot(page, name)``: save a full-page PNG under the test's tmp dir
  (an artifact to look at, never committed); returns its path.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import in_ci

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STAFF_USERNAME = "staff"
STAFF_PASSWORD = "browser-test-password"

def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Chromium is not installed: apt-get install chromium"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Return a headless Chromium shared by the tests of one module.

    Playwright's sync API runs an event loop in the test thread while it is
    open, where Django's ORM would refuse to run and ``async_to_sync`` fails;
    so the ORM is allowed for the browser's lifetime only, and the browser
    closes with its module instead of lingering into other tests.
    """
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def staff_user(django_user_model: Any) -> Any:
    """Return a superuser who may see and act on every scalejobs page."""
    return django_user_model.objects.create_superuser(STAFF_USERNAME, "staff@example.com", STAFF_PASSWORD)


def log_in(browser: Any, live_server: Any, username: str, password: str) -> Any:
    """Return a new page of a new context, logged into the admin of the live server as ``username``."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return page


@pytest.fixture
def staff_page(browser: Any, live_server: Any, staff_user: Any) -> Iterator[Any]:
    """Return a page logged into the admin of the live server."""
    page = log_in(browser, live_server, STAFF_USERNAME, STAFF_PASSWORD)
    yield page
    page.context.close()


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Return a function saving a full-page screenshot as ``<tmp>/screenshots/<name>.png``."""
    directory = tmp_path / "screenshots"
    directory.mkdir()

    def take(page: Any, name: str) -> Path:
        path = directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
