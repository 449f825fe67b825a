"""In a real browser: a view-only user reads no job argument or email, a superuser reads plain arguments only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

import scalejobs
from scalejobs.unique import unique_jobs
from tests.browser.conftest import log_in
from tests.dramatiq_queues import Queues

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "iban-DE89-3704-0044-0532-0130-00"
RESET_LINK = "https://shop.example.com/reset/Mg-5f1-token"
VIEWER, PASSWORD = "viewer", "viewer-test-password"
PAGES = [
    "/admin/scalejobs/jobs/queues/default/",
    "/admin/scalejobs/jobs/queues/default/?state=delayed",
    "/admin/scalejobs/jobs/running/",
    "/admin/scalejobs/jobs/dead-letters/?queue=default",
    "/admin/scalejobs/jobs/unique/",
]


@pytest.fixture
def jobs_with_secrets(broker, redis_db):
    queues = Queues(redis_db)
    queues.send(SECRET)
    queues.send(SECRET, delay_ms=3_600_000)
    queues.send(SECRET)
    queues.kill()
    unique_jobs().acquire("d1", "m1", 90, actor="record", label=f"record@default:[[{SECRET!r}],{{}}]")
    scalejobs.send_mail_later("Password reset", f"Reset your password: {RESET_LINK}", "shop@example.com", ["root@example.com"])


def test_a_view_only_user_reads_no_argument_or_email_on_any_page(browser, live_server, django_user_model, jobs_with_secrets):
    user = django_user_model.objects.create_user(VIEWER, password=PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_jobs", content_type__app_label="scalejobs"))
    page = log_in(browser, live_server, VIEWER, PASSWORD)

    for path in PAGES:
        page.goto(path)
        text = page.inner_text("body") + page.content()
        assert SECRET not in text and RESET_LINK not in text and "Password reset" not in text, path
    page.goto(PAGES[0])
    assert page.locator('[data-arguments="hidden"]').count() == 1
    assert page.locator('[data-arguments="encrypted"]').count() == 1


def test_a_superuser_reads_plain_arguments_and_the_email_stays_encrypted(staff_page, jobs_with_secrets):
    staff_page.goto(PAGES[0])

    text = staff_page.inner_text("body")
    assert SECRET in text
    assert RESET_LINK not in text and staff_page.locator('[data-arguments="encrypted"]').inner_text() == "encrypted"
