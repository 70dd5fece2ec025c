"""Verdicts: the stable codes that scripts rely on (documented in README.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(str, Enum):
    SECRET_NOT_FOUND = "SecretNotFound"
    SECRET_WRONG_TYPE = "SecretWrongType"
    SECRET_MALFORMED = "SecretMalformed"
    SECRET_UNREADABLE = "SecretUnreadable"
    NO_PULL_SECRETS = "NoPullSecrets"
    NO_CREDENTIALS_FOR_REGISTRY = "NoCredentialsForRegistry"
    SERVICE_ACCOUNT_SECRETS_NOT_APPLIED = "ServiceAccountSecretsNotApplied"
    IMAGE_NOT_FOUND = "ImageNotFound"
    REGISTRY_UNREACHABLE = "RegistryUnreachable"
    RATE_LIMITED = "RateLimited"
    INVALID_IMAGE_NAME = "InvalidImageName"
    AUTH_FIELD_MISMATCH = "AuthFieldMismatch"
    NODE_CREDENTIALS_POSSIBLE = "NodeCredentialsPossible"
    # The kubelet offered credentials and the registry refused them (from its events), or
    # --verify saw a 401 at login or from the token server.
    CREDENTIALS_REJECTED = "CredentialsRejected"
    # --verify only.
    CREDENTIALS_VALID = "CredentialsValid"
    ACCESS_DENIED = "AccessDenied"
    ANONYMOUS_PULL_ALLOWED = "AnonymousPullAllowed"


@dataclass(frozen=True)
class Problem:
    code: Code
    severity: Severity
    message: str
    hint: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
        }
