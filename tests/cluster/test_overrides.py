"""kubectl's global flags over the kubeconfig, resolved as clientcmd resolves them. No cluster:
resolution happens before any request. Where kubectl refuses a combination, kubectl itself is
run with the same kubeconfig and flags, and must refuse it too."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kubectl_pullsecret.cli.flags import kube_options, kubectl_argv
from kubectl_pullsecret.cluster.errors import KubeError
from kubectl_pullsecret.cluster.kubeconfig import (
    Impersonation,
    KubeOptions,
    ResolvedConfig,
    resolve_config,
)
from tests.support.pki import CertificateAuthority
from tests.support.plugin import unavailable

SERVER = "https://127.0.0.1:1"  # nothing listens: resolution must not need it


@pytest.fixture(autouse=True)
def no_ambient_kubeconfig(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    ca = CertificateAuthority()
    cert, key = ca.issue("someone", usage="client").write(folder, "client")
    return {"ca": ca.write(folder / "ca.crt"), "cert": cert, "key": key}


def kubeconfig(folder: Path, cluster: dict[str, Any], user: dict[str, Any], **context: str) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": SERVER, **cluster}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u", **context}}],
        "current-context": "ctx",
    }
    path = folder / "config"
    path.write_text(json.dumps(doc))
    return path


def resolve(path: Path | None, **flags: Any) -> ResolvedConfig:
    return resolve_config(KubeOptions(kubeconfig=str(path) if path else None, **flags))


def bearer(resolved: ResolvedConfig) -> str | None:
    return resolved.transport.auth(False).get("authorization")


def test_server_and_token_override_the_kubeconfig(tmp_path: Path, pki: dict[str, Path]) -> None:
    path = kubeconfig(tmp_path, {"certificate-authority": str(pki["ca"])}, {"token": "kc-token"})
    resolved = resolve(path, server="https://10.0.0.1:6443", token="flag-token")
    assert resolved.transport.host == "https://10.0.0.1:6443"
    assert bearer(resolved) == "Bearer flag-token"
    assert resolved.cluster_entry["certificate-authority"] == str(pki["ca"])  # the rest stays
    assert (resolved.user, resolved.credentials) == ("(--token)", "the --token")
    assert bearer(resolve(path)) == "Bearer kc-token"


def test_server_without_any_kubeconfig(pki: dict[str, Path]) -> None:
    resolved = resolve(None, server=SERVER, token="t0k3n", certificate_authority=str(pki["ca"]))
    assert resolved.transport.host == SERVER
    assert bearer(resolved) == "Bearer t0k3n"
    assert resolved.namespace == "default"
    with pytest.raises(KubeError, match="no kubeconfig found"):
        resolve(None, token="t0k3n")


def test_server_clears_the_kubeconfig_tls_server_name(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path, {"tls-server-name": "kc.example"}, {})
    assert resolve(path).cluster_entry["tls-server-name"] == "kc.example"
    assert "tls-server-name" not in resolve(path, server=SERVER).cluster_entry
    resolved = resolve(path, server=SERVER, tls_server_name="flag.example")
    assert resolved.cluster_entry["tls-server-name"] == "flag.example"


def test_trust_flags_replace_the_kubeconfig_trust(tmp_path: Path, pki: dict[str, Path]) -> None:
    data = base64.b64encode(pki["ca"].read_bytes()).decode()
    path = kubeconfig(tmp_path, {"certificate-authority-data": data}, {})
    resolved = resolve(path, insecure_skip_tls_verify=True)  # the kubeconfig CA goes with it
    assert resolved.transport.verify is False
    assert not {k for k in resolved.cluster_entry if k.startswith("certificate-authority")}
    resolved = resolve(path, certificate_authority=str(pki["ca"]))
    assert resolved.cluster_entry["certificate-authority"] == str(pki["ca"])
    assert "certificate-authority-data" not in resolved.cluster_entry

    insecure = kubeconfig(tmp_path, {"insecure-skip-tls-verify": True}, {})
    resolved = resolve(insecure, certificate_authority=str(pki["ca"]))
    assert resolved.transport.verify is True  # --certificate-authority ends insecure


def test_token_replaces_exec_plugins_and_auth_providers(tmp_path: Path) -> None:
    never = tmp_path / "never-run"
    exec_user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "sh",
            "args": ["-c", f"touch {never}; exit 1"],
            "interactiveMode": "Never",
        },
        "auth-provider": {"name": "oidc", "config": {"id-token": "provider-token"}},
    }
    resolved = resolve(kubeconfig(tmp_path, {}, exec_user), token="flag-token")
    assert bearer(resolved) == "Bearer flag-token"
    assert not never.exists()


def test_token_file_wins_over_token(tmp_path: Path) -> None:
    """client-go re-reads tokenFile on every request and prefers what it reads."""
    token_file = tmp_path / "token"
    token_file.write_text("file-token\n")
    path = kubeconfig(tmp_path, {}, {"token": "inline", "tokenFile": str(token_file)})
    assert bearer(resolve(path)) == "Bearer file-token"
    assert bearer(resolve(path, token="flag-token")) == "Bearer file-token"
    token_file.unlink()
    assert bearer(resolve(path)) == "Bearer inline"  # unreadable: the token stands


def test_basic_auth_from_flags(tmp_path: Path) -> None:
    resolved = resolve(kubeconfig(tmp_path, {}, {}), username="ann", password="pw")
    assert bearer(resolved) == "Basic " + base64.b64encode(b"ann:pw").decode()
    # client-go sends basic auth only with a username; a password alone is not used.
    assert bearer(resolve(kubeconfig(tmp_path, {}, {}), password="pw")) is None


def test_client_certificate_flags_replace_inline_data(tmp_path: Path, pki: dict[str, Path]) -> None:
    inline = {
        "client-certificate-data": base64.b64encode(b"not a cert").decode(),
        "client-key-data": base64.b64encode(b"not a key").decode(),
        "token": "kc-token",
    }
    resolved = resolve(
        kubeconfig(tmp_path, {}, inline),
        client_certificate=str(pki["cert"]),
        client_key=str(pki["key"]),
    )
    assert resolved.user_entry["client-certificate"] == str(pki["cert"])
    assert resolved.user_entry["client-key"] == str(pki["key"])
    assert "client-certificate-data" not in resolved.user_entry
    assert resolved.credentials == "the --client-certificate"


def test_plain_http_carries_no_credentials(tmp_path: Path) -> None:
    """client-go reads a server without a scheme as http, and sends no credentials over it."""
    resolved = resolve(kubeconfig(tmp_path, {}, {"token": "kc-token"}), server="127.0.0.1:8080")
    assert resolved.transport.host == "http://127.0.0.1:8080"
    assert bearer(resolved) is None


def test_impersonation_from_kubeconfig_then_flags(tmp_path: Path) -> None:
    user = {
        "token": "t",
        "as": "kc-user",
        "as-groups": ["kc-group"],
        "as-user-extra": {"reason/why": ["audit me"]},
    }
    path = kubeconfig(tmp_path, {}, user)
    assert resolve(path).impersonation == Impersonation(
        "kc-user", ("kc-group",), "", (("reason/why", "audit me"),)
    )
    resolved = resolve(path, impersonate="jane", impersonate_groups=("a", "b"), impersonate_uid="7")
    assert resolved.impersonation is not None
    assert resolved.impersonation.headers() == [
        ("Impersonate-User", "jane"),
        ("Impersonate-Uid", "7"),
        ("Impersonate-Group", "a"),
        ("Impersonate-Group", "b"),
        ("Impersonate-Extra-reason%2Fwhy", "audit me"),  # client-go's headerKeyEscape
    ]
    assert resolved.impersonation.describe() == '"jane" in groups "a", "b" with uid "7"'
    assert resolve(kubeconfig(tmp_path, {}, {"token": "t"})).impersonation is None


@pytest.mark.parametrize(
    ("user", "flags", "ours", "kubectls"),
    [
        (
            {"token": "t"},
            {"username": "u", "password": "p"},
            "more than one authentication method",
            "more than one authentication method",
        ),
        (
            {"token": "t"},
            {"impersonate_groups": ("g",)},
            "without impersonating a user",
            "without impersonating a user",
        ),
        (
            {"token": "t"},
            {"impersonate_uid": "1"},
            "without impersonating a user",
            "without impersonating a user",
        ),
        (
            {"token": "t"},
            {"client_certificate": "CERT"},
            "needs its key",
            "client-key-data or client-key must be specified",
        ),
        (
            {"token": "t"},
            {"certificate_authority": "/nonexistent/ca.crt"},
            "unable to read certificate-authority /nonexistent/ca.crt",
            "unable to read certificate-authority /nonexistent/ca.crt",
        ),
        (
            {"token": "t"},
            {"insecure_skip_tls_verify": True, "certificate_authority": "CA"},
            "specifying a root certificates file with the insecure flag is not allowed",
            "specifying a root certificates file with the insecure flag is not allowed",
        ),
        ({"token": "t"}, {"user": "nobody"}, 'user "nobody" not found', '"nobody" does not exist'),
        (
            {"token": "t"},
            {"cluster": "nowhere"},
            'cluster "nowhere" not found',
            'no server found for cluster "nowhere"',
        ),
    ],
)
def test_refused_as_kubectl_refuses(
    tmp_path: Path,
    pki: dict[str, Path],
    user: dict[str, Any],
    flags: dict[str, Any],
    ours: str,
    kubectls: str,
) -> None:
    paths = {"CA": str(pki["ca"]), "CERT": str(pki["cert"])}
    flags = {k: paths.get(v, v) if isinstance(v, str) else v for k, v in flags.items()}
    path = kubeconfig(tmp_path, {}, user)
    with pytest.raises(KubeError, match=ours) as refused:
        resolve(path, **flags)
    assert "\n" not in str(refused.value)

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        unavailable("kubectl is not on PATH")
    argv = [kubectl, "get", "pods", "--kubeconfig", str(path), "--request-timeout", "1s"]
    for name, value in flags.items():
        flag = {"impersonate_groups": "as-group", "impersonate_uid": "as-uid"}.get(name, name)
        flag = "--" + flag.replace("_", "-")
        if value is True:
            argv.append(flag)
        else:
            argv += [f"{flag}={v}" for v in (value if isinstance(value, tuple) else (value,))]
    run = subprocess.run(
        argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, check=False
    )
    assert run.returncode != 0
    assert kubectls in run.stderr, run.stderr


def test_flag_values_as_kubectl_reads_them() -> None:
    options = kube_options(
        {
            "token": "",
            "impersonate": "",
            "impersonate_groups": ["", "g"],
            "request_timeout": "2m",
            "insecure_skip_tls_verify": False,
            "cache_dir": "/tmp/x",
        }
    )
    assert options == KubeOptions(impersonate_groups=("g",), request_timeout=120.0)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        # kubectl's booleans take =true/=false (pflag's ParseBool).
        (
            ["show", "--insecure-skip-tls-verify=true", "x"],
            ["show", "--insecure-skip-tls-verify", "x"],
        ),
        (["show", "--insecure-skip-tls-verify=false"], ["show"]),
        (["show", "--disable-compression=1"], ["show", "--disable-compression"]),
        # kubectl's global flags may come before the subcommand.
        (
            ["--as=jane", "-n", "ns", "--as-group", "g", "diagnose", "pod", "-A"],
            ["diagnose", "pod", "-A", "--as=jane", "-n", "ns", "--as-group", "g"],
        ),
        (
            ["-s", "https://h", "check", "img", "--", "-x"],
            ["check", "img", "-s", "https://h", "--", "-x"],
        ),
        # After the subcommand nothing moves; unknown flags stay where they are.
        (["diagnose", "pod", "--as", "jane"], ["diagnose", "pod", "--as", "jane"]),
        (["--bogus", "show"], ["--bogus", "show"]),
    ],
)
def test_kubectl_argv(argv: list[str], expected: list[str]) -> None:
    assert kubectl_argv(argv) == expected
