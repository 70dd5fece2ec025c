"""krew's plugin manifest rules, ported to Python so the tests can hold our manifests to them.

Sources (kubernetes-sigs/krew):
- internal/index/indexscanner/scanner.go: manifests are read with sigs.k8s.io/yaml, i.e.
  YAML -> JSON -> Go encoding/json into pkg/index/types.go (unknown keys ignored, keys matched
  case-insensitively, a value of the wrong JSON type is an error, null leaves the zero value).
- internal/index/validation/validate.go: ValidatePlugin, validatePlatform, validateFiles,
  validateSelector, IsSafePluginName (first failing rule wins, like the Go code).
- internal/installation/semver/version.go + k8s.io/apimachinery/pkg/util/version: "v" prefix
  then ParseSemantic.
- cmd/validate-krew-manifest/main.go: plugin name from the file name, ".yaml" extension,
  every platform selector matches a supported <os,arch>, no <os,arch> matched twice, and the
  line-length warnings. (Its `kubectl krew install` step and LICENSE check are done by
  krew_install.install_like_krew, which the tests run on the real archive.)
- k8s.io/apimachinery metav1.LabelSelectorAsSelector and labels.Requirement.Matches for the
  selector semantics.

`check_policy` adds the krew-index review conventions this project commits to (a short
one-line shortDescription, an https homepage, a prose description, LICENSE installed, every
platform we build listed). Those are not krew code rules, so they are kept apart.

Run directly to validate a file: python tests/packaging/krew_validation.py krew-manifest.yaml
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

CURRENT_API_VERSION = "krew.googlecontainertools.github.com/v1alpha2"
PLUGIN_KIND = "Plugin"
MANIFEST_EXTENSION = ".yaml"

# cmd/validate-krew-manifest allPlatforms(), in its order (findAnyMatchingPlatform is first-hit).
KREW_PLATFORMS: tuple[tuple[str, str], ...] = (
    ("windows", "386"),
    ("windows", "amd64"),
    ("windows", "arm64"),
    ("linux", "386"),
    ("linux", "amd64"),
    ("linux", "arm"),
    ("linux", "arm64"),
    ("linux", "ppc64le"),
    ("darwin", "386"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
)

_SAFE_PLUGIN = re.compile(r"^[\w-]+$", re.ASCII)  # Go's \w is ASCII-only
_WINDOWS_FORBIDDEN = (
    *("CON", "PRN", "AUX", "NUL"),
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
)
_SHA256 = re.compile(r"^[a-f0-9]{64}$")
# k8s.io/apimachinery/pkg/util/version: versionMatchRE and extraMatchRE. Go's \s is [\t\n\f\r ],
# "." does not match "\n" and "$" is the end of the text (hence \Z and fullmatch here).
_VERSION_MATCH = re.compile(r"^[\t\n\f\r ]*v?([0-9]+(?:\.[0-9]+)*)([^\n]*)\Z")
_EXTRA_MATCH = re.compile(
    r"^(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"[\t\n\f\r ]*\Z"
)
# k8s.io/apimachinery/pkg/util/validation IsValidLabelValue.
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_UINT64_MAX = 2**64 - 1


class ManifestError(ValueError):
    """krew would refuse the manifest; the message follows krew's wording."""


# --- decoding: sigs.k8s.io/yaml + encoding/json into pkg/index/types.go ---------------------


@dataclasses.dataclass
class LabelSelectorRequirement:
    key: str = ""
    operator: str = ""
    values: list[str] | None = None


@dataclasses.dataclass
class LabelSelector:
    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None


@dataclasses.dataclass
class FileOperation:
    from_: str = ""
    to: str = ""


@dataclasses.dataclass
class Platform:
    uri: str = ""
    sha256: str = ""
    selector: LabelSelector | None = None
    files: list[FileOperation] | None = None
    license: str = ""
    bin: str = ""


@dataclasses.dataclass
class PluginSpec:
    version: str = ""
    short_description: str = ""
    description: str = ""
    caveats: str = ""
    homepage: str = ""
    platforms: list[Platform] | None = None


@dataclasses.dataclass
class Plugin:
    api_version: str = ""
    kind: str = ""
    name: str = ""
    spec: PluginSpec = dataclasses.field(default_factory=PluginSpec)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, as go-yaml (behind sigs.k8s.io/yaml) does."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ManifestError(
                f'error converting YAML to JSON: mapping key "{key}" already defined'
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _type_error(value: object, go_type: str, where: str) -> ManifestError:
    return ManifestError(
        f"json: cannot unmarshal {_json_type(value)} into Go struct field {where} of type {go_type}"
    )


def _go_string(value: object, where: str, current: str = "") -> str:
    if value is None:
        return current  # JSON null leaves a Go string untouched
    if not isinstance(value, str):
        raise _type_error(value, "string", where)
    return value


def _go_string_slice(value: object, where: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _type_error(value, "[]string", where)
    return [_go_string(v, where) for v in value]


def _go_object(value: object, go_type: str, where: str) -> Mapping[str, object] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _type_error(value, go_type, where)
    # sigs.k8s.io/yaml turns non-string YAML keys into their JSON text.
    return {
        (
            k
            if isinstance(k, str)
            else (
                "true" if k is True else "false" if k is False else "null" if k is None else str(k)
            )
        ): v
        for k, v in value.items()
    }


def _fields(obj: Mapping[str, object], handlers: Mapping[str, Callable[[object], None]]) -> None:
    """encoding/json field matching: exact name first, else case-insensitive; unknown ignored."""
    for key, value in obj.items():
        handler = handlers.get(key)
        if handler is None:
            handler = next((h for name, h in handlers.items() if name.lower() == key.lower()), None)
        if handler is not None:
            handler(value)


def _decode_selector(value: object) -> LabelSelector | None:
    obj = _go_object(value, "v1.LabelSelector", "Platform.selector")
    if obj is None:
        return None
    sel = LabelSelector()

    def labels(v: object) -> None:
        m = _go_object(v, "map[string]string", "LabelSelector.matchLabels")
        if m is None:
            sel.match_labels = None
            return
        sel.match_labels = {k: _go_string(val, "LabelSelector.matchLabels") for k, val in m.items()}

    def expressions(v: object) -> None:
        if v is None:
            sel.match_expressions = None
            return
        if not isinstance(v, list):
            raise _type_error(v, "[]v1.LabelSelectorRequirement", "LabelSelector.matchExpressions")
        out = []
        for item in v:
            o = _go_object(item, "v1.LabelSelectorRequirement", "LabelSelector.matchExpressions")
            req = LabelSelectorRequirement()
            if o is not None:
                _fields(
                    o,
                    {
                        "key": lambda x, r=req: setattr(r, "key", _go_string(x, "key", r.key)),
                        "operator": lambda x, r=req: setattr(
                            r, "operator", _go_string(x, "operator", r.operator)
                        ),
                        "values": lambda x, r=req: setattr(
                            r, "values", _go_string_slice(x, "values")
                        ),
                    },
                )
            out.append(req)
        sel.match_expressions = out

    _fields(obj, {"matchLabels": labels, "matchExpressions": expressions})
    return sel


def _decode_files(value: object) -> list[FileOperation] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _type_error(value, "[]index.FileOperation", "Platform.files")
    out = []
    for item in value:
        op = FileOperation()
        o = _go_object(item, "index.FileOperation", "Platform.files")
        if o is not None:
            _fields(
                o,
                {
                    "from": lambda x, op=op: setattr(op, "from_", _go_string(x, "from", op.from_)),
                    "to": lambda x, op=op: setattr(op, "to", _go_string(x, "to", op.to)),
                },
            )
        out.append(op)
    return out


def _decode_platform(value: object) -> Platform:
    pl = Platform()
    obj = _go_object(value, "index.Platform", "PluginSpec.platforms")
    if obj is None:
        return pl

    def string(attr: str, name: str) -> Callable[[object], None]:
        return lambda v: setattr(pl, attr, _go_string(v, f"Platform.{name}", getattr(pl, attr)))

    _fields(
        obj,
        {
            "uri": string("uri", "uri"),
            "sha256": string("sha256", "sha256"),
            "selector": lambda v: setattr(pl, "selector", _decode_selector(v)),
            "files": lambda v: setattr(pl, "files", _decode_files(v)),
            "license": string("license", "license"),
            "bin": string("bin", "bin"),
        },
    )
    return pl


def decode_plugin(text: str) -> Plugin:
    """Plugin from manifest YAML, as indexscanner.ReadPluginFromFile decodes it."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ManifestError(f"error converting YAML to JSON: {exc}") from exc
    plugin = Plugin()
    obj = _go_object(data, "index.Plugin", "Plugin")
    if obj is None:
        return plugin
    spec = plugin.spec

    def metadata(v: object) -> None:
        meta = _go_object(v, "v1.ObjectMeta", "Plugin.metadata")
        if meta is not None:
            _fields(meta, {"name": lambda x: setattr(plugin, "name", _go_string(x, "name"))})

    def spec_string(attr: str, name: str) -> Callable[[object], None]:
        return lambda v: setattr(
            spec, attr, _go_string(v, f"PluginSpec.{name}", getattr(spec, attr))
        )

    def platforms(v: object) -> None:
        if v is None:
            spec.platforms = None
        elif not isinstance(v, list):
            raise _type_error(v, "[]index.Platform", "PluginSpec.platforms")
        else:
            spec.platforms = [_decode_platform(item) for item in v]

    def spec_field(v: object) -> None:
        o = _go_object(v, "index.PluginSpec", "Plugin.spec")
        if o is not None:
            _fields(
                o,
                {
                    "version": spec_string("version", "version"),
                    "shortDescription": spec_string("short_description", "shortDescription"),
                    "description": spec_string("description", "description"),
                    "caveats": spec_string("caveats", "caveats"),
                    "homepage": spec_string("homepage", "homepage"),
                    "platforms": platforms,
                },
            )

    _fields(
        obj,
        {
            "apiVersion": lambda v: setattr(plugin, "api_version", _go_string(v, "apiVersion")),
            "kind": lambda v: setattr(plugin, "kind", _go_string(v, "kind")),
            "metadata": metadata,
            "spec": spec_field,
        },
    )
    return plugin


# --- internal/index/validation/validate.go -------------------------------------------------


def is_safe_plugin_name(name: str) -> bool:
    if not _SAFE_PLUGIN.fullmatch(name):
        return False
    return not any(name.upper() == forbidden for forbidden in _WINDOWS_FORBIDDEN)


def parse_semver(version: str) -> tuple[int, int, int, str, str]:
    """krew's semver.Parse: a leading "v", then apimachinery's ParseSemantic."""
    if not version.startswith("v"):
        raise ManifestError(f"version string {version!r} not starting with 'v'")
    parts = _VERSION_MATCH.match(version)
    if not parts:
        raise ManifestError(f"could not parse {version!r} as version")
    numbers, extra = parts.group(1), parts.group(2)
    components = numbers.split(".")
    if len(components) != 3:
        raise ManifestError(f"illegal version string {version!r}")
    values = []
    for comp in components:
        if comp.startswith("0") and comp != "0":
            raise ManifestError(f"illegal zero-prefixed version component {comp!r} in {version!r}")
        if int(comp) > _UINT64_MAX:
            raise ManifestError(f"illegal non-numeric version component {comp!r} in {version!r}")
        values.append(int(comp))
    pre = build = ""
    if extra:
        m = _EXTRA_MATCH.match(extra)
        if not m:
            raise ManifestError(
                f"could not parse pre-release/metadata ({extra}) in version {version!r}"
            )
        pre, build = m.group(1) or "", m.group(2) or ""
        for comp in pre.split("."):
            numeric = comp.isdigit() and comp.isascii() and int(comp) <= _UINT64_MAX
            if numeric and comp.startswith("0") and comp != "0":
                raise ManifestError(
                    f"illegal zero-prefixed version component {comp!r} in {version!r}"
                )
    return values[0], values[1], values[2], pre, build


def validate_plugin(name: str, plugin: Plugin) -> None:
    """validation.ValidatePlugin(name, p)."""
    if plugin.api_version != CURRENT_API_VERSION:
        raise ManifestError(
            f"plugin manifest has apiVersion={plugin.api_version!r}, not supported in this "
            "version of krew (try updating plugin index or install a newer version of krew)"
        )
    if plugin.kind != PLUGIN_KIND:
        raise ManifestError(
            f"plugin manifest has kind={plugin.kind!r}, but only {PLUGIN_KIND!r} is supported"
        )
    if not is_safe_plugin_name(name):
        raise ManifestError(f"the plugin name {name!r} is not allowed, must match ^[\\w-]+$")
    if plugin.name != name:
        raise ManifestError(f"plugin should be named {name!r}, not {plugin.name!r}")
    spec = plugin.spec
    if spec.short_description == "":
        raise ManifestError("should have a short description")
    if "\r" in spec.short_description or "\n" in spec.short_description:
        raise ManifestError("should not have line breaks in short description")
    if not spec.platforms:
        raise ManifestError("should have a platform specified")
    if spec.version == "":
        raise ManifestError("should have a version specified")
    try:
        parse_semver(spec.version)
    except ManifestError as exc:
        raise ManifestError(f"failed to parse plugin version: {exc}") from exc
    for platform in spec.platforms:
        try:
            validate_platform(platform)
        except ManifestError as exc:
            raise ManifestError(f"platform ({platform}) is badly constructed: {exc}") from exc


def validate_platform(p: Platform) -> None:
    if p.uri == "":
        raise ManifestError("`uri` has to be set")
    if p.sha256 == "":
        raise ManifestError("`sha256` sum has to be set")
    if not _SHA256.fullmatch(p.sha256):
        raise ManifestError(f"`sha256` value {p.sha256} is not valid, must match ^[a-f0-9]{{64}}$")
    if p.bin == "":
        raise ManifestError("`bin` has to be set")
    try:
        validate_files(p.files)
    except ManifestError as exc:
        raise ManifestError(f"`files` is invalid: {exc}") from exc
    try:
        validate_selector(p.selector)
    except ManifestError as exc:
        raise ManifestError(f"invalid platform selector: {exc}") from exc


def validate_files(files: list[FileOperation] | None) -> None:
    if files is None:
        return
    if not files:
        raise ManifestError("`files` has to be unspecified or non-empty")
    for op in files:
        if op.from_ == "":
            raise ManifestError("`from` field has to be set")
        if op.to == "":
            raise ManifestError("`to` field has to be set")


def validate_selector(sel: LabelSelector | None) -> None:
    if sel is None:
        raise ManifestError("nil selector is not supported")
    if sel.match_labels is None and not sel.match_expressions:
        raise ManifestError("empty selector is not supported")
    keys = [*(sel.match_labels or {}), *(e.key for e in sel.match_expressions or [])]
    for key in keys:
        if key not in ("os", "arch"):
            raise ManifestError(f"key {key!r} not supported")
    if sel.match_labels is not None and len(sel.match_labels) == 0:
        raise ManifestError("`matchLabels` specified but empty")
    if sel.match_expressions is not None and len(sel.match_expressions) == 0:
        raise ManifestError("`matchExpressions` specified but empty")


# --- label selectors (metav1.LabelSelectorAsSelector, labels.Requirement) -------------------


def _requirement(key: str, op: str, values: Sequence[str]) -> tuple[str, str, frozenset[str]]:
    """labels.NewRequirement's checks for the operators a LabelSelector can produce."""
    if op in ("In", "NotIn"):
        if not values:
            raise ManifestError("for 'in', 'notin' operators, values set can't be empty")
    elif op == "=":
        if len(values) != 1:
            raise ManifestError("exact-match compatibility requires one single value")
    elif op in ("Exists", "DoesNotExist") and values:
        raise ManifestError("values set must be empty for exists and does not exist")
    for value in values:
        if len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
            raise ManifestError(f"invalid label value: {value!r}")
    return key, op, frozenset(values)


def selector_matches(sel: LabelSelector | None, labels: Mapping[str, str]) -> bool:
    """LabelSelectorAsSelector(sel).Matches(labels); an invalid selector matches nothing.

    (cmd/validate-krew-manifest logs a conversion error and treats it as "no match".)
    """
    if sel is None:
        return False  # labels.Nothing()
    if not sel.match_labels and not sel.match_expressions:
        return True  # labels.Everything()
    try:
        reqs = [_requirement(k, "=", [v]) for k, v in (sel.match_labels or {}).items()]
        for expr in sel.match_expressions or []:
            if expr.operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
                raise ManifestError(f"{expr.operator!r} is not a valid label selector operator")
            reqs.append(_requirement(expr.key, expr.operator, expr.values or []))
    except ManifestError:
        return False
    for key, op, values in reqs:
        has = key in labels
        if op in ("=", "In") and not (has and labels[key] in values):
            return False
        if op == "NotIn" and has and labels[key] in values:
            return False
        if op == "Exists" and not has:
            return False
        if op == "DoesNotExist" and has:
            return False
    return True


def platform_labels(os_name: str, arch: str) -> dict[str, str]:
    return {"os": os_name, "arch": arch}


def find_any_matching_platform(sel: LabelSelector | None) -> tuple[str, str] | None:
    for os_name, arch in KREW_PLATFORMS:
        if selector_matches(sel, platform_labels(os_name, arch)):
            return os_name, arch
    return None


def matching_platform(plugin: Plugin, os_name: str, arch: str) -> Platform | None:
    """installation.GetMatchingPlatform: the first platform whose selector matches."""
    for platform in plugin.spec.platforms or []:
        if selector_matches(platform.selector, platform_labels(os_name, arch)):
            return platform
    return None


# --- cmd/validate-krew-manifest ---------------------------------------------------------------


def _line_length_ok(text: str, max_len: int) -> bool:
    """validateLineLength: long lines are fine only if they are a single word."""
    return all(len(line) <= max_len or " " not in line.strip() for line in text.split("\n"))


def validate_manifest(
    text: str, file_name: str, *, plugin_name: str | None = None
) -> tuple[Plugin, list[str]]:
    """validate-krew-manifest -skip-install: returns the plugin and krew's warnings.

    krew takes the plugin name from the file name (`pullsecret.yaml`, as in krew-index);
    `plugin_name` overrides that for files kept under another name in this repository, such
    as krew-manifest.yaml (`kubectl krew install --manifest` accepts any name).
    """
    plugin = decode_plugin(text)
    # ReadPluginFromFile validates against the manifest's own metadata.name first.
    try:
        validate_plugin(plugin.name, plugin)
    except ManifestError as exc:
        raise ManifestError(f"plugin manifest validation error: {exc}") from exc
    extension = Path(file_name).suffix
    if extension != MANIFEST_EXTENSION:
        raise ManifestError(
            f"expected manifest extension {MANIFEST_EXTENSION!r} but found {extension!r}"
        )
    name = plugin_name if plugin_name is not None else Path(file_name).stem
    try:
        validate_plugin(name, plugin)
    except ManifestError as exc:
        raise ManifestError(f"plugin validation error: {exc}") from exc

    warnings = []
    if not _line_length_ok(plugin.spec.description, 80):
        warnings.append("line length in `description` exceeds 80 characters")
    if not _line_length_ok(plugin.spec.short_description, 70):
        warnings.append("line length in `shortDescription` exceeds 70 characters")
    if not _line_length_ok(plugin.spec.caveats, 80):
        warnings.append("line length in `caveats` exceeds 80 characters")

    platforms = plugin.spec.platforms or []
    for i, platform in enumerate(platforms):
        if find_any_matching_platform(platform.selector) is None:
            raise ManifestError(
                f"spec.platform[{i}]'s selector ({platform.selector}) doesn't match any "
                "supported platforms"
            )
    for os_name, arch in KREW_PLATFORMS:
        hits = [
            i
            for i, p in enumerate(platforms)
            if selector_matches(p.selector, platform_labels(os_name, arch))
        ]
        if len(hits) > 1:
            raise ManifestError(
                f"overlapping platform selectors found: multiple spec.platforms (at indexes "
                f"{hits}) have overlapping selectors that select {os_name}/{arch}"
            )
    return plugin, warnings


# --- this project's conventions (krew-index review guidance, not krew code) -----------------

HOMEPAGE = "https://github.com/kubectl-pullsecret/kubectl-pullsecret"
SHORT_DESCRIPTION_MAX = 50
_COMMANDISH = re.compile(r"^\s*(\$ |kubectl\b|usage:|-{1,2}[a-z]|[a-z-]+ <)", re.IGNORECASE)


def check_policy(
    plugin: Plugin,
    *,
    expected_platforms: Sequence[tuple[str, str]],
    uri_for: Callable[[str, str, str], str] | None = None,
    bin_for: Callable[[str], str] | None = None,
) -> None:
    """Our own rules for the manifest, on top of krew's. Raises ManifestError."""
    spec = plugin.spec
    if len(spec.short_description) > SHORT_DESCRIPTION_MAX:
        raise ManifestError(
            f"shortDescription is {len(spec.short_description)} characters, "
            f"at most {SHORT_DESCRIPTION_MAX}"
        )
    if spec.short_description != spec.short_description.strip():
        raise ManifestError("shortDescription has surrounding whitespace")
    if spec.homepage != HOMEPAGE:
        raise ManifestError(f"homepage should be {HOMEPAGE}, not {spec.homepage!r}")
    lines = [line for line in spec.description.splitlines() if line.strip()]
    if not lines:
        raise ManifestError("description is empty")
    commandish = [line for line in lines if _COMMANDISH.match(line)]
    if len(commandish) * 2 >= len(lines):
        raise ManifestError("description reads like a command list; describe what the plugin does")
    for os_name, arch in expected_platforms:
        platform = matching_platform(plugin, os_name, arch)
        if platform is None:
            raise ManifestError(f"no platform entry for {os_name}/{arch}")
        labels = platform.selector.match_labels if platform.selector else None
        if (
            platform.selector is None
            or platform.selector.match_expressions
            or labels
            != {
                "os": os_name,
                "arch": arch,
            }
        ):
            raise ManifestError(f"{os_name}/{arch}: select with matchLabels os and arch only")
        if uri_for is not None and platform.uri != uri_for(spec.version, os_name, arch):
            raise ManifestError(f"{os_name}/{arch}: uri {platform.uri} is not the release asset")
        if bin_for is not None and platform.bin != bin_for(os_name):
            raise ManifestError(f"{os_name}/{arch}: bin should be {bin_for(os_name)}")
        if not any(op.from_ == "LICENSE" for op in platform.files or []):
            raise ManifestError(f"{os_name}/{arch}: LICENSE is not installed")
    extra = [p for p in spec.platforms or [] if find_any_matching_platform(p.selector) is None]
    if extra:
        raise ManifestError(f"platform entries that select nothing: {extra}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate a krew plugin manifest like krew.")
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--name", help="plugin name (default: from the file name)")
    args = parser.parse_args(argv)
    try:
        _, warnings = validate_manifest(
            args.manifest.read_text(encoding="utf-8"), args.manifest.name, plugin_name=args.name
        )
    except ManifestError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print("structural validation OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
