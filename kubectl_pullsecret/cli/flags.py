"""The flags, declared once: kubectl's connection flags for every command, and the shared ones.

kubectl lets its global flags stand anywhere on the line, so each command takes them itself;
`kubectl_flags` adds them to a command's signature and hands the command one `KubeOptions`,
and `kubectl_argv` moves those given before the subcommand after it.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from kubectl_pullsecret.cluster.kubeconfig import KubeOptions, parse_request_timeout
from kubectl_pullsecret.secrecy import remember


class Output(str, Enum):
    table = "table"
    wide = "wide"
    json = "json"
    yaml = "yaml"


class ShowOutput(str, Enum):
    table = "table"
    json = "json"
    yaml = "yaml"


class CheckOutput(str, Enum):
    table = "table"
    wide = "wide"
    json = "json"
    yaml = "yaml"
    junit = "junit"


@dataclass(frozen=True)
class _Flag:
    names: tuple[str, ...]
    help: str
    metavar: str = ""  # none: a boolean flag
    repeatable: bool = False

    @property
    def takes_value(self) -> bool:
        return bool(self.metavar)

    @property
    def annotation(self) -> Any:
        kind = (list[str] | None if self.repeatable else str | None) if self.metavar else bool
        option = typer.Option(
            *self.names, help=self.help, metavar=self.metavar or None, show_default=False
        )
        return Annotated[kind, option]


# kubectl's global flags (cli-runtime ConfigFlags), by KubeOptions field.
_CONNECTION: dict[str, _Flag] = {
    "namespace": _Flag(("-n", "--namespace"), "The namespace (default: the context's).", "NS"),
    "kubeconfig": _Flag(("--kubeconfig",), "Path to the kubeconfig file to use.", "PATH"),
    "context": _Flag(("--context",), "The kubeconfig context to use.", "NAME"),
    "cluster": _Flag(("--cluster",), "The kubeconfig cluster to use.", "NAME"),
    "user": _Flag(("--user",), "The kubeconfig user to use.", "NAME"),
    "request_timeout": _Flag(
        ("--request-timeout",),
        "Time to wait for each API request, e.g. 30s, 2m; 0 means no timeout.",
        "DURATION",
    ),
    "server": _Flag(("-s", "--server"), "The address and port of the API server.", "URL"),
    "token": _Flag(("--token",), "Bearer token for the API server.", "TOKEN"),
    "impersonate": _Flag(("--as",), "Username to impersonate for the operation.", "USER"),
    "impersonate_groups": _Flag(
        ("--as-group",), "Group to impersonate (repeatable).", "GROUP", repeatable=True
    ),
    "impersonate_uid": _Flag(("--as-uid",), "UID to impersonate for the operation.", "UID"),
    "certificate_authority": _Flag(
        ("--certificate-authority",), "Path to a cert file for the certificate authority.", "PATH"
    ),
    "client_certificate": _Flag(
        ("--client-certificate",), "Path to a client certificate file for TLS.", "PATH"
    ),
    "client_key": _Flag(("--client-key",), "Path to a client key file for TLS.", "PATH"),
    "insecure_skip_tls_verify": _Flag(
        ("--insecure-skip-tls-verify",), "Do not check the API server's certificate (insecure)."
    ),
    "tls_server_name": _Flag(
        ("--tls-server-name",), "Server name to check the API server's certificate against.", "NAME"
    ),
    "username": _Flag(("--username",), "Deprecated: basic authentication username.", "USER"),
    "password": _Flag(("--password",), "Deprecated: basic authentication password.", "PASSWORD"),
    # Accepted as kubectl accepts them: nothing is cached (the plugin writes nothing), and no
    # response is compressed (no request asks for compression).
    "cache_dir": _Flag(("--cache-dir",), "Accepted; nothing is cached.", "DIR"),
    "disable_compression": _Flag(
        ("--disable-compression",), "Accepted; responses are never compressed."
    ),
}
_ACCEPTED_ONLY = ("cache_dir", "disable_compression")

# Every spelling of a connection flag -> (KubeOptions field, takes a value).
CONNECTION_FLAGS: dict[str, tuple[str, bool]] = {
    name: (field, flag.takes_value) for field, flag in _CONNECTION.items() for name in flag.names
}
# pflag's ParseBool: kubectl takes `--insecure-skip-tls-verify=true` as well as the bare flag.
_GO_BOOLEANS = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}


def kube_options(values: Mapping[str, Any]) -> KubeOptions:
    """KubeOptions from flag values by field name; empty values count as not given, as in
    kubectl (clientcmd merges only non-empty overrides)."""
    fields: dict[str, Any] = {}
    for name, value in values.items():
        if name in _ACCEPTED_ONLY or name not in _CONNECTION:
            continue
        if name == "impersonate_groups":
            fields[name] = tuple(g for g in value or () if g)
        elif name == "request_timeout":
            fields[name] = parse_request_timeout(value)
        else:
            fields[name] = value or (None if _CONNECTION[name].takes_value else False)
    return KubeOptions(**fields)


def kubectl_argv(argv: Sequence[str]) -> list[str]:
    """The command line as kubectl reads it, made one Typer reads alike: `--flag=true|false`
    for kubectl's boolean flags, and its global flags before the subcommand moved after it."""
    args: list[str] = []
    hoisted: list[str] = []
    leading = True  # before the first subcommand word
    index = 0
    while index < len(argv):
        word = argv[index]
        index += 1
        name, has_value, value = word.partition("=")
        field = CONNECTION_FLAGS.get(name)
        if field is not None and not field[1] and has_value and value in _GO_BOOLEANS:
            if not _GO_BOOLEANS[value]:
                continue
            word = name
        if word == "--":
            args += argv[index - 1 :]
            break
        if leading and field is not None:
            hoisted.append(word)
            if field[1] and not has_value and index < len(argv):
                hoisted.append(argv[index])
                index += 1
            continue
        if not word.startswith("-"):
            leading = False
        args.append(word)
    if "--" in args:
        cut = args.index("--")
        return args[:cut] + hoisted + args[cut:]
    return args + hoisted


F = TypeVar("F", bound=Callable[..., Any])


def kubectl_flags(command: F) -> F:
    """Give `command` kubectl's connection flags; it receives them as `connection: KubeOptions`."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "connection"]
    added = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None if flag.takes_value else False,
            annotation=flag.annotation,
        )
        for name, flag in _CONNECTION.items()
    ]

    @functools.wraps(command)
    def with_connection(**values: Any) -> Any:
        flags = {name: values.pop(name) for name in _CONNECTION}
        # Secret from the start: an error quoting them is filtered (secrecy.redact).
        remember(v for v in (flags["token"], flags["password"]) if v)
        if flags["username"] or flags["password"]:
            sys.stderr.write(
                "warning: --username and --password are deprecated (basic authentication was "
                "removed from the API server in Kubernetes 1.19); use --token or a client "
                "certificate\n"
            )
        return command(connection=kube_options(flags), **values)

    # In --help: the command's own flags, then kubectl's, then --debug.
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
    last = [p for p in own if p.name == "debug"]
    parameters = [p for p in own if p.name != "debug"] + added + last
    with_connection.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    with_connection.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_connection  # type: ignore[return-value]


Debug = Annotated[
    bool, typer.Option("--debug", help="Log API requests and print tracebacks (never credentials).")
]
AllNamespaces = Annotated[
    bool, typer.Option("-A", "--all-namespaces", help="Look in every namespace.")
]
Selector = Annotated[
    str | None,
    typer.Option("-l", "--selector", help="Label selector, e.g. app=web.", metavar="SELECTOR"),
]
NoHeaders = Annotated[
    bool, typer.Option("--no-headers", help="Print table rows only, no header or details.")
]
Verify = Annotated[
    bool,
    typer.Option(
        "--verify",
        help="Ask each registry, live, whether the credentials can pull (TLS verified; see README).",
    ),
]
InsecureRegistry = Annotated[
    list[str],
    typer.Option(
        "--insecure-registry",
        help="With --verify: allow plain http or an unverified certificate for this registry only (repeatable).",
        metavar="HOST[:PORT]",
    ),
]
RegistryCA = Annotated[
    Path | None,
    typer.Option("--registry-ca", help="With --verify: also trust this CA bundle.", metavar="FILE"),
]

AllContexts = Annotated[
    bool,
    typer.Option(
        "--all-contexts",
        help="Read every context of the kubeconfig, each with its own cluster, user and "
        "namespace: one report, with a CONTEXT column.",
    ),
]
Contexts = Annotated[
    list[str],
    typer.Option(
        "--contexts",
        help="Read the contexts these globs name, e.g. 'prod-*,!prod-legacy' (!PATTERN leaves "
        "contexts out; repeatable).",
        metavar="PATTERN[,PATTERN...]",
    ),
]
Parallel = Annotated[
    int,
    typer.Option(
        "--parallel",
        help="With --all-contexts or --contexts: clusters read at once.",
        metavar="N",
    ),
]

KubeletVersion = Annotated[
    str | None,
    typer.Option(
        "--kubelet-version",
        help="Judge as this kubelet would, e.g. v1.29 (default: the cluster's, else the newest).",
        metavar="VERSION",
    ),
]
ExpiryWarning = Annotated[
    str,
    typer.Option(
        "--expiry-warning",
        help="Warn about credentials that expire within this time, e.g. 24h, 3d, 90m.",
        metavar="DURATION",
    ),
]


def parse_duration(value: str, flag: str) -> float:
    """`90m`, `24h`, `3d`, `1h30m`, or seconds: a length of time in seconds."""
    import re

    from kubectl_pullsecret.errors import CommandError

    text = value.strip()
    if text.isdigit():
        return float(text)
    parts = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    if not text or parts is None:
        raise CommandError(f"invalid {flag} {value!r}: use a duration like 24h, 3d or 90m")
    days, hours, minutes, seconds = (int(g or 0) for g in parts.groups())
    return float(days * 86400 + hours * 3600 + minutes * 60 + seconds)
