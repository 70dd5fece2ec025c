"""The runtime errors the genuine current node wrote, for suites that write the kubelet's
events and statuses themselves (Cluster.simulate_pull_failure).

Each is what kubelet 1.37.2 on containerd 2.4.2 (tools/current-node.env) put in its `Failed to
pull image "<image>": <error>` event and waiting message, with the image and registry
substituted; the scenario of tests/node/test_scenarios.py that produced it is named. The kubelet
strips the gRPC `Unknown` prefix since 1.28 and keeps the others (`code = NotFound`).
containerd 2's transfer-service pull says `failed to resolve image:` where 1.6 said `failed to
resolve reference "<ref>":`. Importable without pytest.
"""

from __future__ import annotations

DOCKER_HUB_API = "registry-1.docker.io"


def full_ref(image: str) -> str:
    """The image as containerd names it in its errors: normalized, with its tag."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        name = image
    elif rest:
        name = f"docker.io/{image}"
    else:
        name = f"docker.io/library/{image}"
    last = name.rsplit("/", 1)[-1]
    return name if (":" in last or "@" in last) else f"{name}:latest"


def split_ref(ref: str) -> tuple[str, str, str]:
    """(host, path, tag) of a full reference."""
    host, _, rest = ref.partition("/")
    path, _, tag = rest.rpartition(":")
    return host, path, tag


def refused(image: str) -> str:
    """Credentials sent, and the Basic-auth registry refused them (wrong-password)."""
    ref = full_ref(image)
    host, path, tag = split_ref(ref)
    host = DOCKER_HUB_API if host == "docker.io" else host
    return (
        f'failed to pull and unpack image "{ref}": failed to resolve image: unexpected status '
        f"from HEAD request to https://{host}/v2/{path}/manifests/{tag}: 401 Unauthorized"
    )


def anonymous_refused(image: str) -> str:
    """No credentials, and the Basic-auth registry asked for some (other-registry)."""
    return (
        f'failed to pull and unpack image "{full_ref(image)}": failed to resolve image: pull '
        "access denied, repository does not exist or may require authorization: authorization "
        "failed: no basic auth credentials"
    )


def anonymous_denied(image: str) -> str:
    """No credentials, and the token registry's anonymous token may not pull
    (token-anonymous); Docker Hub says the same for a private or missing repository."""
    return (
        f'failed to pull and unpack image "{full_ref(image)}": failed to resolve image: pull '
        "access denied, repository does not exist or may require authorization: server message: "
        "insufficient_scope: authorization failed"
    )


def not_found(image: str) -> str:
    """The registry has no such tag or repository (missing-tag, missing-repo)."""
    ref = full_ref(image)
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed to '
        f"resolve image: {ref}: not found"
    )
