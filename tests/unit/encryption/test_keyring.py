"""The keyring seals arguments, opens them with any of its keys, and refuses anything else."""

import pytest

from scalejobs.encryption.engine import HIDDEN, SEALED, Keyring, redact_traceback, sealed_token
from scalejobs.errors import UndecryptableArguments

OLD = "old-secret-" + "a" * 40
NEW = "new-secret-" + "b" * 40


def test_sealed_arguments_come_back_equal_and_the_token_shows_none_of_them():
    token = Keyring([OLD]).seal(["card 4242", 7], {"note": "für Ada"})

    assert "4242" not in token and "Ada" not in token
    assert Keyring([OLD]).unseal(token) == (("card 4242", 7), {"note": "für Ada"})


def test_a_token_sealed_under_the_old_key_opens_after_rotation_and_new_tokens_use_the_new_key():
    old_token = Keyring([OLD]).seal(["x"], {})
    rotated = Keyring([NEW, OLD])

    assert rotated.unseal(old_token) == (("x",), {})
    assert Keyring([NEW]).unseal(rotated.seal(["y"], {})) == (("y",), {})


def test_a_token_no_key_opens_raises_undecryptable_arguments_naming_the_setting():
    token = Keyring([OLD]).seal(["x"], {})

    with pytest.raises(UndecryptableArguments, match=r"^job: no key in SCALEJOBS\['ENCRYPTION'\]\['KEYS'\]"):
        Keyring([NEW]).unseal(token, actor="job")


@pytest.mark.parametrize("token", ["", "not a token", 42, None, "gAAAAA" + "A" * 80])
def test_garbage_and_tampered_tokens_are_undecryptable(token):
    with pytest.raises(UndecryptableArguments):
        Keyring([OLD]).unseal(token)


def test_a_tampered_token_is_refused():
    token = Keyring([OLD]).seal(["amount", 10], {})
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]

    with pytest.raises(UndecryptableArguments):
        Keyring([OLD]).unseal(tampered)


def test_digests_are_stable_per_first_key_and_differ_between_keys():
    assert Keyring([OLD]).digest("tenant-1") == Keyring([OLD, NEW]).digest("tenant-1")
    assert Keyring([OLD]).digest("tenant-1") != Keyring([NEW]).digest("tenant-1")
    assert "tenant" not in Keyring([OLD]).digest("tenant-1")


def test_only_the_one_sealed_keyword_marks_stored_arguments_as_sealed():
    assert sealed_token({SEALED: "abc"}) == "abc"
    assert sealed_token({SEALED: 5}) == ""
    assert sealed_token({SEALED: "abc", "other": 1}) is None
    assert sealed_token({"x": 1}) is None


def test_a_redacted_traceback_keeps_frames_and_types_and_drops_every_exception_message():
    text = (
        "Traceback (most recent call last):\n"
        '  File "jobs.py", line 3, in charge\n'
        "    send(to)\n"
        "smtplib.SMTPRecipientsRefused: {'victim@example.com': (550, b'no')}\n"
        "\n"
        "During handling of the above exception, another exception occurred:\n"
        "\n"
        "ValueError: cannot charge victim@example.com"
    )

    assert redact_traceback(text) == (
        "Traceback (most recent call last):\n"
        '  File "jobs.py", line 3, in charge\n'
        "    send(to)\n"
        f"smtplib.SMTPRecipientsRefused: {HIDDEN}\n"
        "\n"
        "During handling of the above exception, another exception occurred:\n"
        "\n"
        f"ValueError: {HIDDEN}"
    )
