"""The flags, declared once: kubectl's connection flags for every command, and the shared ones.

kubectl lets its global flags stand anywhere on the line, so each command takes them itself;
`kubectl_flags` adds them to a command's signature and hands the command one `KubeOptions`.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
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
    json = "json"
    yaml = "yaml"


def _option(*names: str, help: str, metavar: str | None = None) -> Any:
    return typer.Option(*names, help=help, metavar=metavar, show_default=False)


def _flag(name: str, help: str) -> Any:
    return typer.Option(name, help=help)


# kubectl's global flags (cli-runtime ConfigFlags), by KubeOptions field: (type, option, default).
_CONNECTION: dict[str, tuple[Any, Any, Any]] = {
    "namespace": (
        str | None,
        _option("-n", "--namespace", help="The namespace (default: the context's).", metavar="NS"),
        None,
    ),
    "kubeconfig": (
        str | None,
        _option("--kubeconfig", help="Path to the kubeconfig file to use.", metavar="PATH"),
        None,
    ),
    "context": (
        str | None,
        _option("--context", help="The kubeconfig context to use.", metavar="NAME"),
        None,
    ),
    "cluster": (
        str | None,
        _option("--cluster", help="The kubeconfig cluster to use.", metavar="NAME"),
        None,
    ),
    "user": (
        str | None,
        _option("--user", help="The kubeconfig user to use.", metavar="NAME"),
        None,
    ),
    "request_timeout": (
        str | None,
        _option(
            "--request-timeout",
            help="Time to wait for each API request, e.g. 30s, 2m; 0 means no timeout.",
            metavar="DURATION",
        ),
        None,
    ),
    "server": (
        str | None,
        _option("-s", "--server", help="The address and port of the API server.", metavar="URL"),
        None,
    ),
    "token": (
        str | None,
        _option("--token", help="Bearer token for the API server.", metavar="TOKEN"),
        None,
    ),
    "impersonate": (
        str | None,
        _option("--as", help="Username to impersonate for the operation.", metavar="USER"),
        None,
    ),
    "impersonate_groups": (
        list[str] | None,
        _option("--as-group", help="Group to impersonate (repeatable).", metavar="GROUP"),
        None,
    ),
    "impersonate_uid": (
        str | None,
        _option("--as-uid", help="UID to impersonate for the operation.", metavar="UID"),
        None,
    ),
    "certificate_authority": (
        str | None,
        _option(
            "--certificate-authority",
            help="Path to a cert file for the certificate authority.",
            metavar="PATH",
        ),
        None,
    ),
    "client_certificate": (
        str | None,
        _option(
            "--client-certificate",
            help="Path to a client certificate file for TLS.",
            metavar="PATH",
        ),
        None,
    ),
    "client_key": (
        str | None,
        _option("--client-key", help="Path to a client key file for TLS.", metavar="PATH"),
        None,
    ),
    "insecure_skip_tls_verify": (
        bool,
        _flag(
            "--insecure-skip-tls-verify",
            help="Do not check the API server's certificate (insecure).",
        ),
        False,
    ),
    "tls_server_name": (
        str | None,
        _option(
            "--tls-server-name",
            help="Server name to check the API server's certificate against.",
            metavar="NAME",
        ),
        None,
    ),
    "username": (
        str | None,
        _option("--username", help="Deprecated: basic authentication username.", metavar="USER"),
        None,
    ),
    "password": (
        str | None,
        _option(
            "--password", help="Deprecated: basic authentication password.", metavar="PASSWORD"
        ),
        None,
    ),
    # Accepted as kubectl accepts them: nothing is cached (the plugin writes nothing), and no
    # response is compressed (no request asks for compression).
    "cache_dir": (
        str | None,
        _option("--cache-dir", help="Accepted; nothing is cached.", metavar="DIR"),
        None,
    ),
    "disable_compression": (
        bool,
        _flag("--disable-compression", help="Accepted; responses are never compressed."),
        False,
    ),
}
_ACCEPTED_ONLY = ("cache_dir", "disable_compression")


def _names(option: Any) -> tuple[str, ...]:
    return tuple(option.param_decls)


# Every spelling of a connection flag -> (KubeOptions field, takes a value).
CONNECTION_FLAGS: dict[str, tuple[str, bool]] = {
    name: (field, kind is not bool)
    for field, (kind, option, _) in _CONNECTION.items()
    for name in _names(option)
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
            fields[name] = value or (False if _CONNECTION[name][0] is bool else None)
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
            default=default,
            annotation=Annotated[kind, option],
        )
        for name, (kind, option, default) in _CONNECTION.items()
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
