"""kubectl's global flags against the real API server, through kubectl's plugin discovery.

Each identity is checked by what it may see: a user that may not read secrets gets another
verdict than the admin, and one that may not list pods gets a forbidden error. Impersonation,
--token, --server, the TLS flags and client certificates must give exactly what that identity
gets with its own credentials, and where kubectl is asked the same, the same answer.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.control_plane import READ_VERBS, Cluster, ControlPlane
from tests.support.genuine_texts import refused
from tests.support.pki import CertificateAuthority
from tests.support.plugin import unavailable

if TYPE_CHECKING:
    from conftest import PluginRunner

pytestmark = pytest.mark.e2e

IMAGE = "reg.example.com/team/app:1"
RUNTIME_401 = refused(IMAGE)
READERS = "pullsecret-readers"  # a group with the no-secrets user's rights
READER_RULES = [
    {
        "apiGroups": [""],
        "resources": ["pods", "events", "serviceaccounts", "namespaces"],
        "verbs": READ_VERBS,
    }
]
Json = dict[str, Any]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ns(cluster: Cluster) -> str:
    """One pod that cannot pull, with a secret that only some users may read."""
    ns = cluster.create_namespace("flags")
    cluster.create_docker_secret(ns, "regcred", {"reg.example.com": ("u", "pw-flags-1")})
    cluster.create_pod(ns, "web", containers=[("app", IMAGE)], image_pull_secrets=["regcred"])
    cluster.simulate_pull_failure(ns, "web", "app", IMAGE, RUNTIME_401)
    cluster.grant(READERS, READER_RULES, subject_kind="Group")
    return ns


def write_kubeconfig(path: Path, cluster: Json, user: Json, name: str = "u") -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": name}}],
        "current-context": "ctx",
    }
    path.write_text(json.dumps(doc))
    return path


def plane_cluster(cp: ControlPlane) -> Json:
    return {"server": cp.server, "certificate-authority": str(cp.ca_file)}


def diagnose(
    run: PluginRunner, ns: str, *flags: str, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return run("diagnose", "pod", "-n", ns, *flags, **kwargs)


def report(r: subprocess.CompletedProcess[str]) -> str:
    """The report of a run that found the problem (exit 1)."""
    assert r.returncode == 1, r.stderr
    assert "web" in r.stdout
    return r.stdout


def error_line(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def kubectl(
    *args: str, kubeconfig: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("kubectl")
    if binary is None:
        unavailable("kubectl is not on PATH")
    return subprocess.run(
        [binary, *args, "--kubeconfig", str(kubeconfig)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def named(text: str, user: str) -> str:
    """A report of the no-secrets user's rights, acting as `user`: the verdict that names the
    user it acts as names no-secrets instead, as in that user's own report."""
    assert f"for user {user};" in text, text
    return text.replace(f"for user {user};", "for user no-secrets;")


def forbidden_user(text: str) -> str:
    """The user an API server 403 names: `... is forbidden: User "NAME" cannot ...`."""
    found = re.search(r'forbidden: User "([^"]+)" cannot', text)
    assert found, text
    return found.group(1)


@pytest.fixture(scope="module")
def as_no_secrets(
    run_plugin_module: PluginRunner,
    control_plane: ControlPlane,
    ns: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """The report of the no-secrets user, with its own token (under a kubeconfig user of that
    name: a verdict names the user it acts as)."""
    cp = control_plane
    kubeconfig = write_kubeconfig(
        tmp_path_factory.mktemp("own") / "config",
        plane_cluster(cp),
        {"token": cp.token("no-secrets")},
        name="no-secrets",
    )
    own = report(diagnose(run_plugin_module, ns, kubeconfig=kubeconfig))
    admin = report(diagnose(run_plugin_module, ns))
    assert own != admin  # the identity shows in the verdict
    assert "SecretUnreadable" in own and "SecretUnreadable" not in admin
    return own


@pytest.fixture(scope="module")
def run_plugin_module(control_plane: ControlPlane) -> PluginRunner:
    from tests.support.plugin import PluginRunner

    return PluginRunner(lambda: control_plane.kubeconfig("admin"))


def test_impersonation_gives_the_users_own_verdict(
    run_plugin_module: PluginRunner, ns: str, as_no_secrets: str
) -> None:
    run = run_plugin_module
    assert report(diagnose(run, ns, "--as=no-secrets")) == as_no_secrets
    # kubectl's global flags may stand before the subcommand, as with kubectl.
    assert report(run("--as", "no-secrets", "diagnose", "pod", "-n", ns)) == as_no_secrets
    # A group's rights: a user of no rights, impersonated with the readers' group.
    visitor = report(diagnose(run, ns, "--as=visitor", f"--as-group={READERS}"))
    assert named(visitor, "visitor") == as_no_secrets
    line = error_line(diagnose(run, ns, "--as=visitor"))
    assert forbidden_user(line) == "visitor"
    assert '(as "visitor", impersonated by user "realcluster-admin")' in line


def test_impersonated_forbidden_error_is_the_users_own(
    run_plugin_module: PluginRunner, control_plane: ControlPlane, ns: str
) -> None:
    run = run_plugin_module
    own = error_line(diagnose(run, ns, kubeconfig=control_plane.kubeconfig("no-pods")))
    impersonated = error_line(diagnose(run, ns, "--as=no-pods"))
    suffix = ' (as "no-pods", impersonated by user "realcluster-admin")'
    assert impersonated == own.replace(" (need: list pods)", suffix + " (need: list pods)")
    by_kubectl = kubectl(
        "get", "pods", "-n", ns, "--as=no-pods", kubeconfig=control_plane.kubeconfig()
    )
    assert by_kubectl.returncode != 0
    assert forbidden_user(by_kubectl.stderr) == forbidden_user(own) == "no-pods"

    # Without the right to impersonate, the 403 says whose right is missing.
    line = error_line(
        diagnose(run, ns, "--as=admin", kubeconfig=control_plane.kubeconfig("no-secrets"))
    )
    assert 'User "no-secrets" cannot impersonate resource "users"' in line
    assert '(as "admin", impersonated by user "realcluster-no-secrets")' in line


def test_token_and_server_override_the_kubeconfig(
    run_plugin_module: PluginRunner,
    control_plane: ControlPlane,
    ns: str,
    as_no_secrets: str,
    tmp_path: Path,
) -> None:
    run, cp = run_plugin_module, control_plane
    admin = report(diagnose(run, ns))
    broken = write_kubeconfig(
        tmp_path / "broken",
        {"server": f"https://127.0.0.1:{closed_port()}"},
        {"token": "not-a-real-token"},
    )
    good = ("-s", cp.server, f"--certificate-authority={cp.ca_file}")
    assert report(diagnose(run, ns, *good, f"--token={cp.token()}", kubeconfig=broken)) == admin
    token = report(diagnose(run, ns, f"--token={cp.token('no-secrets')}"))
    assert named(token, "(--token)") == as_no_secrets
    # No kubeconfig at all: the flags are enough.
    nowhere = tmp_path / "nowhere"
    assert (
        report(
            diagnose(
                run,
                ns,
                *good,
                f"--token={cp.token()}",
                kubeconfig=nowhere,
                env={"HOME": str(tmp_path)},
            )
        )
        == admin
    )


def test_tls_flags(
    run_plugin_module: PluginRunner, control_plane: ControlPlane, ns: str, tmp_path: Path
) -> None:
    run, cp = run_plugin_module, control_plane
    admin = report(diagnose(run, ns))
    other_ca = CertificateAuthority("not-the-cluster").write(tmp_path / "other-ca.crt")
    wrong_ca = write_kubeconfig(
        tmp_path / "wrong-ca",
        {"server": cp.server, "certificate-authority": str(other_ca)},
        {"token": cp.token()},
    )
    assert "TLS verification failed" in error_line(diagnose(run, ns, kubeconfig=wrong_ca))
    assert (
        report(diagnose(run, ns, f"--certificate-authority={cp.ca_file}", kubeconfig=wrong_ca))
        == admin
    )
    assert report(diagnose(run, ns, "--insecure-skip-tls-verify", kubeconfig=wrong_ca)) == admin
    insecure = diagnose(run, ns, "--insecure-skip-tls-verify=true", kubeconfig=wrong_ca)
    assert report(insecure) == admin and insecure.stderr == ""  # no warning per request

    both = ("--insecure-skip-tls-verify", f"--certificate-authority={cp.ca_file}")
    refused = "specifying a root certificates file with the insecure flag is not allowed"
    assert refused in error_line(diagnose(run, ns, *both, kubeconfig=wrong_ca))
    assert refused in kubectl("get", "pods", "-n", ns, *both, kubeconfig=wrong_ca).stderr

    # The certificate names 127.0.0.1 and localhost: another name fails, as in kubectl.
    misnamed = ("--tls-server-name=wrong.example",)
    assert "TLS verification failed" in error_line(diagnose(run, ns, *misnamed))
    assert kubectl("get", "pods", "-n", ns, *misnamed, kubeconfig=cp.kubeconfig()).returncode != 0
    assert report(diagnose(run, ns, "--tls-server-name=localhost")) == admin


def test_client_certificates(
    run_plugin_module: PluginRunner,
    control_plane: ControlPlane,
    ns: str,
    as_no_secrets: str,
    tmp_path: Path,
) -> None:
    run, cp = run_plugin_module, control_plane
    cert, key = cp.client_certificate("cert-reader", groups=[READERS])
    from_files = write_kubeconfig(
        tmp_path / "files",
        plane_cluster(cp),
        {"client-certificate": str(cert), "client-key": str(key)},
        name="no-secrets",
    )
    assert report(diagnose(run, ns, kubeconfig=from_files)) == as_no_secrets
    inline = write_kubeconfig(
        tmp_path / "inline",
        plane_cluster(cp),
        {
            "client-certificate-data": base64.b64encode(cert.read_bytes()).decode(),
            "client-key-data": base64.b64encode(key.read_bytes()).decode(),
        },
        name="no-secrets",
    )
    assert report(diagnose(run, ns, kubeconfig=inline)) == as_no_secrets
    anonymous = write_kubeconfig(tmp_path / "anonymous", plane_cluster(cp), {})
    flags = (f"--client-certificate={cert}", f"--client-key={key}")
    by_flags = report(diagnose(run, ns, *flags, kubeconfig=anonymous))
    assert named(by_flags, "(--client-certificate)") == as_no_secrets

    # With a token in the kubeconfig, both go to the server, which tries certificates first:
    # kubectl and the plugin both act as the certificate's user.
    nobody_cert, nobody_key = cp.client_certificate("cert-nobody")
    flags = (f"--client-certificate={nobody_cert}", f"--client-key={nobody_key}")
    line = error_line(diagnose(run, ns, *flags))
    by_kubectl = kubectl("get", "pods", "-n", ns, *flags, kubeconfig=cp.kubeconfig())
    assert forbidden_user(line) == forbidden_user(by_kubectl.stderr) == "cert-nobody"


def test_deprecated_basic_auth(
    run_plugin_module: PluginRunner, control_plane: ControlPlane, ns: str, tmp_path: Path
) -> None:
    run, cp = run_plugin_module, control_plane
    flags = ("--username=ann", "--password=basic-pw-1")
    # With the kubeconfig's token as well: refused, as kubectl refuses it.
    both = diagnose(run, ns, *flags)
    assert "more than one authentication method" in error_line(both)
    assert "warning: --username and --password are deprecated" in both.stderr
    assert "basic-pw-1" not in both.stderr
    by_kubectl = kubectl("get", "pods", "-n", ns, *flags, kubeconfig=cp.kubeconfig())
    assert "more than one authentication method" in by_kubectl.stderr

    # Alone, they are still sent; this API server (1.20) no longer reads basic auth.
    anonymous = write_kubeconfig(tmp_path / "anonymous", plane_cluster(cp), {})
    alone = diagnose(run, ns, *flags, kubeconfig=anonymous)
    line = error_line(alone)
    by_kubectl = kubectl("get", "pods", "-n", ns, *flags, kubeconfig=anonymous)
    assert by_kubectl.returncode != 0
    if "Forbidden" in by_kubectl.stderr:
        assert forbidden_user(line) == forbidden_user(by_kubectl.stderr)
    else:
        assert "Unauthorized" in by_kubectl.stderr and "401 Unauthorized" in line
    assert "basic-pw-1" not in alone.stdout + alone.stderr
