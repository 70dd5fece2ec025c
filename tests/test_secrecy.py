"""What may be shown: hostile text scrubbed, remembered secret values masked."""

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
