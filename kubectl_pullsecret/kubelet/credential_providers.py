"""Credentials the kubelet finds beyond the Pod's secrets: the node's docker config, then kubelet
credential provider plugins. A client-side tool sees neither; it can only know which registries
usually rely on providers, and whether the Pod's ServiceAccount looks set up for them.

The order (image_manager.go makeLookupPullCredentialsFunc; secrets.go MakeDockerKeyring):
`MakeDockerKeyring(pullSecrets, UnionDockerKeyring{nodeKeyring, externalCredentialProviderKeyring})`
puts the Pod's secrets first, then the node's credentials, then the providers'; kuberuntime
PullImage tries every match in that order until one works. So a wrong secret does not stop the
node's or a provider's credentials being tried after it, and a Pod without secrets may still
pull where a provider serves the registry. Anonymous is tried only when nothing matched.

KEP-4412 (KubeletServiceAccountTokenForCredentialProviders, alpha 1.33, beta on 1.34): a
provider configured with `tokenAttributes` gets the Pod's ServiceAccount token and the
ServiceAccount annotations it names. "If any of the keys defined in [requiredServiceAccount
AnnotationKeys] are not present in the service account, kubelet will not invoke the plugin";
the image manager ignores lookup errors (`pullCredentials, _ := keyring.Lookup(repoToPull)`),
so the pull then goes on without those credentials and the registry's auth error is what shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kubectl_pullsecret.kubelet.versions import Gate, KubeletRules

# Registries whose nodes usually authenticate through kubelet credential providers.
_PROVIDERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^[0-9]+\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$"), "Amazon ECR"),
    (re.compile(r"(^|\.)gcr\.io$"), "Google Container Registry"),
    (re.compile(r"-docker\.pkg\.dev$"), "Google Artifact Registry"),
    (re.compile(r"\.azurecr\.(io|cn|de|us)$"), "Azure Container Registry"),
)

# Workload-identity annotations cloud setups put on ServiceAccounts: the kind of key a KEP-4412
# provider's config requires. The config itself lives on the node; a client cannot read it.
IDENTITY_ANNOTATIONS = (
    "eks.amazonaws.com/role-arn",  # EKS IAM roles for service accounts
    "azure.workload.identity/client-id",  # Azure Workload Identity
    "iam.gke.io/gcp-service-account",  # GKE Workload Identity
)


def provider_for(domain: str) -> str | None:
    """The cloud registry a credential provider usually serves for this image domain."""
    host = domain.rsplit(":", 1)[0] if not domain.endswith("]") else domain
    return next((name for pattern, name in _PROVIDERS if pattern.search(host)), None)


@dataclass(frozen=True)
class ProviderOutlook:
    """Whether credentials beyond the Pod's secrets may serve an image on this kubelet.

    `cloud_registry`: the registry family a node-wide credential provider usually serves (any
    kubelet). `service_account_tokens`: the KEP-4412 gate on this kubelet. `identity_annotations`:
    the ServiceAccount's annotations of the kind such a provider requires.
    """

    cloud_registry: str | None
    service_account_tokens: Gate
    identity_annotations: tuple[str, ...] = ()

    @property
    def service_account_provider_possible(self) -> bool:
        """A KEP-4412 provider may serve this Pod through its ServiceAccount's identity."""
        return self.service_account_tokens.possible and bool(self.identity_annotations)

    @property
    def may_serve(self) -> bool:
        """The Pod may pull without secrets: never say it cannot."""
        return self.cloud_registry is not None or self.service_account_provider_possible


def provider_outlook(
    rules: KubeletRules,
    domain: str,
    service_account_annotations: Mapping[str, object] | None = None,
    required_keys: tuple[str, ...] = IDENTITY_ANNOTATIONS,
) -> ProviderOutlook:
    """What a client can say about provider credentials for `domain` and this ServiceAccount.

    Pass the ServiceAccount's `metadata.annotations`; `required_keys` are the annotation keys
    to look for (the well-known workload-identity ones unless the node's provider config is
    known). Only keys with a non-empty string value count.
    """
    annotations = service_account_annotations or {}
    present = tuple(
        key for key in required_keys if isinstance(annotations.get(key), str) and annotations[key]
    )
    return ProviderOutlook(provider_for(domain), rules.service_account_token_providers, present)
