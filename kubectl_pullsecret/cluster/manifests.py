"""Kubernetes objects from local files, as `kubectl apply -f` reads them.

Files, folders (`-R` recurses) and standard input; multi-document YAML, JSON (one object, a
stream of them, or a `List`), and what `helm template` and `kustomize build` print. Input is
hostile: documents are read one at a time with a size cap, YAML aliases that expand beyond any
real manifest are refused, and every problem becomes a per-document warning, never a crash.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from kubectl_pullsecret.cluster.objects import decode_secret_data
from kubectl_pullsecret.errors import CommandError
from kubectl_pullsecret.kubelet.docker_config import (
    PULL_SECRET_TYPES,
    DecodedSecret,
    decode_config_file,
    decode_secret,
)

# kubectl reads these from a folder (FileExtensions in cli-runtime's resource builder).
MANIFEST_EXTENSIONS = (".json", ".yaml", ".yml")
# The API server refuses request bodies over 3 MiB; no real document is larger.
MAX_DOCUMENT_BYTES = 3 * 1024 * 1024
# Nodes a document may expand to through YAML aliases; real manifests have thousands at most.
MAX_EXPANDED_NODES = 1_000_000
_SEPARATOR = re.compile(rb"^---(?:[ \t].*)?\r?\n?$|^\.\.\.\r?\n?$")


@dataclass(frozen=True)
class Document:
    """One object read from the input, or why a document was skipped."""

    source: str  # "deploy.yaml", "deploy.yaml (document 3)", "- (document 2)"
    obj: dict[str, Any] | None = None
    warning: str = ""


def _files(paths: Iterable[str], recursive: bool) -> Iterator[str]:
    for path in paths:
        if path == "-":
            yield path
            continue
        if "://" in path:
            raise CommandError(f"-f {path}: URLs are not read; download the file first")
        if os.path.isdir(path):
            found = []
            for root, dirs, names in os.walk(path):
                dirs.sort()
                found += [
                    os.path.join(root, n) for n in sorted(names) if n.endswith(MANIFEST_EXTENSIONS)
                ]
                if not recursive:
                    break
            if not found:
                raise CommandError(
                    f"-f {path}: no .json, .yaml or .yml files in the folder"
                    + ("" if recursive else " (-R reads its subfolders)")
                )
            yield from found
        elif os.path.exists(path):
            yield path
        else:
            raise CommandError(f"-f {path}: no such file or folder")


def _raw_documents(stream: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Each YAML document's bytes, and whether it was cut at the size cap (then its bytes are
    only the start). A JSON file is one document. Memory stays bounded by the cap."""
    chunk: list[bytes] = []
    size, cut = 0, False
    for line in stream:
        if _SEPARATOR.match(line):
            yield b"".join(chunk), cut
            chunk, size, cut = [], 0, False
            continue
        size += len(line)
        if size > MAX_DOCUMENT_BYTES:
            cut = True
        if not cut:
            chunk.append(line)
    yield b"".join(chunk), cut


def _expanded_size(root: Any) -> int:
    """How many nodes a loaded document has once its aliases are expanded, or a number over
    the cap for one that refers to itself. Cost: one visit per distinct node."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        children = list(node.values()) if isinstance(node, dict) else node
        if done:
            visiting.discard(key)
            sizes[key] = min(
                MAX_EXPANDED_NODES + 1,
                1 + sum(sizes.get(id(c), 1) for c in children),
            )
            continue
        if key in sizes:
            continue
        if key in visiting:
            return MAX_EXPANDED_NODES + 1  # a document that contains itself
        visiting.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, (dict, list)))
    return sizes.get(id(root), 1)


def _parse(raw: bytes) -> list[Any]:
    """The objects of one document: YAML (libyaml's safe loader), or JSON, which may be a
    stream of objects as `kubectl get -o json` pipelines produce."""
    import yaml

    text = raw.decode("utf-8", "replace")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        decoder = json.JSONDecoder()
        objects, position = [], 0
        while position < len(stripped):
            value, end = decoder.raw_decode(stripped, position)
            objects.append(value)
            position = end
            while position < len(stripped) and stripped[position].isspace():
                position += 1
        return objects
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [yaml.load(text, Loader=loader)]


def _objects(source: str, raw: bytes, cut: bool) -> Iterator[Document]:
    if cut:
        yield Document(
            source,
            warning=f"larger than {MAX_DOCUMENT_BYTES >> 20} MiB, more than the API server "
            "accepts for one object: not read",
        )
        return
    if not raw.strip():
        return
    try:
        values = _parse(raw)
    except (ValueError, RecursionError) as exc:
        yield Document(source, warning=f"not JSON: {str(exc).splitlines()[0][:120]}")
        return
    except Exception as exc:  # yaml.YAMLError and what PyYAML raises for odd input
        reason = " ".join(str(exc).split())[:160]
        yield Document(source, warning=f"not YAML ({type(exc).__name__}: {reason})")
        return
    anchored = b"&" in raw  # no anchor, no alias: nothing can expand
    for value in values:
        if value is None:
            continue
        if anchored and _expanded_size(value) > MAX_EXPANDED_NODES:
            yield Document(
                source,
                warning="its YAML aliases expand beyond any real manifest (a YAML bomb?): not read",
            )
            continue
        yield from _expand_list(source, value)


def _expand_list(source: str, value: Any) -> Iterator[Document]:
    if not isinstance(value, dict):
        yield Document(source, warning=f"a {type(value).__name__}, not a Kubernetes object")
        return
    kind = value.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(value.get("items"), list):
        for index, item in enumerate(value["items"], 1):
            yield from _expand_list(f"{source} item {index}", item)
        return
    if not isinstance(kind, str) or not kind or not isinstance(value.get("apiVersion"), str):
        yield Document(source, warning="not a Kubernetes object (no apiVersion and kind)")
        return
    yield Document(source, value)


def read_manifests(paths: Iterable[str], recursive: bool, stdin: IO[bytes]) -> Iterator[Document]:
    """Every object in the files, folders and standard input (`-`), in order."""
    for path in _files(paths, recursive):
        name = "standard input" if path == "-" else path
        try:
            stream = stdin if path == "-" else open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(f"-f {path}: {exc.strerror}") from None
        try:
            # One document ahead: a file's documents are numbered only when it has several.
            documents = _raw_documents(stream)
            first = next(documents)
            following = next(documents, None)
            if following is None:
                yield from _objects(name, *first)
                continue
            yield from _objects(f"{name} (document 1)", *first)
            yield from _objects(f"{name} (document 2)", *following)
            for index, (raw, cut) in enumerate(documents, 3):
                yield from _objects(f"{name} (document {index})", raw, cut)
        except OSError as exc:
            raise CommandError(f"-f {path}: {exc.strerror or exc}") from None
        finally:
            if stream is not stdin:
                stream.close()


# --- credential files (`--file`) -----------------------------------------------------------


def decode_credentials_file(raw: bytes) -> DecodedSecret:
    """A file for `check --file`: a docker config.json, a legacy .dockercfg map, or a Secret
    manifest (YAML or JSON, `data` or `stringData`), decoded as the kubelet would."""
    decoded = decode_config_file(raw)
    if decoded is not None:
        return decoded
    manifest = _load_manifest(raw)
    if manifest is None:
        return DecodedSecret(
            "file", None, used=True, error="neither JSON nor a YAML Secret manifest"
        )
    return decode_secret_manifest(manifest)


def _load_manifest(raw: bytes) -> dict[str, Any] | None:
    import yaml

    text = raw.decode("utf-8", "replace")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        try:
            document = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError, TypeError, RecursionError):
            # PyYAML raises plain ValueError for impossible dates and the like.
            return None
    return document if isinstance(document, dict) and "kind" in document else None


def decode_secret_manifest(manifest: dict[str, Any]) -> DecodedSecret:
    """A Secret manifest as the API server would store it, decoded as the kubelet would."""
    if manifest.get("kind") != "Secret":
        return DecodedSecret(
            "file", None, used=True, error=f"a {manifest.get('kind')!s:.40} manifest, not a Secret"
        )
    data, broken = decode_secret_data(
        manifest.get("data") if isinstance(manifest.get("data"), dict) else {}
    )
    secret_type = manifest.get("type") if isinstance(manifest.get("type"), str) else "Opaque"
    string_data = manifest.get("stringData")
    if isinstance(string_data, dict):  # the API server merges stringData over data
        for key, value in string_data.items():
            # The API server refuses anything but strings; never str() it (an alias bomb).
            if not isinstance(value, str):
                return DecodedSecret(
                    secret_type,
                    str(key)[:60],
                    used=True,
                    error=f"stringData[{str(key)[:60]!r}] is not a string",
                )
            data[str(key)] = value.encode("utf-8", "surrogateescape")
    key = PULL_SECRET_TYPES.get(secret_type)
    if key in broken and key not in data:
        return DecodedSecret(
            secret_type, key, used=True, error=f"the {key} value is not valid base64"
        )
    return decode_secret(secret_type, data)


def sensitive_file_values(raw: bytes) -> list[str]:
    """Values in a local config that look like secret material: never echo them."""
    text = raw.decode("utf-8", "replace")
    return re.findall(
        r'"(?:auth|password|identitytoken|registrytoken|\.dockerconfigjson|\.dockercfg)"\s*:\s*"([^"]+)"',
        text,
        re.I,
    ) + re.findall(
        r"(?m)^\s*(?:\.dockerconfigjson|\.dockercfg|password|auth):\s*['\"]?([^'\"\s]+)", text
    )
