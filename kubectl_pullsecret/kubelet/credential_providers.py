"""Credentials the kubelet finds beyond the Pod's secrets (pkg/kubelet/images, secrets.go
MakeDockerKeyring): the node's docker config, then kubelet credential provider plugins. A
client-side tool sees neither; it can only know which registries usually rely on providers."""

from __future__ import annotations

import re

# Registries whose nodes usually authenticate through kubelet credential providers.
_PROVIDERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^[0-9]+\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$"), "Amazon ECR"),
    (re.compile(r"(^|\.)gcr\.io$"), "Google Container Registry"),
    (re.compile(r"-docker\.pkg\.dev$"), "Google Artifact Registry"),
    (re.compile(r"\.azurecr\.(io|cn|de|us)$"), "Azure Container Registry"),
)


def provider_for(domain: str) -> str | None:
    """The cloud registry a credential provider usually serves for this image domain."""
    host = domain.rsplit(":", 1)[0] if not domain.endswith("]") else domain
    return next((name for pattern, name in _PROVIDERS if pattern.search(host)), None)
