"""Worker settings for the protection system tests.

``SCALEJOBS["PROTECTION"]`` is the test settings' section updated with the
JSON in ``$SCALEJOBS_TEST_PROTECTION``, so each test tunes its workers.
"""

import json
import os

from tests.settings import *  # noqa: F403
from tests.settings import SCALEJOBS

SCALEJOBS = {
    **SCALEJOBS,
    "PROTECTION": {**SCALEJOBS.get("PROTECTION", {}), **json.loads(os.environ.get("SCALEJOBS_TEST_PROTECTION", "{}"))},
}
