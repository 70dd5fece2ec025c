"""check and show on plain data, and what reaches the terminal."""

import json

from kubectl_pullsecret.cluster.manifests import decode_credentials_file as decode_config_file
from kubectl_pullsecret.kubelet.docker_config import decode_secret
from kubectl_pullsecret.kubelet.pod import SecretFetch, SecretStatus
from kubectl_pullsecret.render import (
    check_document,
    serialize,
    show_document,
    show_table,
)
from kubectl_pullsecret.verdicts.catalogue import Code
from kubectl_pullsecret.verdicts.image import check_image
from kubectl_pullsecret.verdicts.secret import view_secret


def found(raw: bytes) -> SecretFetch:
    return SecretFetch("f", SecretStatus.FOUND, decode_config_file(raw))


def test_check_orders_sources_and_reports_matches() -> None:
    a = found(json.dumps({"auths": {"quay.io": {"username": "a", "password": "x"}}}).encode())
    b = found(json.dumps({"https://quay.io/v1/": {"username": "b", "password": "y"}}).encode())
    report = check_image("quay.io/team/app:v1", [("one.json", a), ("two.cfg", b)])
    assert [(m.source, m.username) for m in report.matches] == [("one.json", "a"), ("two.cfg", "b")]
    assert report.problems == ()
    assert check_document(report)["repository"] == "quay.io/team/app"


def test_check_secret_manifest_with_string_data() -> None:
    manifest = b"""apiVersion: v1
kind: Secret
metadata: {name: regcred}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{"auths": {"docker.io": {"username": "jane", "password": "pw"}}}'
"""
    report = check_image("janedoe/app", [("regcred.yaml", found(manifest))])
    assert [m.username for m in report.matches] == ["jane"]


def test_check_manifest_without_type_is_opaque_and_ignored() -> None:
    manifest = b"apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {.dockerconfigjson: '{}'}\n"
    report = check_image("nginx", [("x.yaml", found(manifest))])
    assert [p.code for p in report.problems] == [Code.SECRET_WRONG_TYPE]


def test_check_invalid_image() -> None:
    report = check_image("Nginx", [])
    assert [p.code for p in report.problems] == [
        Code.INVALID_IMAGE_NAME
    ] and report.repository is None


def test_show_redacts_unless_revealed_and_flags_the_trap() -> None:
    decoded = decode_secret(
        "kubernetes.io/dockerconfigjson",
        {
            ".dockerconfigjson": json.dumps(
                {
                    "auths": {
                        "https://index.docker.io/v1": {
                            "username": "jane",
                            "password": "Marker-pw-1",
                        }
                    }
                }
            ).encode()
        },
    )
    view = view_secret("ns", "regcred", decoded, ("pod/a",))
    text = (
        show_table(view)
        + serialize(show_document(view), "json")
        + serialize(show_document(view), "yaml")
    )
    assert "Marker-pw-1" not in text and "<redacted> (11 chars)" in text
    assert "trailing slash" in text
    revealed = view_secret("ns", "regcred", decoded, (), reveal=True)
    assert "Marker-pw-1" in show_table(revealed)
