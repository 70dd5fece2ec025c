"""Which kubelet a verdict assumes, and each rule that differs by version.

Every rule is checked on both sides of the release where it starts; the case tables name the
source of that release (a CHANGELOG entry, a PR, kube_features.go rows, or a genuine node).
"""

from __future__ import annotations

import pytest

from kubectl_pullsecret.kubelet.versions import (
    NEWEST,
    Basis,
    Gate,
    KubeletRules,
    Runtime,
    Version,
    parse_runtime,
    parse_server_version,
    parse_version,
    rules_for,
    rules_given,
)


def rules(kubelet: str, runtime: str = "") -> KubeletRules:
    return rules_for(kubelet, runtime or None)


# -- parsing what nodes and servers report ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v1.29.3-eks-ae9a62a", Version(1, 29, 3)),  # EKS nodeInfo.kubeletVersion
        ("v1.33.1+k3s1", Version(1, 33, 1)),  # k3s
        ("v1.20.2", Version(1, 20, 2)),  # the genuine node of real-node.md
        ("v1.30.5-gke.1014001", Version(1, 30, 5)),  # GKE
        ("v1.28.3+rke2r1", Version(1, 28, 3)),  # RKE2
        ("v1.31.0-alpha.1", Version(1, 31, 0)),  # a pre-release build
        ("1.7.27", Version(1, 7, 27)),  # a runtime version without "v"
        ("1.6.20~ds1", Version(1, 6, 20)),  # Debian's containerd build suffix
        ("v1.28", Version(1, 28, 0)),
    ],
)
def test_parses_versions_nodes_report(text: str, expected: Version) -> None:
    assert parse_version(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "latest",
        "v1",
        "vx.y.z",
        "1.29.3 ; rm -rf",
        "1.29.3\x1b[31m",
        None,
        129,
        "1.2.3-" + "x" * 200,
    ],
)
def test_rejects_anything_else(text: object) -> None:
    assert parse_version(text) is None


def test_trims_surrounding_whitespace_only() -> None:
    assert parse_version(" v1.29.3\n") == Version(1, 29, 3)
    assert parse_version("v1.29.3 x") is None


@pytest.mark.parametrize(
    ("text", "runtime", "version"),
    [
        ("containerd://1.7.27", Runtime.CONTAINERD, Version(1, 7, 27)),
        ("containerd://2.1.4", Runtime.CONTAINERD, Version(2, 1, 4)),
        ("containerd://1.6.20~ds1", Runtime.CONTAINERD, Version(1, 6, 20)),
        ("cri-o://1.36.0", Runtime.CRIO, Version(1, 36, 0)),
        ("docker://20.10.7", Runtime.DOCKER, Version(20, 10, 7)),
        ("remote://1.0.0", Runtime.OTHER, Version(1, 0, 0)),
        ("containerd://", Runtime.CONTAINERD, None),
        ("", Runtime.UNKNOWN, None),
        ("containerd 1.7", Runtime.UNKNOWN, None),
        (None, Runtime.UNKNOWN, None),
    ],
)
def test_parses_container_runtime_versions(
    text: object, runtime: Runtime, version: Version | None
) -> None:
    info = parse_runtime(text)
    assert (info.runtime, info.version) == (runtime, version)


def test_server_version_from_git_version_or_major_minor() -> None:
    assert parse_server_version({"gitVersion": "v1.32.4-eks-1234"}) == Version(1, 32, 4)
    # EKS and GKE report minor "29+" (kubectl version -o json of such clusters).
    assert parse_server_version({"major": "1", "minor": "29+"}) == Version(1, 29, 0)
    assert parse_server_version({"gitVersion": 7, "major": 1}) is None


# -- which version applies ------------------------------------------------------------------


def test_the_nodes_version_comes_first() -> None:
    found = rules_for("v1.29.3-eks-ae9a62a", "containerd://1.7.27", "v1.33.0")
    assert (found.kubelet, found.basis) == (Version(1, 29, 3), Basis.NODE)
    assert found.runtime.runtime is Runtime.CONTAINERD
    assert found.as_dict() == {
        "kubeletVersion": "v1.29.3-eks-ae9a62a",
        "kubeletVersionSource": "node",
        "runtime": "containerd",
        "runtimeVersion": "1.7.27",
    }
    assert found.describe() == "kubelet v1.29.3-eks-ae9a62a (from the node), containerd 1.7.27"


def test_falls_back_to_the_server_then_to_the_newest() -> None:
    # Node forbidden or Pod unscheduled: the server's version, saying it is an assumption.
    server = rules_for(None, None, {"gitVersion": "v1.31.2+k3s1", "major": "1", "minor": "31"})
    assert (server.kubelet, server.basis) == (Version(1, 31, 2), Basis.SERVER)
    assert "assumed from the API server" in server.describe()
    assert server.runtime.runtime is Runtime.UNKNOWN
    nothing = rules_for(None, None, None)
    assert (nothing.kubelet, nothing.basis) == (NEWEST, Basis.DEFAULT)
    assert rules_for("garbage", None, "v1.30.1").basis is Basis.SERVER
    assert KubeletRules() == nothing  # the default value is the newest kubelet


def test_a_version_the_user_names() -> None:
    # `check` without a cluster takes --kubelet-version (issue 12); unparsable is an error.
    given = rules_given("1.29", "cri-o://1.29.1")
    assert given is not None
    assert (given.kubelet, given.basis, given.runtime.runtime) == (
        Version(1, 29, 0),
        Basis.GIVEN,
        Runtime.CRIO,
    )
    assert given.describe() == "kubelet 1.29 (as given), cri-o 1.29.1"
    assert rules_given("newest") is None


def test_the_newest_is_1_37() -> None:
    # Issue 20: "1.20 to 1.37"; `check` without a cluster defaults to the newest.
    assert Version(1, 37, 0) == NEWEST


# -- one rule at a time, on both sides of its release ----------------------------------------

# (rule, last version without it, first version with it, source)
BOOLEAN_RULES = [
    (
        "missing_secret_event",
        "v1.27.16",
        "v1.28.0",
        "PR #117927, CHANGELOG-1.28 'Added a new event FailedToRetrieveImagePullSecret'; "
        "absent on the genuine v1.20.2 node (real-node.md)",
    ),
    (
        "strips_unknown_grpc_prefix",
        "v1.27.16",
        "v1.28.0",
        "PR #117612, CHANGELOG-1.28; cri-client remote_image.go strips codes.Unknown",
    ),
    (
        "backoff_keeps_error",
        "v1.31.9",
        "v1.32.0",
        "PR #127918 (v1.32 release blog: the error goes into waiting.message)",
    ),
    (
        "credential_errors_as_reason",
        "v1.32.5",
        "v1.33.0",
        'image_manager.go EnsureImageExists: `return "", err.Error(), err` after '
        "lookupPullCredentials (KEP-2535/4412 rework, 1.33); 1.20.2 gave ErrImagePull",
    ),
]


@pytest.mark.parametrize(
    ("rule", "before", "since", "source"), BOOLEAN_RULES, ids=[r[0] for r in BOOLEAN_RULES]
)
def test_boolean_rules_start_where_their_source_says(
    rule: str, before: str, since: str, source: str
) -> None:
    assert source
    assert getattr(rules(before), rule) is False
    assert getattr(rules(since), rule) is True
    assert getattr(rules("v1.20.2"), rule) is False
    assert getattr(KubeletRules(), rule) is True


def test_name_length_counts_the_path_only_from_1_32() -> None:
    # distribution/reference v0.6.0 reference.go Parse: `len(repo.path)`; v0.5.0 (kubelet
    # 1.29-1.31, CHANGELOG-1.29 "Added github.com/distribution/reference v0.5.0") and
    # docker/distribution (<= 1.28) check `len(matches[1])`. Kubernetes took v0.6.0 in
    # v1.32.0-alpha.1 (CHANGELOG-1.32 dependencies "v0.5.0 -> v0.6.0").
    assert rules("v1.20.2").name_length_counts_domain is True
    assert rules("v1.31.9").name_length_counts_domain is True
    assert rules("v1.32.0").name_length_counts_domain is False
    assert KubeletRules().name_length_counts_domain is False


# (gate, {version: state}, source)
GATES = [
    (
        "ensure_secret_pulled_images",
        {"v1.32.9": Gate.ABSENT, "v1.33.0": Gate.OFF, "v1.34.2": Gate.OFF, "v1.35.0": Gate.ON},
        "kube_features.go KubeletEnsureSecretPulledImages {1.33 Alpha false} {1.35 Beta true}; "
        "PR #135228 'promoted to Beta and enabled by default'",
    ),
    (
        "image_volumes",
        {
            "v1.30.9": Gate.ABSENT,
            "v1.31.0": Gate.OFF,
            "v1.33.0": Gate.OFF,
            "v1.35.0": Gate.ON,
            "v1.36.0": Gate.GA,
        },
        "kube_features.go ImageVolume {1.31 Alpha false} {1.33 Beta false} {1.35 Beta true}; "
        "GA 1.36 per keps/sig-node/4639-oci-volume-source/kep.yaml",
    ),
    (
        "service_account_token_providers",
        {"v1.32.9": Gate.ABSENT, "v1.33.0": Gate.OFF, "v1.34.0": Gate.ON},
        "kube_features.go KubeletServiceAccountTokenForCredentialProviders {1.33 Alpha false} "
        "{1.34 Beta true}",
    ),
]


@pytest.mark.parametrize(("gate", "states", "source"), GATES, ids=[g[0] for g in GATES])
def test_feature_gates_by_release(gate: str, states: dict[str, Gate], source: str) -> None:
    assert source
    for version, state in states.items():
        assert getattr(rules(version), gate) is state, version
    assert getattr(rules("v1.20.2"), gate) is Gate.ABSENT


def test_gate_states_say_what_they_allow() -> None:
    assert not Gate.ABSENT.possible and not Gate.ABSENT.by_default
    assert Gate.OFF.possible and not Gate.OFF.by_default
    assert Gate.ON.by_default and Gate.GA.by_default


def test_missing_secret_event_is_failure_only_from_1_37() -> None:
    # kubernetes PR #138432, CHANGELOG-1.37 v1.37.0; a genuine 1.37.2 node wrote none for a
    # Running Pod whose secret is gone (tests/node/test_current_kubelet.py).
    assert rules("v1.20.2").missing_secret_event_on_every_sync is False
    assert rules("v1.29.0").missing_secret_event_on_every_sync is True
    assert rules("v1.36.1").missing_secret_event_on_every_sync is True
    later = rules("v1.37.2")
    assert later.missing_secret_event is True
    assert later.missing_secret_event_on_every_sync is False
    assert KubeletRules().missing_secret_event_on_every_sync is False


@pytest.mark.parametrize(
    ("kubelet", "runtime", "expected"),
    [
        # Only CRI-O returns the CRI error types: server/image_pull.go since v1.28.0
        # (`wrap(crierrors.ErrRegistryUnavailable)` on ECONNREFUSED); containerd has no use
        # of them (git grep on v2.3.4 empty). The kubelet reads them from 1.28 (evalCRIPullErr).
        ("v1.30.1", "cri-o://1.30.2", True),
        ("v1.30.1", "cri-o://1.27.4", False),
        ("v1.27.9", "cri-o://1.27.4", False),
        ("v1.30.1", "containerd://1.7.27", False),
        ("v1.35.0", "containerd://2.1.4", False),
        ("v1.30.1", "", True),  # runtime unknown: possible
        ("v1.26.0", "", False),
    ],
)
def test_registry_unavailable_reasons_need_cri_o_and_1_28(
    kubelet: str, runtime: str, expected: bool
) -> None:
    assert rules(kubelet, runtime).registry_unavailable_reasons is expected


@pytest.mark.parametrize(
    ("runtime", "seconds"),
    [
        # containerd v1.7.34 pkg/cri/config/config.go and v2.3.4 internal/cri/config/config.go:
        # image_pull_progress_timeout "5m"; v1.6.20 has no such setting (no "no progress in"
        # in pkg/cri). CRI-O pull_progress_timeout defaults to 0 (pkg/config/config.go).
        ("containerd://1.7.27", 300),
        ("containerd://2.0.5", 300),
        ("containerd://1.6.20", None),
        ("cri-o://1.35.0", None),
        ("", None),
    ],
)
def test_pull_progress_timeout_by_runtime(runtime: str, seconds: int | None) -> None:
    assert rules("v1.33.0", runtime).pull_progress_timeout_seconds == seconds
