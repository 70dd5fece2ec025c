"""The configuration files and command lines of a real node's containerd and kubelet, for each
release the suite runs (tests/support/node_versions.py): containerd 1.6's version 2 config and
kubelet 1.20's flags; containerd 2's version 3 config and a current kubelet's
KubeletConfiguration file. Also the node's own credential provider (the kubelet's exec
plugin protocol, credentialprovider.kubelet.k8s.io/v1). Text only: nothing here runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.node_versions import NodeRelease

CNI_BIN_DIR = Path("/usr/lib/cni")
# The pods' addresses: RFC 5737 TEST-NET-2, on a bridge inside the node's namespace only.
POD_SUBNET = "198.51.100.0/24"
CLUSTER_DNS = "10.0.0.10"  # in the service range; nothing answers it, and no pod looks up names
KUBELET_PORT, KUBELET_HEALTHZ_PORT = 10250, 10248
PROVIDER_NAME = "pullsecret-test-provider"
# Plugins this node has no use for, which only log errors at start.
_DISABLED_PLUGINS = (
    "io.containerd.snapshotter.v1.aufs",
    "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.devmapper",
    "io.containerd.snapshotter.v1.zfs",
    "io.containerd.tracing.processor.v1.otlp",
    "io.containerd.internal.v1.tracing",
)


@dataclass(frozen=True)
class NodePaths:
    """Where one node keeps its state: everything under its work folder."""

    workdir: Path

    @property
    def containerd(self) -> Path:
        return self.workdir / "containerd"

    @property
    def containerd_socket(self) -> Path:
        return self.containerd / "containerd.sock"

    @property
    def certs_d(self) -> Path:
        return self.containerd / "certs.d"

    @property
    def cni_conf_dir(self) -> Path:
        return self.workdir / "cni" / "net.d"

    @property
    def kubelet(self) -> Path:
        return self.workdir / "kubelet"

    @property
    def provider_bin_dir(self) -> Path:
        return self.kubelet / "credential-providers"

    @property
    def provider_config(self) -> Path:
        return self.kubelet / "credential-providers.json"

    @property
    def provider_credentials(self) -> Path:
        """What the test provider hands out, per matched image prefix (rewritable)."""
        return self.kubelet / "provider-credentials.json"


@dataclass(frozen=True)
class KubeletSettings:
    """What a test may change in a current kubelet's configuration (Node.restart_kubelet).

    `verification_policy`: imagePullCredentialsVerificationPolicy (KEP-2535), None for the
    release's default (NeverVerifyPreloadedImages from 1.35). `registry_pull_qps` and
    `registry_burst`: the kubelet's pull throttle (`pull QPS exceeded`), None for the defaults
    (5 and 10).
    """

    verification_policy: str | None = None
    registry_pull_qps: int | None = None
    registry_burst: int | None = None


# --------------------------------------------------------------------------------------------
# containerd


def containerd_config(release: NodeRelease, paths: NodePaths, pause_image: str) -> str:
    if release.containerd_2:
        return _containerd_2_config(release, paths, pause_image)
    return _containerd_1_config(paths, pause_image)


def _containerd_1_config(paths: NodePaths, pause_image: str) -> str:
    c = paths.containerd
    disabled = ",\n".join(f'  "{p}"' for p in _DISABLED_PLUGINS)
    return f"""version = 2
root = "{c / "root"}"
state = "{c / "state"}"
oom_score = 0
disabled_plugins = [
{disabled},
]

[grpc]
  address = "{paths.containerd_socket}"

[ttrpc]
  address = "{c / "containerd.sock.ttrpc"}"

[debug]
  level = "info"

[plugins."io.containerd.internal.v1.opt"]
  path = "{c / "opt"}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause_image}"
  stream_server_address = "127.0.0.1"
  # The VM's root lacks CAP_SYS_RESOURCE: runc cannot set the sandbox's oom_score_adj of -998
  # ("can't get final child's PID from pipe: EOF"). Clamp to containerd's own value instead.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "{paths.workdir / "runc"}"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN_DIR}"
    conf_dir = "{paths.cni_conf_dir}"

  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{paths.certs_d}"
"""


def _containerd_2_config(release: NodeRelease, paths: NodePaths, pause_image: str) -> str:
    """containerd 2's version 3 format: the CRI is three plugins (images, runtime, grpc).
    Registries come only from config_path (hosts.toml): any legacy registry setting would
    turn off the Transfer Service pull, which is 2.1's default and what people run."""
    c = paths.containerd
    disabled = ",\n".join(f'  "{p}"' for p in _DISABLED_PLUGINS)
    return f"""version = 3
root = "{c / "root"}"
state = "{c / "state"}"
oom_score = 0
disabled_plugins = [
{disabled},
]

[grpc]
  address = "{paths.containerd_socket}"

[ttrpc]
  address = "{c / "containerd.sock.ttrpc"}"

[debug]
  level = "info"

[plugins."io.containerd.internal.v1.opt"]
  path = "{c / "opt"}"

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"

  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "{pause_image}"

  [plugins."io.containerd.cri.v1.images".registry]
    config_path = "{paths.certs_d}"

[plugins."io.containerd.cri.v1.runtime"]
  # The VM's root lacks CAP_SYS_RESOURCE: runc cannot set the sandbox's oom_score_adj of -998.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  enable_selinux = false

  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"

    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "{release.command("runc")}"
        Root = "{paths.workdir / "runc"}"

  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["{CNI_BIN_DIR}"]
    conf_dir = "{paths.cni_conf_dir}"

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
"""


def hosts_toml(hostport: str, tls: bool, ca: Path | None) -> str:
    """One registry's hosts.toml, as containerd's docs/hosts.md writes it. Two traps met on
    containerd 1.6 (real-node.md, obstacle 3): a file without a [host] table is rejected and
    the registry is spoken to in plain http; with one, the server is tried twice, so the CA
    goes on both, or a 404 from the first try ends as the second's x509 error."""
    url = f"{'https' if tls else 'http'}://{hostport}"
    ca_line = f'ca = "{ca}"\n' if tls and ca else ""
    return (
        f'server = "{url}"\n{ca_line}\n'
        f'[host."{url}"]\n  capabilities = ["pull", "resolve"]\n'
        + (f"  {ca_line}" if ca_line else "")
    )


def cni_config(paths: NodePaths) -> str:
    return json.dumps(
        {
            "cniVersion": "0.4.0",
            "name": "realnode",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": "rn0",
                    # No gateway, no masquerading: nothing on the machine's side changes.
                    "isGateway": False,
                    "ipMasq": False,
                    "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": POD_SUBNET}]],
                        "dataDir": str(paths.workdir / "cni" / "ipam"),
                    },
                }
            ],
        },
        indent=2,
    )


# --------------------------------------------------------------------------------------------
# The kubelet


@dataclass(frozen=True)
class KubeletLaunch:
    """The kubelet's argv and, for a current kubelet, its configuration file's content."""

    argv: list[str]
    config: Mapping[str, Any] | None = None


def kubelet_launch(
    release: NodeRelease,
    paths: NodePaths,
    *,
    name: str,
    node_ip: str,
    kubeconfig: Path,
    resolv_conf: Path,
    pause_image: str,
    settings: KubeletSettings,
) -> KubeletLaunch:
    assert release.assets is not None
    k = paths.kubelet
    common = [
        str(release.assets / "kubelet"),
        f"--kubeconfig={kubeconfig}",
        f"--root-dir={k / 'root'}",
        f"--cert-dir={k / 'pki'}",
        f"--hostname-override={name}",
        f"--node-ip={node_ip}",
        "--v=2",
    ]
    if not release.config_file_kubelet:
        flags = _kubelet_1_20_flags(paths, node_ip, resolv_conf, pause_image)
        # 0 means no limit for both (kubelet 1.20's --registry-qps: "If 0, unlimited").
        if settings.registry_pull_qps is not None:
            flags.append(f"--registry-qps={settings.registry_pull_qps}")
        if settings.registry_burst is not None:
            flags.append(f"--registry-burst={settings.registry_burst}")
        return KubeletLaunch([*common, *flags])
    config = kubelet_configuration(paths, node_ip, resolv_conf, settings)
    return KubeletLaunch(
        [
            *common,
            f"--config={k / 'config.json'}",
            f"--image-credential-provider-config={paths.provider_config}",
            f"--image-credential-provider-bin-dir={paths.provider_bin_dir}",
        ],
        config,
    )


def _kubelet_1_20_flags(
    paths: NodePaths, node_ip: str, resolv_conf: Path, pause_image: str
) -> list[str]:
    k = paths.kubelet
    sock = paths.containerd_socket
    return [
        f"--volume-plugin-dir={k / 'volume-plugins'}",
        f"--seccomp-profile-root={k / 'root' / 'seccomp'}",
        "--container-runtime=remote",
        f"--container-runtime-endpoint=unix://{sock}",
        f"--containerd={sock}",
        "--runtime-request-timeout=2m",
        f"--pod-infra-container-image={pause_image}",
        "--fail-swap-on=false",
        # No QoS cgroups, no node allocatable: containerd's k8s.io cgroups only.
        "--cgroups-per-qos=false",
        "--enforce-node-allocatable=",
        "--cgroup-driver=cgroupfs",
        "--make-iptables-util-chains=false",
        f"--cluster-dns={CLUSTER_DNS}",
        "--cluster-domain=cluster.local",
        f"--resolv-conf={resolv_conf}",
        f"--address={node_ip}",
        f"--port={KUBELET_PORT}",
        "--read-only-port=0",
        "--healthz-bind-address=127.0.0.1",
        f"--healthz-port={KUBELET_HEALTHZ_PORT}",
        # The apiserver has no kubelet client certificate; only the namespace reaches it.
        "--anonymous-auth=true",
        "--authentication-token-webhook=false",
        "--authorization-mode=AlwaysAllow",
        "--node-status-update-frequency=10s",
        # A deleted Pod leaves the API only at the kubelet's next sync of it: every minute by
        # default, so `kubectl delete pod` of a running Pod took up to 60 s. (A Pod that never
        # ran a container waits for the container GC instead, a fixed minute.)
        "--sync-frequency=10s",
        # A scenario's image must stay on the node (IfNotPresent), and a full disk elsewhere on
        # the machine must not evict the tests' pods.
        "--image-gc-high-threshold=100",
        "--image-gc-low-threshold=99",
        "--eviction-hard=memory.available<1Mi,nodefs.available<1%,imagefs.available<1%",
    ]


def kubelet_configuration(
    paths: NodePaths, node_ip: str, resolv_conf: Path, settings: KubeletSettings
) -> dict[str, Any]:
    """The same node as 1.20's flags say, as a KubeletConfiguration (kubelet.config.k8s.io/
    v1beta1): most of those flags are gone from current kubelets, and the pause image is
    containerd's to pin (pinned_images), since 1.35 refuses --pod-infra-container-image."""
    config: dict[str, Any] = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        # This VM runs cgroup v1: kubelets from 1.35 refuse to start there unless told to
        # (KEP-5573, failCgroupV1 defaults to true).
        "failCgroupV1": False,
        "containerRuntimeEndpoint": f"unix://{paths.containerd_socket}",
        "runtimeRequestTimeout": "2m",
        "volumePluginDir": str(paths.kubelet / "volume-plugins"),
        "failSwapOn": False,
        # No QoS cgroups, no node allocatable: containerd's k8s.io cgroups only. The driver
        # comes from containerd 2 (RuntimeConfig): cgroupfs, as SystemdCgroup is false.
        "cgroupsPerQOS": False,
        "enforceNodeAllocatable": [],
        "cgroupDriver": "cgroupfs",
        "makeIPTablesUtilChains": False,
        "clusterDNS": [CLUSTER_DNS],
        "clusterDomain": "cluster.local",
        "resolvConf": str(resolv_conf),
        "address": node_ip,
        "port": KUBELET_PORT,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": KUBELET_HEALTHZ_PORT,
        # The apiserver has no kubelet client certificate; only the namespace reaches it.
        "authentication": {"anonymous": {"enabled": True}, "webhook": {"enabled": False}},
        "authorization": {"mode": "AlwaysAllow"},
        "nodeStatusUpdateFrequency": "10s",
        "syncFrequency": "10s",
        # A scenario's image stays on the node, and only a truly full disk is full: no image
        # garbage collection, no eviction on the node's or the images' file system (as kind
        # configures nested nodes).
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {
            "memory.available": "1Mi",
            "nodefs.available": "0%",
            "nodefs.inodesFree": "0%",
            "imagefs.available": "0%",
            "imagefs.inodesFree": "0%",
        },
        # The kubelet may not change this machine's kernel settings (the node's copies are
        # private, see netns.PrivateMounts, but nothing needs them changed).
        "protectKernelDefaults": False,
    }
    if settings.verification_policy is not None:
        config["imagePullCredentialsVerificationPolicy"] = settings.verification_policy
    if settings.registry_pull_qps is not None:
        config["registryPullQPS"] = settings.registry_pull_qps
    if settings.registry_burst is not None:
        config["registryBurst"] = settings.registry_burst
    return config


# --------------------------------------------------------------------------------------------
# The node's credential provider


def provider_config(paths: NodePaths, match_images: list[str]) -> str:
    """CredentialProviderConfig: the test provider serves these image prefixes (globs in the
    host only, paths by prefix: the kubelet matches them as it matches secrets' keys)."""
    return json.dumps(
        {
            "apiVersion": "kubelet.config.k8s.io/v1",
            "kind": "CredentialProviderConfig",
            "providers": [
                {
                    "name": PROVIDER_NAME,
                    "matchImages": match_images,
                    "defaultCacheDuration": "0s",
                    "apiVersion": "credentialprovider.kubelet.k8s.io/v1",
                    "env": [
                        {"name": "PROVIDER_CREDENTIALS", "value": str(paths.provider_credentials)}
                    ],
                }
            ],
        },
        indent=2,
    )


# The provider the kubelet execs for a matched image: it reads a CredentialProviderRequest on
# stdin and answers with the credentials its file holds for the image's prefix, uncached, so a
# test that rewrites the file is heard at the next pull.
_PROVIDER_SCRIPT = """
import json, os, sys

request = json.load(sys.stdin)
image = request["image"]
with open(os.environ["PROVIDER_CREDENTIALS"]) as fh:
    known = json.load(fh)
auth = {
    prefix: {"username": user, "password": password}
    for prefix, (user, password) in known.items()
    if image.startswith(prefix + "/")
}
json.dump(
    {
        "apiVersion": "credentialprovider.kubelet.k8s.io/v1",
        "kind": "CredentialProviderResponse",
        "cacheKeyType": "Image",
        "cacheDuration": "0s",
        "auth": auth,
    },
    sys.stdout,
)
"""


def provider_script() -> str:
    return f"#!{sys.executable}\n{_PROVIDER_SCRIPT.lstrip()}"
