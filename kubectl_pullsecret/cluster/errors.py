"""The errors of the cluster side: each message is one line, safe to print."""

from __future__ import annotations

from kubectl_pullsecret.errors import CommandError


class KubeError(CommandError):
    """The cluster cannot be reached or read (exit 2)."""


class ApiStatusError(KubeError):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class Forbidden(ApiStatusError):
    pass


class NotFound(ApiStatusError):
    pass


class Expired(ApiStatusError):
    pass
