"""A named corpus of hostile input: pull secrets, local config files, image references, Pods
and Events, each with the verdict the kubelet's rules give (see
/work/shared/docs/kubelet-pull-semantics.md).

Pure data plus small builders; no pytest, no cluster. Three test modules run the same cases:
through the pure functions (test_corpus_unit), through `check --file` (test_corpus_files) and,
where the apiserver accepts them, as real objects through `show` and `diagnose pod`
(test_corpus_cluster).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tests.support.genuine_texts import anonymous_refused

DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson"
DOCKERCFG = "kubernetes.io/dockercfg"
OPAQUE = "Opaque"
DCJ_KEY = ".dockerconfigjson"
CFG_KEY = ".dockercfg"

REGISTRY = "registry.example.com"
IMAGE = f"{REGISTRY}/team/app:v1"
MIB = 1 << 20


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def auth(user: str | bytes, password: str | bytes) -> str:
    """The `auth` field: base64("user:password"), padded."""
    raw = (user if isinstance(user, bytes) else user.encode()) + b":"
    raw += password if isinstance(password, bytes) else password.encode()
    return b64(raw)


def config(auths: Mapping[str, Any]) -> bytes:
    """A `.dockerconfigjson` document."""
    return json.dumps({"auths": dict(auths)}).encode()


class Verdict(str, Enum):
    """What the kubelet makes of a pull secret (section 2 of the pull semantics)."""

    MALFORMED = "SecretMalformed"  # decoding fails: every pull secret of the Pod is refused
    IGNORED = "SecretWrongType"  # silently skipped: wrong type, missing or empty data key
    EMPTY = "empty"  # decodes, to zero registry entries
    OK = "ok"  # decodes to entries


@dataclass(frozen=True)
class Entry:
    key: str
    username: str
    password: str


@dataclass(frozen=True)
class SecretCase:
    """One broken (or tricky) pull secret.

    The secret is `type` + `data` (decoded bytes, base64-encoded on the way to the API) +
    `raw_data` (values written verbatim, i.e. not base64) + `string_data`; or, for a local file
    only, the file's bytes in `file`. `expect` is a substring of the decoding error (MALFORMED)
    or of the reason the kubelet ignores it (IGNORED).
    """

    name: str  # a DNS-1123 label: also the Secret's name
    verdict: Verdict
    expect: str = ""
    type: str = DOCKERCONFIGJSON
    data: Mapping[str, bytes] = field(default_factory=dict)
    raw_data: Mapping[str, str] = field(default_factory=dict)
    string_data: Mapping[str, str] = field(default_factory=dict)
    file: bytes | None = None
    file_format: str = "json"  # json | yaml: how the file for `check --file` is written
    # OK: every entry in order; None skips the comparison (the 1 MiB case counts instead).
    entries: tuple[Entry, ...] | None = ()
    n_entries: int | None = None
    image: str = IMAGE
    matches: tuple[str, ...] = ()  # the kubelet keys that match `image`, in the kubelet's order
    key_problem: str = ""  # what `show` and `diagnose` must say about a key itself (bad URL)
    near_miss: str = ""  # what `check` and `diagnose` must say of a key that misses `image`
    api: bool = True  # does the apiserver store it as a Secret?
    why_not_api: str = ""
    # Built to exhaust time or memory: tests decode it only in a child process with limits.
    bomb: bool = False

    def __post_init__(self) -> None:
        assert self.api or self.why_not_api, f"{self.name}: say why the apiserver refuses it"
        assert self.verdict in (Verdict.OK, Verdict.EMPTY) or self.expect, self.name

    @property
    def is_file(self) -> bool:
        return self.file is not None

    def api_object(self, namespace: str | None = None) -> dict[str, Any]:
        """The Secret as the API (or a manifest) writes it."""
        assert not self.is_file
        data = {k: b64(v) for k, v in self.data.items()}
        data.update(self.raw_data)
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": self.name, **({"namespace": namespace} if namespace else {})},
            "type": self.type,
        }
        if data or not self.string_data:
            obj["data"] = data
        if self.string_data:
            obj["stringData"] = dict(self.string_data)
        return obj

    def file_bytes(self) -> bytes:
        """What `check --file` reads: the local file, or the Secret written as a manifest."""
        if self.file is not None:
            return self.file
        if self.file_format == "yaml":
            import yaml

            return yaml.safe_dump(self.api_object(), sort_keys=False).encode()
        return json.dumps(self.api_object(), indent=2).encode()

    @property
    def filename(self) -> str:
        return self.name + (".yaml" if self.file_format == "yaml" else ".json")

    def needs_manifest(self) -> bool:
        """Only a manifest (not decode_secret on bytes) can express raw_data and stringData."""
        return bool(self.raw_data or self.string_data) or self.is_file


# --- the secrets --------------------------------------------------------------------------------

_GOOD = {REGISTRY: {"auth": auth("robot", "corpus-pass-good")}}
_UNPADDED = auth("robot", "corpus-pass-unpadded").rstrip("=")
assert len(_UNPADDED) % 4, "the value must need padding"


def _one_mib() -> tuple[bytes, int]:
    """A `.dockerconfigjson` of exactly 1 MiB (the apiserver's limit for a Secret's data):
    thousands of entries, the one for REGISTRY last."""
    head, tail = b'{"auths": {', b"}}"
    parts: list[bytes] = []
    size = len(head) + len(tail)
    last = b'"' + REGISTRY.encode() + b'": {"auth": "' + auth("big", "corpus-pass-big").encode()
    last += b'", "email": "'
    i = 0
    while True:
        part = json.dumps(
            {f"reg{i}.example.org": {"auth": auth(f"user{i}", f"pw-{i:06d}")}}
        ).encode()[1:-1]
        if size + len(part) + 2 + len(last) + 64 > MIB:
            break
        parts.append(part)
        size += len(part) + 2
        i += 1
    body = head + b", ".join(parts) + b", " + last
    pad = MIB - len(body) - len(b'"}') - len(tail)
    raw = body + b"x" * pad + b'"}' + tail
    assert len(raw) == MIB, len(raw)
    return raw, i + 1


ONE_MIB, ONE_MIB_ENTRIES = _one_mib()

# A Secret manifest in YAML whose stringData value is a "billion laughs" alias bomb: nine levels
# of nine aliases. Loading it is cheap (aliases are shared references); turning the value into
# a string is 9**9 list elements.
_ALIAS_BOMB = "\n".join(
    [
        "apiVersion: v1",
        "kind: Secret",
        "metadata: {name: alias-bomb}",
        "type: kubernetes.io/dockerconfigjson",
        'a0: &a0 ["lol"]',
        *(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)),
        "stringData:",
        "  .dockerconfigjson: *a9",
        "",
    ]
).encode()

SECRETS: tuple[SecretCase, ...] = (
    # -- not even JSON
    SecretCase(
        "not-base64",
        Verdict.MALFORMED,
        "the .dockerconfigjson value is not valid base64",
        raw_data={DCJ_KEY: "this is *not* base64!"},
        api=False,
        why_not_api="400: the API decodes data values as base64",
    ),
    SecretCase(
        "base64-not-json",
        Verdict.MALFORMED,
        "invalid JSON",
        data={DCJ_KEY: b"this is not json"},
        api=False,
        why_not_api="422: the apiserver validates the JSON of docker types",
    ),
    SecretCase(
        "opaque-not-json",
        Verdict.IGNORED,
        "type Opaque is not a docker-registry type although it holds .dockerconfigjson",
        type=OPAQUE,
        data={DCJ_KEY: b"this is not json"},
    ),
    SecretCase(
        "json-array",
        Verdict.MALFORMED,
        "the config is a JSON array, not an object",
        data={DCJ_KEY: b"[]"},
        api=False,
        why_not_api="422: cannot unmarshal array into a map",
    ),
    SecretCase(
        "json-string",
        Verdict.MALFORMED,
        "the config is a JSON string, not an object",
        data={DCJ_KEY: b'"hello"'},
        api=False,
        why_not_api="422: cannot unmarshal string into a map",
    ),
    SecretCase(
        "dockercfg-array",
        Verdict.MALFORMED,
        "not an object",
        type=DOCKERCFG,
        data={CFG_KEY: b'[{"auth": "eDp5"}]'},
        api=False,
        why_not_api="422: cannot unmarshal array into a map",
    ),
    SecretCase(
        "json-nan",
        Verdict.MALFORMED,
        "invalid JSON",
        data={DCJ_KEY: b'{"auths": NaN}'},
        api=False,
        why_not_api="422: Go's JSON has no NaN",
    ),
    SecretCase(
        "json-too-deep",
        Verdict.MALFORMED,
        "invalid JSON",
        data={DCJ_KEY: b'{"auths": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"},
        api=False,
        why_not_api="422: Go's decoder stops at depth 10000",
    ),
    # -- JSON of the wrong shape (the apiserver only checks that it is a JSON object)
    SecretCase(
        "auths-array",
        Verdict.MALFORMED,
        "auths is a",  # ... array, not an object
        data={DCJ_KEY: b'{"auths": []}'},
    ),
    SecretCase(
        "auths-string",
        Verdict.MALFORMED,
        "auths is a string, not an object",
        data={DCJ_KEY: json.dumps({"auths": REGISTRY}).encode()},
    ),
    SecretCase(
        "entry-string",
        Verdict.MALFORMED,
        f"entry '{REGISTRY}': cannot unmarshal string into an object",
        data={DCJ_KEY: config({REGISTRY: "robot:corpus-pass-entry-string"})},
    ),
    SecretCase(
        "entry-number",
        Verdict.MALFORMED,
        f"entry '{REGISTRY}': cannot unmarshal number into an object",
        data={DCJ_KEY: config({REGISTRY: 5})},
    ),
    SecretCase(
        "field-not-string",
        Verdict.MALFORMED,
        "field 'username' is a number, not a string",
        data={DCJ_KEY: config({REGISTRY: {"username": 42, "password": "corpus-pass-42"}})},
    ),
    SecretCase(
        "auth-not-base64-padded",
        Verdict.MALFORMED,
        f"entry '{REGISTRY}': auth is not valid base64",
        data={DCJ_KEY: config({REGISTRY: {"auth": "not*base64=="}})},
    ),
    SecretCase(
        "auth-not-base64-unpadded",
        Verdict.MALFORMED,
        f"entry '{REGISTRY}': auth is not valid base64",
        data={DCJ_KEY: config({REGISTRY: {"auth": "not*base64"}})},
    ),
    SecretCase(
        # Ends in '=', so Go decodes it padded: 13 characters are not a padded length.
        "auth-bad-padding",
        Verdict.MALFORMED,
        "auth is not valid base64",
        data={DCJ_KEY: config({REGISTRY: {"auth": "dXNlcjpwYXNz="}})},
    ),
    SecretCase(
        # No trailing '=': Go's RawStdEncoding decodes it.
        "auth-unpadded-ok",
        Verdict.OK,
        data={DCJ_KEY: config({REGISTRY: {"auth": _UNPADDED}})},
        entries=(Entry(REGISTRY, "robot", "corpus-pass-unpadded"),),
        matches=(REGISTRY,),
    ),
    SecretCase(
        "auth-no-colon",
        Verdict.MALFORMED,
        "has no colon",
        data={DCJ_KEY: config({REGISTRY: {"auth": b64("robotcorpus-pass-nocolon")}})},
    ),
    SecretCase(
        "password-with-colons",
        Verdict.OK,
        data={DCJ_KEY: config({REGISTRY: {"auth": auth("robot", "corpus:pass:with:colons")}})},
        entries=(Entry(REGISTRY, "robot", "corpus:pass:with:colons"),),
        matches=(REGISTRY,),
    ),
    SecretCase(
        "auth-differs",
        Verdict.OK,
        data={
            DCJ_KEY: config(
                {
                    REGISTRY: {
                        "username": "written",
                        "password": "corpus-pass-written",
                        "auth": auth("robot", "corpus-pass-auth-wins"),
                    }
                }
            )
        },
        entries=(Entry(REGISTRY, "robot", "corpus-pass-auth-wins"),),
        matches=(REGISTRY,),
        key_problem="AuthFieldMismatch",
    ),
    # -- ignored: the kubelet skips these silently
    SecretCase(
        "empty-dockerconfigjson",
        Verdict.IGNORED,
        "data key .dockerconfigjson is empty",
        data={DCJ_KEY: b""},
        api=False,
        why_not_api="422: empty JSON",
    ),
    SecretCase(
        "missing-data-key",
        Verdict.IGNORED,
        "data key .dockerconfigjson is missing",
        data={},
        api=False,
        why_not_api="422: .dockerconfigjson is required",
    ),
    SecretCase(
        "wrong-data-key",
        Verdict.IGNORED,
        "data key .dockerconfigjson is missing",
        data={CFG_KEY: config(_GOOD)},
        api=False,
        why_not_api="422: .dockerconfigjson is required",
    ),
    SecretCase(
        "opaque-valid-config",
        Verdict.IGNORED,
        "type Opaque is not a docker-registry type although it holds .dockerconfigjson",
        type=OPAQUE,
        data={DCJ_KEY: config({REGISTRY: {"auth": auth("robot", "corpus-pass-opaque")}})},
    ),
    # -- decodes, to nothing useful
    SecretCase("json-null", Verdict.EMPTY, data={DCJ_KEY: b"null"}),
    SecretCase(
        # The legacy bare map in the new type: no "auths", so zero entries.
        "bare-map-in-dockerconfigjson",
        Verdict.EMPTY,
        data={DCJ_KEY: json.dumps(_GOOD).encode()},
    ),
    SecretCase(
        # The new format in the legacy type: one entry whose key is the word "auths".
        "auths-wrapper-in-dockercfg",
        Verdict.OK,
        type=DOCKERCFG,
        data={CFG_KEY: config(_GOOD)},
        entries=(Entry("auths", "", ""),),
    ),
    # -- other forms that work
    SecretCase(
        "stringdata-manifest",
        Verdict.OK,
        string_data={
            DCJ_KEY: config({REGISTRY: {"auth": auth("robot", "corpus-pass-stringdata")}}).decode()
        },
        entries=(Entry(REGISTRY, "robot", "corpus-pass-stringdata"),),
        matches=(REGISTRY,),
        file_format="yaml",
    ),
    SecretCase(
        "legacy-dockercfg",
        Verdict.OK,
        type=DOCKERCFG,
        data={
            CFG_KEY: json.dumps(
                {REGISTRY: {"auth": auth("legacy", "corpus-pass-legacy"), "email": "a@b.c"}}
            ).encode()
        },
        entries=(Entry(REGISTRY, "legacy", "corpus-pass-legacy"),),
        matches=(REGISTRY,),
    ),
    # -- keys
    SecretCase(
        "garbage-url-keys",
        Verdict.OK,
        data={
            DCJ_KEY: config(
                {
                    "ht tp://bad host": {"auth": auth("g1", "corpus-pass-g1")},
                    f"{REGISTRY}:port": {"auth": auth("g2", "corpus-pass-g2")},
                    "%zz": {"auth": auth("g3", "corpus-pass-g3")},
                    REGISTRY: {"auth": auth("robot", "corpus-pass-g4")},
                }
            )
        },
        entries=(
            Entry("ht tp://bad host", "g1", "corpus-pass-g1"),
            Entry(f"{REGISTRY}:port", "g2", "corpus-pass-g2"),
            Entry("%zz", "g3", "corpus-pass-g3"),
            Entry(REGISTRY, "robot", "corpus-pass-g4"),
        ),
        matches=(REGISTRY,),
        key_problem="is not a valid URL",
    ),
    SecretCase(
        "ipv6-keys",
        Verdict.OK,
        data={
            DCJ_KEY: config(
                {
                    "[::1]:5000": {"auth": auth("v6", "corpus-pass-v6")},
                    "https://[2001:db8::1]/v2/": {"auth": auth("v6b", "corpus-pass-v6b")},
                }
            )
        },
        entries=(
            Entry("[::1]:5000", "v6", "corpus-pass-v6"),
            Entry("https://[2001:db8::1]/v2/", "v6b", "corpus-pass-v6b"),
        ),
        image="[::1]:5000/team/app:v1",
        matches=("[::1]:5000",),
    ),
    SecretCase(
        # The kubelet compares hosts case-sensitively: an uppercase key misses a lowercase image.
        "uppercase-key",
        Verdict.OK,
        data={DCJ_KEY: config({REGISTRY.upper(): {"auth": auth("upper", "corpus-pass-upper")}})},
        entries=(Entry(REGISTRY.upper(), "upper", "corpus-pass-upper"),),
        near_miss="letter case",
    ),
    SecretCase(
        "uppercase-key-uppercase-image",
        Verdict.OK,
        data={DCJ_KEY: config({REGISTRY.upper(): {"auth": auth("upper", "corpus-pass-upper2")}})},
        entries=(Entry(REGISTRY.upper(), "upper", "corpus-pass-upper2"),),
        image=f"{REGISTRY.upper()}/team/app:v1",
        matches=(REGISTRY.upper(),),
    ),
    # -- bytes that are not text
    SecretCase(
        "nul-outside-strings",
        Verdict.MALFORMED,
        "invalid JSON",
        data={DCJ_KEY: b'{"auths":\x00{}}'},
        api=False,
        why_not_api="422: invalid JSON",
    ),
    SecretCase(
        "nul-inside-string",
        Verdict.MALFORMED,
        "invalid JSON",
        data={DCJ_KEY: b'{"auths": {"' + REGISTRY.encode() + b'": {"username": "a\x00b"}}}'},
        api=False,
        why_not_api="422: a raw control character in a JSON string",
    ),
    SecretCase(
        "escaped-nul-in-auth",
        Verdict.OK,
        data={DCJ_KEY: config({REGISTRY: {"auth": auth("ro\x00bot", "corpus-pass-\x00-nul")}})},
        entries=(Entry(REGISTRY, "ro\x00bot", "corpus-pass-\x00-nul"),),
        matches=(REGISTRY,),
    ),
    SecretCase(
        # Go replaces invalid UTF-8 inside JSON strings with U+FFFD, one per bad byte.
        "invalid-utf8-in-json",
        Verdict.OK,
        data={
            DCJ_KEY: b'{"auths": {"'
            + REGISTRY.encode()
            + b'": {"username": "\xff\xferobot", "password": "corpus-pass-\xc3"}}}'
        },
        entries=(Entry(REGISTRY, "\ufffd\ufffdrobot", "corpus-pass-\ufffd"),),
        matches=(REGISTRY,),
    ),
    SecretCase(
        # Inside `auth` the bytes survive decoding as they are (Go strings are bytes).
        "invalid-utf8-in-auth",
        Verdict.OK,
        data={DCJ_KEY: config({REGISTRY: {"auth": auth(b"\xffrobot", b"corpus-pass-\xfe")}})},
        entries=(Entry(REGISTRY, "\udcffrobot", "corpus-pass-\udcfe"),),
        matches=(REGISTRY,),
    ),
    SecretCase(
        "one-mib",
        Verdict.OK,
        data={DCJ_KEY: ONE_MIB},
        entries=None,
        n_entries=ONE_MIB_ENTRIES,
        matches=(REGISTRY,),
    ),
    # -- local files only (check --file)
    SecretCase(
        "local-config-json",
        Verdict.OK,
        file=config({f"https://{REGISTRY}/v1/": {"auth": auth("local", "corpus-pass-local")}}),
        entries=(Entry(f"https://{REGISTRY}/v1/", "local", "corpus-pass-local"),),
        matches=(REGISTRY,),
        api=False,
        why_not_api="a local file",
    ),
    SecretCase(
        "local-dockercfg-file",
        Verdict.OK,
        file=json.dumps({REGISTRY: {"auth": auth("local", "corpus-pass-localcfg")}}).encode(),
        entries=(Entry(REGISTRY, "local", "corpus-pass-localcfg"),),
        matches=(REGISTRY,),
        api=False,
        why_not_api="a local file",
    ),
    SecretCase(
        "local-empty-file",
        Verdict.MALFORMED,
        "neither JSON nor a YAML Secret manifest",
        file=b"",
        api=False,
        why_not_api="a local file",
    ),
    SecretCase(
        "local-binary-garbage",
        Verdict.MALFORMED,
        "neither JSON nor a YAML Secret manifest",
        file=bytes(range(256)) * 4,
        api=False,
        why_not_api="a local file",
    ),
    SecretCase(
        # A YAML timestamp that is no date: PyYAML raises ValueError, not YAMLError.
        "yaml-impossible-date",
        Verdict.MALFORMED,
        "neither JSON nor a YAML Secret manifest",
        file=(
            b"apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\n"
            b"metadata: {name: x, creationTimestamp: 2024-13-45}\n"
        ),
        file_format="yaml",
        api=False,
        why_not_api="a local file",
    ),
    SecretCase(
        # stringData values are strings; kubectl refuses a mapping here.
        "stringdata-not-a-string",
        Verdict.MALFORMED,
        "not a string",
        file=(
            b"apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\n"
            b"stringData:\n  .dockerconfigjson:\n    auths:\n      registry.example.com:\n"
            b"        username: robot\n        password: corpus-pass-yaml-map\n"
        ),
        file_format="yaml",
        api=False,
        why_not_api="a local file",
    ),
    SecretCase(
        "yaml-alias-bomb",
        Verdict.MALFORMED,
        "not a string",
        file=_ALIAS_BOMB,
        file_format="yaml",
        api=False,
        bomb=True,
        why_not_api="a local file",
    ),
)

SECRETS_BY_NAME = {c.name: c for c in SECRETS}
assert len(SECRETS_BY_NAME) == len(SECRETS), "duplicate case names"


# --- image references ----------------------------------------------------------------------------

HEX64 = "0123456789abcdef" * 4


@dataclass(frozen=True)
class ImageCase:
    name: str  # a DNS-1123 label: also the container's name in the cluster tests
    image: str
    repository: str | None  # None: the kubelet refuses it (InvalidImageName)
    error: str = ""  # a substring of the reason, when invalid
    reference: str | None = None  # tag or digest the runtime asks for, when it matters
    api: bool = True  # the apiserver refuses leading/trailing whitespace and empty images


IMAGES: tuple[ImageCase, ...] = (
    ImageCase("missing-tag", "nginx", "docker.io/library/nginx", reference="latest"),
    ImageCase("hub-user", "registry-user/app:v1", "docker.io/registry-user/app", reference="v1"),
    ImageCase("legacy-hub", "index.docker.io/nginx", "docker.io/library/nginx"),
    ImageCase(
        "digest-only",
        f"nginx@sha256:{HEX64}",
        "docker.io/library/nginx",
        reference=f"sha256:{HEX64}",
    ),
    ImageCase(
        "tag-and-digest",
        f"{REGISTRY}/team/app:v1@sha256:{HEX64}",
        f"{REGISTRY}/team/app",
        reference=f"sha256:{HEX64}",
    ),
    ImageCase(
        "uppercase-domain", "Registry.Example.COM/team/app:v1", "Registry.Example.COM/team/app"
    ),
    ImageCase("uppercase-localhost", "LOCALHOST/app", "LOCALHOST/app"),
    ImageCase("localhost", "localhost/app", "localhost/app"),
    ImageCase("localhost-bare", "localhost", "docker.io/library/localhost"),
    ImageCase("localhost-port", "localhost:5000/team/app:v1", "localhost:5000/team/app"),
    ImageCase("port", f"{REGISTRY}:5000/team/app", f"{REGISTRY}:5000/team/app"),
    ImageCase("ipv6-port", "[::1]:5000/team/app:v1", "[::1]:5000/team/app"),
    ImageCase("ipv6-no-port", "[2001:db8::1]/team/app", "[2001:db8::1]/team/app"),
    ImageCase("uppercase-path", f"{REGISTRY}/Team/app", None, "must be lowercase"),
    ImageCase("uppercase-hub", "NGINX", None, "must be lowercase"),
    ImageCase("digest-too-short-for-grammar", "nginx@sha256:abc", None, "invalid reference format"),
    ImageCase("digest-wrong-length", "nginx@sha256:" + "a" * 32, None, "digest"),
    ImageCase("unknown-digest", f"nginx@md5:{HEX64}", None, "digest"),
    ImageCase("ipv6-zone", "[fe80::1%eth0]:5000/app", None, "invalid reference format"),
    ImageCase("port-not-number", f"{REGISTRY}:abc/app", None, "invalid reference format"),
    ImageCase("trailing-colon", "nginx:", None, "invalid reference format"),
    ImageCase("double-slash", f"{REGISTRY}//app", None, "invalid reference format"),
    ImageCase("hex64", "a" * 64, None, "64-byte hexadecimal"),
    ImageCase("too-long", f"{REGISTRY}/" + "a" * 300, None, "255"),
    ImageCase("terminal-escape", "nginx\x1b[31m", None, "invalid reference format"),
    ImageCase("empty", "", None, "", api=False),
    ImageCase("leading-space", " nginx", None, "invalid reference format", api=False),
)

IMAGES_BY_NAME = {c.name: c for c in IMAGES}
assert len(IMAGES_BY_NAME) == len(IMAGES)


# --- Pods and Events as the API might return them ------------------------------------------------


@dataclass(frozen=True)
class PodCase:
    """A Pod document (maybe odd) and what the diagnosis must make of it, per container."""

    name: str
    pod: dict[str, Any]
    # (kind, container name, state, a Problem code that must be there or "") per report, in order
    reports: tuple[tuple[str, str, str, str], ...]
    pull_secrets: tuple[str, ...] = ()  # the names the diagnosis consults


def _meta(name: str) -> dict[str, Any]:
    return {"name": name, "namespace": "corpus", "uid": f"uid-{name}"}


def _waiting(name: str, reason: str, message: str = "") -> dict[str, Any]:
    waiting = {"reason": reason, **({"message": message} if message else {})}
    return {"name": name, "state": {"waiting": waiting}, "ready": False, "restartCount": 0}


RUNTIME_401 = anonymous_refused(IMAGE)

PODS: tuple[PodCase, ...] = (
    PodCase(
        "no-status",
        {"metadata": _meta("no-status"), "spec": {"containers": [{"name": "app", "image": IMAGE}]}},
        (("containers", "app", "Unknown", ""),),
    ),
    PodCase(
        "status-null",
        {
            "metadata": _meta("status-null"),
            "spec": {"containers": [{"name": "app", "image": IMAGE}]},
            "status": None,
        },
        (("containers", "app", "Unknown", ""),),
    ),
    PodCase(
        "status-garbage",
        {
            "metadata": _meta("status-garbage"),
            "spec": {"containers": [{"name": "app", "image": IMAGE}]},
            "status": {"phase": 5, "containerStatuses": "oops", "initContainerStatuses": [None, 7]},
        },
        (("containers", "app", "Unknown", ""),),
    ),
    PodCase(
        "no-spec",
        {"metadata": _meta("no-spec")},
        (),
    ),
    PodCase(
        "metadata-garbage",
        {"metadata": "x", "spec": {"containers": [{"name": "app", "image": IMAGE}]}},
        (("containers", "app", "Unknown", ""),),
    ),
    PodCase(
        "init-container-failing",
        {
            "metadata": _meta("init-container-failing"),
            "spec": {
                "initContainers": [{"name": "setup", "image": IMAGE}],
                "containers": [{"name": "app", "image": "nginx"}],
            },
            "status": {
                "phase": "Pending",
                "initContainerStatuses": [
                    _waiting("setup", "ImagePullBackOff", f'Back-off pulling image "{IMAGE}"')
                ],
                "containerStatuses": [_waiting("app", "PodInitializing")],
            },
        },
        (
            ("initContainers", "setup", "ImagePullBackOff", "NoPullSecrets"),
            ("containers", "app", "PodInitializing", ""),
        ),
    ),
    PodCase(
        "ephemeral-container-failing",
        {
            "metadata": _meta("ephemeral-container-failing"),
            "spec": {
                "containers": [{"name": "app", "image": "nginx"}],
                "ephemeralContainers": [{"name": "debug", "image": IMAGE}],
                "imagePullSecrets": [{"name": "regcred"}],
            },
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {"name": "app", "state": {"running": {}}, "ready": True, "restartCount": 0}
                ],
                "ephemeralContainerStatuses": [_waiting("debug", "ErrImagePull", RUNTIME_401)],
            },
        },
        (
            ("containers", "app", "Running", ""),
            ("ephemeralContainers", "debug", "ErrImagePull", "SecretNotFound"),
        ),
        pull_secrets=("regcred",),
    ),
    PodCase(
        "empty-pull-secret-names",
        {
            "metadata": _meta("empty-pull-secret-names"),
            "spec": {
                "containers": [{"name": "app", "image": IMAGE}],
                "imagePullSecrets": [{}, {"name": ""}, {"name": None}, {"name": "regcred"}],
            },
            "status": {
                "phase": "Pending",
                "containerStatuses": [_waiting("app", "ImagePullBackOff")],
            },
        },
        (("containers", "app", "ImagePullBackOff", "SecretNotFound"),),
        pull_secrets=("regcred",),
    ),
    PodCase(
        "pull-secrets-not-a-list",
        {
            "metadata": _meta("pull-secrets-not-a-list"),
            "spec": {
                "containers": [{"name": "app", "image": IMAGE}],
                "imagePullSecrets": "regcred",
            },
            "status": {"phase": "Pending", "containerStatuses": [_waiting("app", "ErrImagePull")]},
        },
        (("containers", "app", "ErrImagePull", "NoPullSecrets"),),
    ),
    PodCase(
        "container-without-image",
        {"metadata": _meta("container-without-image"), "spec": {"containers": [{"name": "app"}]}},
        (("containers", "app", "Unknown", "InvalidImageName"),),
    ),
    PodCase(
        "image-not-a-string",
        {
            "metadata": _meta("image-not-a-string"),
            "spec": {"containers": [{"name": "app", "image": 42}]},
        },
        (("containers", "app", "Unknown", "InvalidImageName"),),
    ),
    PodCase(
        "containers-not-objects",
        {"metadata": _meta("containers-not-objects"), "spec": {"containers": ["x", None]}},
        (("containers", "", "Unknown", "InvalidImageName"),) * 2,
    ),
)

PODS_BY_NAME = {c.name: c for c in PODS}
assert len(PODS_BY_NAME) == len(PODS)


# Events as a hostile or sloppy writer might leave them: fields missing or of the wrong type.
ODD_EVENTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("empty", {}),
    ("reason-only", {"reason": "Failed"}),
    ("wrong-types", {"reason": 5, "message": ["x"], "count": "3", "involvedObject": "pod/x"}),
    (
        "fieldpath-garbage",
        {
            "reason": "Failed",
            "message": f'Failed to pull image "{IMAGE}": manifest unknown',
            "involvedObject": {"kind": "Pod", "name": "p", "fieldPath": "spec.containers{app"},
        },
    ),
    (
        "hostile-message",
        {
            "reason": "Failed",
            "type": "Warning",
            "message": f'Failed to pull image "{IMAGE}": \x1b[2J\x1b]0;pwned\x07 401 Unauthorized '
            'Authorization: Basic cm9ib3Q6c2VjcmV0LXB3 password="hunter2-corpus"\r\n\x00',
            "involvedObject": {"kind": "Pod", "name": "p", "fieldPath": "spec.containers{app}"},
            "count": -1,
            "series": "x",
        },
    ),
)
