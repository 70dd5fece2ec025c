"""Kubernetes objects from local files, as `kubectl apply -f` would send them. Pure: bytes in."""

from __future__ import annotations

import re
from typing import Any

from kubectl_pullsecret.cluster.objects import decode_secret_data
from kubectl_pullsecret.kubelet.docker_config import (
    PULL_SECRET_TYPES,
    DecodedSecret,
    decode_config_file,
    decode_secret,
)


def decode_credentials_file(raw: bytes) -> DecodedSecret:
    """A file for `check --file`: a docker config.json, a legacy .dockercfg map, or a Secret
    manifest (YAML or JSON, `data` or `stringData`), decoded as the kubelet would."""
    decoded = decode_config_file(raw)
    if decoded is not None:
        return decoded
    manifest = _load_manifest(raw)
    if manifest is None:
        return DecodedSecret(
            "file", None, used=True, error="neither JSON nor a YAML Secret manifest"
        )
    return decode_secret_manifest(manifest)


def _load_manifest(raw: bytes) -> dict[str, Any] | None:
    import json

    import yaml

    text = raw.decode("utf-8", "replace")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        try:
            document = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError, TypeError, RecursionError):
            # PyYAML raises plain ValueError for impossible dates and the like.
            return None
    return document if isinstance(document, dict) and "kind" in document else None


def decode_secret_manifest(manifest: dict[str, Any]) -> DecodedSecret:
    """A Secret manifest as the API server would store it, decoded as the kubelet would."""
    if manifest.get("kind") != "Secret":
        return DecodedSecret(
            "file", None, used=True, error=f"a {manifest.get('kind')!s:.40} manifest, not a Secret"
        )
    data, broken = decode_secret_data(
        manifest.get("data") if isinstance(manifest.get("data"), dict) else {}
    )
    secret_type = manifest.get("type") if isinstance(manifest.get("type"), str) else "Opaque"
    string_data = manifest.get("stringData")
    if isinstance(string_data, dict):  # the API server merges stringData over data
        for key, value in string_data.items():
            # The API server refuses anything but strings; never str() it (an alias bomb).
            if not isinstance(value, str):
                return DecodedSecret(
                    secret_type,
                    str(key)[:60],
                    used=True,
                    error=f"stringData[{str(key)[:60]!r}] is not a string",
                )
            data[str(key)] = value.encode("utf-8", "surrogateescape")
    key = PULL_SECRET_TYPES.get(secret_type)
    if key in broken and key not in data:
        return DecodedSecret(
            secret_type, key, used=True, error=f"the {key} value is not valid base64"
        )
    return decode_secret(secret_type, data)


def sensitive_file_values(raw: bytes) -> list[str]:
    """Values in a local config that look like secret material: never echo them."""
    text = raw.decode("utf-8", "replace")
    return re.findall(
        r'"(?:auth|password|identitytoken|registrytoken|\.dockerconfigjson|\.dockercfg)"\s*:\s*"([^"]+)"',
        text,
        re.I,
    ) + re.findall(
        r"(?m)^\s*(?:\.dockerconfigjson|\.dockercfg|password|auth):\s*['\"]?([^'\"\s]+)", text
    )
