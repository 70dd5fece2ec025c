"""Credentials beyond the Pod's secrets: node credential providers and KEP-4412 tokens."""

from __future__ import annotations

import pytest

from kubectl_pullsecret.kubelet.credential_providers import provider_for, provider_outlook
from kubectl_pullsecret.kubelet.versions import Gate, rules_for


@pytest.mark.parametrize(
    ("domain", "provider"),
    [
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "Amazon ECR"),
        ("gcr.io", "Google Container Registry"),
        ("europe-docker.pkg.dev", "Google Artifact Registry"),
        ("myregistry.azurecr.io", "Azure Container Registry"),
        ("quay.io", None),
        ("registry.local:5000", None),
    ],
)
def test_cloud_registries(domain: str, provider: str | None) -> None:
    assert provider_for(domain) == provider


def test_a_cloud_registry_may_be_served_on_any_kubelet() -> None:
    # MakeDockerKeyring(pullSecrets, UnionDockerKeyring{nodeKeyring, providers}): the node's
    # providers are consulted after the secrets, whatever the version.
    outlook = provider_outlook(rules_for("v1.20.2"), "myregistry.azurecr.io")
    assert outlook.may_serve and outlook.cloud_registry == "Azure Container Registry"
    assert not outlook.service_account_provider_possible


def test_kep_4412_needs_the_gate_and_an_identity_annotation() -> None:
    # KEP-4412: a provider with requiredServiceAccountAnnotationKeys is not invoked when the
    # ServiceAccount lacks them; kube_features: alpha 1.33 (off), beta 1.34 (on).
    annotations = {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/pull", "other": "x"}
    on = provider_outlook(rules_for("v1.34.1"), "registry.example.com", annotations)
    assert on.service_account_tokens is Gate.ON
    assert on.identity_annotations == ("eks.amazonaws.com/role-arn",)
    assert on.may_serve and on.cloud_registry is None
    alpha = provider_outlook(rules_for("v1.33.0"), "registry.example.com", annotations)
    assert alpha.service_account_tokens is Gate.OFF and alpha.may_serve  # if an admin enabled it
    old = provider_outlook(rules_for("v1.32.4"), "registry.example.com", annotations)
    assert not old.may_serve
    bare = provider_outlook(rules_for("v1.35.0"), "registry.example.com", {"other": "x"})
    assert not bare.may_serve


def test_annotation_values_must_be_non_empty_strings() -> None:
    hostile = {"iam.gke.io/gcp-service-account": "", "azure.workload.identity/client-id": 5}
    outlook = provider_outlook(rules_for("v1.35.0"), "r.example.com", hostile)
    assert outlook.identity_annotations == ()
    custom = provider_outlook(
        rules_for("v1.35.0"), "r.example.com", {"corp.io/pull": "yes"}, ("corp.io/pull",)
    )
    assert custom.may_serve
