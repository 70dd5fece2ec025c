"""Rendering: what reaches the terminal."""

from kubectl_pullsecret.render import terminal_safe


def test_terminal_safe_neutralizes_escapes_and_bidi() -> None:
    assert terminal_safe("a\x1b[2Jb\u202ec\x00") == "a?[2Jb?c?"
    assert terminal_safe("\udcff") == "\ufffd"
