"""What may be shown: hostile text scrubbed, remembered secret values masked."""

import pytest

from kubectl_pullsecret import secrecy
from kubectl_pullsecret.secrecy import scrub


def test_scrub_masks_credentials_and_controls() -> None:
    text = scrub(
        'pull https://bob:hunter22@r.io/v2/ "password": "pw123456" Authorization: Bearer abcdefghijkl \x1b[31mred\n'
    )
    assert "hunter22" not in text and "pw123456" not in text and "abcdefghijkl" not in text
    assert "\x1b" not in text and "\n" not in text
    assert len(scrub("x" * 1000)) == 400


def test_redactor_masks_remembered_values() -> None:
    secrecy.remember(["Sup3r-Secret-Value", "abc"])
    assert secrecy.redact("x Sup3r-Secret-Value y abc") == "x <redacted> y abc"


def test_scrub_masks_remembered_values_in_free_text() -> None:
    secrecy.remember(["Rem3mbered-pw"])
    assert scrub("registry said: bad password Rem3mbered-pw") == (
        "registry said: bad password <redacted>"
    )


def test_public_values_are_never_masked_inside() -> None:
    """A password that is also a word of a public value: masking it there would name it."""
    secrecy.remember(["registry", "wrong-password"])
    image = "private-registry.io/apps/internal-app:1"
    message = f'failed to pull "{image}": 401 for user robot:registry@host, c-wrong-password'
    scrubbed = scrub(message, public=(image, "c-wrong-password"))
    assert image in scrubbed and "c-wrong-password" in scrubbed
    assert "robot:<redacted>@host" in scrubbed  # outside the public values: still masked
    assert secrecy.redact(message) == (
        'failed to pull "private-<redacted>.io/apps/internal-app:1": 401 for user '
        "robot:<redacted>@host, c-<redacted>"
    )


def test_a_public_value_protects_only_what_it_contains() -> None:
    secrecy.remember(["io/apps-secret"])
    # The remembered value starts inside the public host but runs past it: masked.
    assert secrecy.redact("x.io/apps-secret", public=("x.io",)) == "x.<redacted>"


@pytest.mark.parametrize(
    "text",
    [
        # containerd 1.6.20 on tests/node's real node, token registry, no and wrong credentials
        "pull access denied, repository does not exist or may require authorization: server "
        "message: insufficient_scope: authorization failed",
        "failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized",
        "server message: invalid_token: authorization failed",
    ],
)
def test_the_runtimes_own_words_stay_readable(text: str) -> None:
    assert scrub(text) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('{"auth": "dXNlcjpwYXNz"}', '{"auth": <redacted>}'),
        ("GET /token?access_token=abc&scope=x", "GET /token?access_token=<redacted>&scope=x"),
        ("token: eyJhbGciOiJIUzI1NiJ9", "token: <redacted>"),
        ("password: hunter2", "password: <redacted>"),
        ("token: averyveryverylongtokenwithoutdigits", "token: <redacted>"),
    ],
)
def test_credential_shaped_values_are_masked_without_being_remembered(
    text: str, shown: str
) -> None:
    assert scrub(text) == shown
