"""krew-manifest.yaml and the .krew.yaml template against krew's rules (krew_validation.py)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from krew_validation import (
    KREW_PLATFORMS,
    ManifestError,
    check_policy,
    decode_plugin,
    find_any_matching_platform,
    parse_semver,
    validate_manifest,
)
from release_fixtures import REPO_ROOT, BuiltArchive

MANIFEST = REPO_ROOT / "krew-manifest.yaml"
TEMPLATE = REPO_ROOT / ".krew.yaml"


def _policy(plugin: Any, release: ModuleType) -> None:
    check_policy(
        plugin,
        expected_platforms=release.PLATFORMS,
        uri_for=release.asset_uri,
        bin_for=release.bin_path,
    )


# --- the committed manifest ------------------------------------------------------------------


def test_committed_manifest_passes_krew_validation(release: ModuleType) -> None:
    plugin, warnings = validate_manifest(
        MANIFEST.read_text(encoding="utf-8"), MANIFEST.name, plugin_name=release.PLUGIN
    )
    assert warnings == []
    assert plugin.name == "pullsecret"
    _policy(plugin, release)


def test_committed_manifest_under_its_krew_index_name(tmp_path: Path) -> None:
    # krew-index keeps it as plugins/pullsecret.yaml; validate-krew-manifest derives the name
    # from the file name, so that is the form that must pass without an override.
    copy_path = tmp_path / "pullsecret.yaml"
    copy_path.write_text(MANIFEST.read_text(encoding="utf-8"), encoding="utf-8")
    validate_manifest(copy_path.read_text(encoding="utf-8"), copy_path.name)
    # ...and the repository file name alone would not do: krew would want a plugin
    # named "krew-manifest".
    with pytest.raises(ManifestError, match="plugin should be named 'krew-manifest'"):
        validate_manifest(MANIFEST.read_text(encoding="utf-8"), MANIFEST.name)


def test_committed_manifest_version_matches_the_package(release: ModuleType) -> None:
    plugin = decode_plugin(MANIFEST.read_text(encoding="utf-8"))
    assert plugin.spec.version == release.parse_tag(release.source_version(REPO_ROOT))


def test_every_built_platform_is_in_the_manifest_once(release: ModuleType) -> None:
    plugin = decode_plugin(MANIFEST.read_text(encoding="utf-8"))
    selected = sorted(find_any_matching_platform(p.selector) for p in plugin.spec.platforms or [])
    assert selected == sorted(release.PLATFORMS)
    # Each one is a platform krew knows (cmd/validate-krew-manifest allPlatforms).
    assert set(release.PLATFORMS) <= set(KREW_PLATFORMS)


# --- negative tests: each of krew's rules fires -----------------------------------------------


def _base() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def _platform0(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["platforms"][0]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()
P0 = "spec.platforms.0"

NEGATIVE_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("apiVersion", _set("apiVersion", "krew.googlecontainertools.github.com/v1alpha1"),
     "not supported in this version of krew"),
    ("kind", _set("kind", "Plugins"), "but only 'Plugin' is supported"),
    ("unsafe name", _set("metadata.name", "pull/secret"), "is not allowed, must match"),
    ("windows device name", _set("metadata.name", "nul"), "is not allowed, must match"),
    ("no shortDescription", _set("spec.shortDescription", _DELETE),
     "should have a short description"),
    ("multi-line shortDescription", _set("spec.shortDescription", "two\nlines"),
     "should not have line breaks in short description"),
    ("no platforms", _set("spec.platforms", []), "should have a platform specified"),
    ("no version", _set("spec.version", ""), "should have a version specified"),
    ("version without v", _set("spec.version", "0.1.0"), "not starting with 'v'"),
    ("two-part version", _set("spec.version", "v0.1"), "illegal version string"),
    ("zero-prefixed version", _set("spec.version", "v0.01.0"),
     "illegal zero-prefixed version component"),
    ("zero-prefixed pre-release", _set("spec.version", "v0.1.0-01"),
     "illegal zero-prefixed version component"),
    ("bad pre-release", _set("spec.version", "v0.1.0-rc_1"), "could not parse pre-release"),
    ("no uri", _set(f"{P0}.uri", ""), "`uri` has to be set"),
    ("no sha256", _set(f"{P0}.sha256", _DELETE), "`sha256` sum has to be set"),
    ("uppercase sha256", _set(f"{P0}.sha256", "A" * 64), "is not valid, must match"),
    ("short sha256", _set(f"{P0}.sha256", "a" * 63), "is not valid, must match"),
    ("no bin", _set(f"{P0}.bin", _DELETE), "`bin` has to be set"),
    ("empty files", _set(f"{P0}.files", []), "`files` has to be unspecified or non-empty"),
    ("files without from", _set(f"{P0}.files", [{"to": "."}]), "`from` field has to be set"),
    ("files without to", _set(f"{P0}.files", [{"from": "LICENSE"}]), "`to` field has to be set"),
    ("no selector", _set(f"{P0}.selector", _DELETE), "nil selector is not supported"),
    ("empty selector", _set(f"{P0}.selector", {}), "empty selector is not supported"),
    ("unsupported key", _set(f"{P0}.selector.matchLabels.distro", "debian"),
     "key 'distro' not supported"),
    ("empty matchLabels", _set(f"{P0}.selector", {"matchLabels": {}}),
     "`matchLabels` specified but empty"),
    ("empty matchExpressions",
     _set(f"{P0}.selector", {"matchLabels": {"os": "linux", "arch": "amd64"},
                             "matchExpressions": []}),
     "`matchExpressions` specified but empty"),
    ("unsupported platform", _set(f"{P0}.selector.matchLabels.os", "plan9"),
     "doesn't match any supported platforms"),
    ("invalid label value", _set(f"{P0}.selector.matchLabels.os", "li nux"),
     "doesn't match any supported platforms"),
    ("overlapping selectors", _set("spec.platforms.1", {**copy.deepcopy(_base()["spec"]["platforms"][0])}),
     "overlapping selectors that select linux/amd64"),
    ("overlap through matchExpressions",
     _set("spec.platforms.1.selector",
          {"matchExpressions": [{"key": "os", "operator": "In", "values": ["linux"]}]}),
     "overlapping selectors that select linux/amd64"),
    ("number for a string", _set("spec.version", 1.0),
     "cannot unmarshal number into Go struct field PluginSpec.version of type string"),
    ("bool for a label", _set(f"{P0}.selector.matchLabels.os", True),
     "cannot unmarshal bool into Go struct field LabelSelector.matchLabels"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "message"),
    [pytest.param(m, msg, id=name) for name, m, msg in NEGATIVE_CASES],
)
def test_krew_rule_fires(mutate: Callable[[dict[str, Any]], None], message: str) -> None:
    doc = _base()
    mutate(doc)
    with pytest.raises(ManifestError, match=re.escape(message)):
        validate_manifest(yaml.safe_dump(doc, sort_keys=False), "pullsecret.yaml")


@pytest.mark.parametrize(
    ("file_name", "message"),
    [
        ("pullsecret.yml", "expected manifest extension '.yaml' but found '.yml'"),
        ("other.yaml", "plugin should be named 'other', not 'pullsecret'"),
    ],
)
def test_file_name_rules(file_name: str, message: str) -> None:
    with pytest.raises(ManifestError, match=re.escape(message)):
        validate_manifest(MANIFEST.read_text(encoding="utf-8"), file_name)


def test_decoder_is_go_like() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    # An unquoted all-digit hash is a YAML integer, which krew's decoder refuses; that is why
    # tools/release.py quotes the sha256 it writes.
    unquoted = re.sub(r'sha256: "(0+)"', r"sha256: \1", text)
    with pytest.raises(ManifestError, match="cannot unmarshal number into Go struct field"):
        validate_manifest(unquoted, "pullsecret.yaml")
    # go-yaml refuses duplicate keys.
    with pytest.raises(ManifestError, match='mapping key "kind" already defined'):
        decode_plugin(text.replace("kind: Plugin\n", "kind: Plugin\nkind: Plugin\n"))
    # encoding/json matches keys case-insensitively and ignores unknown ones.
    plugin = decode_plugin(
        text.replace("shortDescription:", "SHORTDESCRIPTION:").replace("spec:\n", "spec:\n  x: 1\n")
    )
    assert plugin.spec.short_description == "Explain why a Pod cannot pull its images"
    # `files: null` is Go's nil (krew applies its default), `files: []` is an error (above).
    plugin = decode_plugin(text.replace("    files:\n", "    files: null\n    x:\n", 1))
    assert plugin.spec.platforms is not None and plugin.spec.platforms[0].files is None


@pytest.mark.parametrize(
    "version", ["v0.0.0", "v1.2.3", "v1.2.3-rc.1", "v1.2.3-rc.1+build.5", "v10.20.30-0.a-b"]
)
def test_valid_versions(version: str) -> None:
    parse_semver(version)


def test_matchexpressions_selectors_are_understood() -> None:
    doc = _base()
    _platform0(doc)["selector"] = {
        "matchExpressions": [
            {"key": "os", "operator": "In", "values": ["linux"]},
            {"key": "arch", "operator": "NotIn", "values": ["386", "arm", "arm64", "ppc64le"]},
        ]
    }
    plugin, _ = validate_manifest(yaml.safe_dump(doc, sort_keys=False), "pullsecret.yaml")
    assert find_any_matching_platform(plugin.spec.platforms[0].selector) == ("linux", "amd64")


# --- our own conventions ------------------------------------------------------------------------

POLICY_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("long shortDescription", _set("spec.shortDescription", "x" * 51), "at most 50"),
    ("homepage", _set("spec.homepage", "http://example.com"), "homepage should be"),
    ("command list",
     _set("spec.description", "kubectl pullsecret check IMAGE\nkubectl pullsecret diagnose pod\n"),
     "reads like a command list"),
    ("missing platform", lambda d: d["spec"]["platforms"].pop(), "no platform entry for windows/amd64"),
    ("expressions", _set(f"{P0}.selector",
                         {"matchExpressions": [{"key": "os", "operator": "In", "values": ["linux"]},
                                               {"key": "arch", "operator": "In", "values": ["amd64"]}]}),
     "select with matchLabels os and arch only"),
    ("uri", _set(f"{P0}.uri", "https://example.com/x.tar.gz"), "is not the release asset"),
    ("bin", _set(f"{P0}.bin", "kubectl-pullsecret"), "bin should be kubectl-pullsecret/kubectl-pullsecret"),
    ("license", _set(f"{P0}.files", [{"from": "kubectl-pullsecret", "to": "."}]),
     "LICENSE is not installed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "message"),
    [pytest.param(m, msg, id=name) for name, m, msg in POLICY_CASES],
)
def test_policy_rule_fires(
    mutate: Callable[[dict[str, Any]], None], message: str, release: ModuleType
) -> None:
    doc = _base()
    mutate(doc)
    plugin = decode_plugin(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(ManifestError, match=re.escape(message)):
        _policy(plugin, release)


# --- .krew.yaml (krew-release-bot template) ------------------------------------------------------


def _go_template_actions(template: str) -> list[tuple[int, int, str]]:
    """(start, end, body) of each {{ ... }} action; quoted strings may contain "}}" (Go's lexer)."""
    actions = []
    i = 0
    while (start := template.find("{{", i)) >= 0:
        j = start + 2
        quote = None
        while j < len(template):
            c = template[j]
            if quote:
                if c == "\\":
                    j += 1
                elif c == quote:
                    quote = None
            elif c in '"`':
                quote = c
            elif template.startswith("}}", j):
                break
            j += 1
        else:
            raise ValueError(f"unclosed action at {start}")
        actions.append((start, j + 2, template[start + 2 : j].strip()))
        i = j + 2
    return actions


def render_krew_template(template: str, tag: str, sha_for_uri: Callable[[str], str]) -> str:
    """krew-release-bot's RenderTemplate, for the two things our template uses.

    `{{ .TagName }}`, and `{{ addURIAndSha "URL with {{ .TagName }}" .TagName }}`, which renders
    the URL as a template itself and returns "uri: URL\\n    sha256: SHA" (pkg/source/template.go),
    so the call must sit at the platform's 4-space key indentation.
    """
    out = []
    last = 0
    for start, end, body in _go_template_actions(template):
        out.append(template[last:start])
        if body == ".TagName":
            out.append(tag)
        else:
            m = re.fullmatch(r'addURIAndSha\s+"((?:[^"\\]|\\.)*)"\s+\.TagName', body)
            if not m:
                raise ValueError(f"unsupported template action {{{{ {body} }}}}")
            uri = render_krew_template(m.group(1), tag, sha_for_uri)
            out.append(f"uri: {uri}\n    sha256: {sha_for_uri(uri)}")
        last = end
    out.append(template[last:])
    return "".join(out)


def _fake_sha(uri: str) -> str:
    import hashlib

    return hashlib.sha256(uri.encode()).hexdigest()  # stands in for assets built elsewhere


def test_template_renders_to_a_valid_manifest(release: ModuleType) -> None:
    tag = "v1.2.3"
    rendered = render_krew_template(TEMPLATE.read_text(encoding="utf-8"), tag, _fake_sha)
    plugin, warnings = validate_manifest(rendered, "pullsecret.yaml")
    assert warnings == []
    assert plugin.spec.version == tag
    _policy(plugin, release)
    for os_name, arch in release.PLATFORMS:
        uri = release.asset_uri(tag, os_name, arch)
        assert f"uri: {uri}\n    sha256: {_fake_sha(uri)}\n" in rendered


def test_template_and_manifest_agree_apart_from_release_values(release: ModuleType) -> None:
    """Editing one and not the other would publish different manifests via the two routes."""
    manifest = decode_plugin(MANIFEST.read_text(encoding="utf-8"))
    rendered = decode_plugin(
        render_krew_template(
            TEMPLATE.read_text(encoding="utf-8"), manifest.spec.version, lambda _: "f" * 64
        )
    )
    for plugin in (manifest, rendered):
        for platform in plugin.spec.platforms or []:
            platform.sha256 = ""
    assert rendered == manifest


def test_template_renderer_handles_go_quoting() -> None:
    text = 'a: {{ .TagName }}\n    {{addURIAndSha "https://x/{{ .TagName }}/f" .TagName }}\n'
    assert render_krew_template(text, "v9.9.9", lambda _: "f" * 64) == (
        f"a: v9.9.9\n    uri: https://x/v9.9.9/f\n    sha256: {'f' * 64}\n"
    )
    with pytest.raises(ValueError, match="unsupported template action"):
        render_krew_template("{{ .Version }}", "v1.0.0", _fake_sha)


@pytest.mark.slow
def test_rendered_template_installs_the_built_archive(
    release: ModuleType, release_archive: BuiltArchive, tmp_path: Path
) -> None:
    """The bot's manifest, with the sha of the archive this host built, installs like krew."""
    from krew_install import install_like_krew, plugin_name_to_bin

    local_uri = release.asset_uri(release_archive.tag, release_archive.os, release_archive.arch)

    def sha_for(uri: str) -> str:
        return release_archive.sha256 if uri == local_uri else _fake_sha(uri)

    rendered = render_krew_template(
        TEMPLATE.read_text(encoding="utf-8"), release_archive.tag, sha_for
    )
    validate_manifest(rendered, "pullsecret.yaml")
    bin_dir = install_like_krew(
        release_archive.path, rendered, (release_archive.os, release_archive.arch), tmp_path
    )
    link = bin_dir / plugin_name_to_bin("pullsecret", release_archive.os == "windows")
    assert link.is_symlink() and Path(link.resolve()).is_file()
