"""Real credentials with an end, made in the tests: RS256 JWTs signed with a test key, as ACR
and token servers issue them, and ECR-shaped authorization tokens (base64 of the JSON that
`aws ecr get-login-password` returns, with `expiration`)."""

from __future__ import annotations

import base64
import json
import secrets
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.support.pki import new_key

_KEY = new_key("rsa")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt(expires_in: float | None = 3600.0, **claims: object) -> str:
    """An RS256 JWT whose `exp` lies `expires_in` seconds from now (no exp when None)."""
    now = int(time.time())
    payload: dict[str, object] = {
        "iss": "test-token-server",
        "sub": "robot",
        "iat": now,
        "jti": secrets.token_hex(8),
    }
    if expires_in is not None:
        payload["exp"] = int(now + expires_in)
    payload.update(claims)
    header = {"alg": "RS256", "typ": "JWT", "kid": "test"}
    signing_input = (
        f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(payload).encode())}"
    )
    signature = _KEY.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def ecr_token(expires_in: float = 12 * 3600.0) -> str:
    """What `aws ecr get-login-password` prints: base64 of JSON with an epoch `expiration`."""
    document = {
        "payload": base64.b64encode(secrets.token_bytes(96)).decode(),
        "datakey": base64.b64encode(secrets.token_bytes(48)).decode(),
        "version": "2",
        "type": "DATA_KEY",
        "expiration": int(time.time() + expires_in),
    }
    return base64.b64encode(json.dumps(document).encode()).decode()
