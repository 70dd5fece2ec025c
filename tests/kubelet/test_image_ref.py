"""Image normalization as the kubelet does it (distribution/reference ParseNormalizedNamed)."""

import pytest

from kubectl_pullsecret.kubelet.image_ref import InvalidImageName, parse_image

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("image", "repository", "tag", "digest"),
    [
        ("nginx", "docker.io/library/nginx", None, None),
        ("nginx:1.25", "docker.io/library/nginx", "1.25", None),
        ("registry-user/app:v1", "docker.io/registry-user/app", "v1", None),
        ("janedoe/app", "docker.io/janedoe/app", None, None),
        ("docker.io/nginx", "docker.io/library/nginx", None, None),
        ("index.docker.io/nginx", "docker.io/library/nginx", None, None),
        ("index.docker.io/janedoe/app", "docker.io/janedoe/app", None, None),
        (
            "private-registry.io/apps/internal-app",
            "private-registry.io/apps/internal-app",
            None,
            None,
        ),
        ("registry.local:5000/team/app:v2", "registry.local:5000/team/app", "v2", None),
        ("localhost/app", "localhost/app", None, None),
        ("localhost:5000/x", "localhost:5000/x", None, None),
        ("[::1]:5000/x", "[::1]:5000/x", None, None),
        ("[2001:db8::1]/team/app", "[2001:db8::1]/team/app", None, None),
        (f"nginx@{DIGEST}", "docker.io/library/nginx", None, DIGEST),
        (f"quay.io/org/app:v1@{DIGEST}", "quay.io/org/app", "v1", DIGEST),
        # An uppercase first component is a domain, per the reference code.
        ("Registry/app", "Registry/app", None, None),
        ("foo_bar/a__b/c-d.e", "docker.io/foo_bar/a__b/c-d.e", None, None),
        ("gcr.io/project/image:tag_with.dots-1", "gcr.io/project/image", "tag_with.dots-1", None),
    ],
)
def test_normalizes_like_the_kubelet(
    image: str, repository: str, tag: str | None, digest: str | None
) -> None:
    ref = parse_image(image)
    assert (ref.repository, ref.tag, ref.digest) == (repository, tag, digest)


def test_reference_defaults_to_latest_and_prefers_digest() -> None:
    assert parse_image("nginx").reference == "latest"
    assert parse_image(f"nginx:1@{DIGEST}").reference == DIGEST


@pytest.mark.parametrize(
    "image",
    [
        "",
        "Nginx",
        "docker.io/Library/nginx",
        "registry.io/App",
        "nginx:",
        "nginx::1",
        ":latest",
        "/nginx",
        "nginx/",
        "a//b",
        "nginx@sha256:abc",  # too short
        "nginx@sha256:" + "A" * 64,  # uppercase hex
        "nginx@md5:" + "a" * 32,  # unavailable algorithm
        "a" * 64,  # a bare 64-hex identifier
        "registry.io:port/app",
        "registry.io/app:" + "t" * 129,
        "x/" + "a" * 300,
        "nginx latest",
        "-registry.io/app",
    ],
)
def test_rejects_what_the_kubelet_rejects(image: str) -> None:
    with pytest.raises(InvalidImageName):
        parse_image(image)


# The 255-character limit by kubelet version: docker/distribution (<= 1.28) and
# distribution/reference v0.5.0 (1.29-1.31) check `len(matches[1])`, domain and path together;
# v0.6.0 (kubelet 1.32+) checks `len(repo.path)` (reference.go Parse at v0.5.0 vs v0.6.0).
LONG_DOMAIN = "registry." + "sub." * 20 + "example.com"  # 100 characters
PATH_200 = "team/" + "a" * 195


def test_a_long_domain_counts_only_before_1_32() -> None:
    image = f"{LONG_DOMAIN}/{PATH_200}:v1"
    assert len(f"{LONG_DOMAIN}/{PATH_200}") > 255
    assert parse_image(image).path == PATH_200  # newest rule: the path only
    with pytest.raises(InvalidImageName, match="not be more than 255 characters"):
        parse_image(image, length_counts_domain=True)


def test_the_normalized_docker_hub_prefix_counts_before_1_32() -> None:
    # ParseNormalizedNamed parses "docker.io/library/<name>", so the old rule counts that prefix.
    name = "a" * 240
    assert parse_image(name).path == f"library/{name}"
    with pytest.raises(InvalidImageName):
        parse_image(name, length_counts_domain=True)


@pytest.mark.parametrize("length_counts_domain", [False, True])
def test_a_path_over_255_is_rejected_by_every_kubelet(length_counts_domain: bool) -> None:
    with pytest.raises(InvalidImageName):
        parse_image("quay.io/" + "a" * 256, length_counts_domain=length_counts_domain)
    assert parse_image("quay.io/" + "a" * 200, length_counts_domain=length_counts_domain)
