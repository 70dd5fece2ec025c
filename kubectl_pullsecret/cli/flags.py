"""The flags, declared once: kubectl's connection flags for every command, and the shared ones.

kubectl lets its global flags stand anywhere on the line, so each command takes them itself;
`kubectl_flags` adds them to a command's signature and hands the command one `KubeOptions`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from kubectl_pullsecret.cluster.kubeconfig import KubeOptions, parse_request_timeout


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


def _option(*names: str, help: str, metavar: str | None = None) -> Any:
    return typer.Option(*names, help=help, metavar=metavar)


# kubectl's global flags (cli-runtime ConfigFlags), by KubeOptions field.
_CONNECTION: dict[str, tuple[Any, Any]] = {
    "namespace": (
        str | None,
        _option("-n", "--namespace", help="The namespace (default: the context's).", metavar="NS"),
    ),
    "kubeconfig": (
        str | None,
        _option("--kubeconfig", help="Path to the kubeconfig file to use.", metavar="PATH"),
    ),
    "context": (
        str | None,
        _option("--context", help="The kubeconfig context to use.", metavar="NAME"),
    ),
    "cluster": (
        str | None,
        _option("--cluster", help="The kubeconfig cluster to use.", metavar="NAME"),
    ),
    "user": (str | None, _option("--user", help="The kubeconfig user to use.", metavar="NAME")),
    "request_timeout": (
        str | None,
        _option(
            "--request-timeout",
            help="Time to wait for each API request, e.g. 30s, 2m; 0 means no timeout.",
            metavar="DURATION",
        ),
    ),
}

F = TypeVar("F", bound=Callable[..., Any])


def kubectl_flags(command: F) -> F:
    """Give `command` kubectl's connection flags; it receives them as `connection: KubeOptions`."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "connection"]
    added = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[kind, option],
        )
        for name, (kind, option) in _CONNECTION.items()
    ]

    @functools.wraps(command)
    def with_connection(**values: Any) -> Any:
        flags = {name: values.pop(name) for name in _CONNECTION}
        flags["request_timeout"] = parse_request_timeout(flags["request_timeout"])
        return command(connection=KubeOptions(**flags), **values)

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
