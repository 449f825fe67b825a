"""A sealed job's unique lock and throttle scopes come from its clear arguments, stored only as keyed digests."""

from __future__ import annotations

import dramatiq

from scalejobs.encryption import keyring
from scalejobs.encryption.message import SealedMessage
from scalejobs.throttle.admission import SCOPES, claims_of
from scalejobs.throttle.middleware import Throttle
from scalejobs.unique.locks import message_identity
from scalejobs.unique.policy import unique_policy
from tests.testapp.encryption_tasks import sealed_throttled, sealed_unique


def stored(message: SealedMessage) -> dramatiq.MessageProxy:
    """Return ``message`` as a worker reads it back from Redis."""
    return dramatiq.MessageProxy(dramatiq.Message.decode(message.encode()))


def test_a_sealed_jobs_throttle_scope_is_a_keyed_digest_of_its_key_and_equal_keys_share_it(broker):
    throttle = Throttle()
    first, second, other = (sealed_throttled.message_with_options(args=(tenant,)) for tenant in ("acme", "acme", "globex"))
    for message in (first, second, other):
        throttle.before_enqueue(broker, message, None)
    limiters = throttle.admissions.policy(broker, first)

    [claim] = claims_of(stored(first), limiters)

    assert first.options[SCOPES] == [keyring().digest("tenant-acme")]
    assert claim.scope == f"sealed:{keyring().digest('tenant-acme')}" and "acme" not in claim.scope
    assert claims_of(stored(second), limiters) == (claim,)
    assert claims_of(stored(other), limiters) != (claim,)


def test_a_sealed_unique_jobs_lock_is_a_keyed_digest_and_its_label_names_no_argument():
    policy = unique_policy("sealed_unique", sealed_unique.options)
    message = sealed_unique.message_with_options(args=("ada@example.com",))

    digest, label = message_identity(policy, message)

    assert label == "sealed_unique: encrypted arguments"
    assert digest == message_identity(policy, sealed_unique.message_with_options(args=("ada@example.com",)))[0]
    assert digest != message_identity(policy, sealed_unique.message_with_options(args=("bob@example.com",)))[0]
