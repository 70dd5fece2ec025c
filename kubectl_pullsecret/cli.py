"""The command line: parse flags like kubectl, call the core, render. Nothing else lives here.

Heavy modules (the kubernetes client, yaml, tabulate) are imported inside the commands so
that `--help` and `version` start fast.
"""

from __future__ import annotations

import logging
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from kubectl_pullsecret import __version__
from kubectl_pullsecret.redact import RedactingFormatter, redact, remember

if TYPE_CHECKING:
    from kubectl_pullsecret.kube import KubeClient
    from kubectl_pullsecret.problems import Problem

PROG = "kubectl pullsecret"
EXIT_OK, EXIT_PROBLEMS, EXIT_FAILED = 0, 1, 2

log = logging.getLogger("kubectl_pullsecret")


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


_SETTINGS = {"help_option_names": ["-h", "--help"]}
COMMAND_ORDER = ("diagnose", "show", "check", "version")


class _OrderedGroup(typer.core.TyperGroup):
    """The main job first in --help, not in registration order."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(
            names,
            key=lambda n: COMMAND_ORDER.index(n) if n in COMMAND_ORDER else len(COMMAND_ORDER),
        )


app = typer.Typer(
    cls=_OrderedGroup,
    help=(
        "Explain why a Pod cannot pull its images, the way the kubelet sees it: which container, "
        "pulling from which registry, lacks working credentials, and what to do about it."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # tracebacks would print local variables: secrets
    rich_markup_mode=None,
    context_settings=_SETTINGS,
)
diagnose_app = typer.Typer(
    help="Diagnose image pull failures.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=_SETTINGS,
)
app.add_typer(diagnose_app, name="diagnose")

# Flags shared with kubectl. Declared once, used by every command.
Kubeconfig = Annotated[
    str | None,
    typer.Option("--kubeconfig", help="Path to the kubeconfig file to use.", metavar="PATH"),
]
Context = Annotated[
    str | None, typer.Option("--context", help="The kubeconfig context to use.", metavar="NAME")
]
Cluster = Annotated[
    str | None, typer.Option("--cluster", help="The kubeconfig cluster to use.", metavar="NAME")
]
User = Annotated[
    str | None, typer.Option("--user", help="The kubeconfig user to use.", metavar="NAME")
]
Namespace = Annotated[
    str | None,
    typer.Option("-n", "--namespace", help="The namespace (default: the context's).", metavar="NS"),
]
RequestTimeout = Annotated[
    str | None,
    typer.Option(
        "--request-timeout",
        help="Time to wait for each API request, e.g. 30s, 2m; 0 means no timeout.",
        metavar="DURATION",
    ),
]
Debug = Annotated[
    bool, typer.Option("--debug", help="Log API requests and print tracebacks (never credentials).")
]
AllNamespaces = Annotated[
    bool, typer.Option("-A", "--all-namespaces", help="Look in every namespace.")
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


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    typer.echo(redact(f"error: {message}"), err=True)
    raise typer.Exit(code)


def _setup(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(name)s: %(message)s"))
    root = logging.getLogger("kubectl_pullsecret")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    root.propagate = False
    _state["debug"] = debug


_state: dict[str, bool] = {"debug": False}


def _client(
    kubeconfig: str | None,
    context: str | None,
    cluster: str | None,
    user: str | None,
    namespace: str | None,
    request_timeout: str | None,
) -> KubeClient:
    from kubectl_pullsecret.kube import KubeClient, KubeOptions, parse_request_timeout

    options = KubeOptions(
        kubeconfig, context, cluster, user, namespace, parse_request_timeout(request_timeout)
    )
    return KubeClient(options)


def _emit(text: str, *, reveal: bool = False) -> None:
    sys.stdout.write(text if reveal else redact(text))
    sys.stdout.flush()


def _warn(warnings: list[str]) -> None:
    for warning in dict.fromkeys(warnings):
        typer.echo(redact(f"warning: {warning}"), err=True)


def _exit_for(problems: list[Problem]) -> int:
    from kubectl_pullsecret.problems import Severity

    return EXIT_PROBLEMS if any(p.severity is not Severity.INFO for p in problems) else EXIT_OK


def _report_stats(client: KubeClient) -> None:
    stats = client.stats
    log.debug("%d API requests, %d bytes read", stats.requests, stats.bytes_read)


def _verify(
    pairs: list[tuple[Any, Any]],
    insecure: list[str],
    registry_ca: Path | None,
    request_timeout: str | None,
) -> list[Any]:
    """Live registry checks for (ImageRef, credentials) pairs, bounded by --request-timeout."""
    import time

    from kubectl_pullsecret.kube import parse_request_timeout
    from kubectl_pullsecret.verify import VerifyConfigError, VerifyOptions, verify_pulls

    timeout = parse_request_timeout(request_timeout)
    options = VerifyOptions(
        insecure_registries=frozenset(insecure),
        ca_file=str(registry_ca) if registry_ca else None,
        deadline=time.monotonic() + timeout if timeout else None,
    )
    try:
        return verify_pulls(pairs, options)
    except VerifyConfigError as exc:
        fail(str(exc))


# --- diagnose pod -----------------------------------------------------------------------------


def diagnose_pod(
    name: Annotated[
        str | None,
        typer.Argument(
            help="A Pod to report, healthy or not. Without it: every Pod with a pull problem."
        ),
    ] = None,
    namespace: Namespace = None,
    all_namespaces: AllNamespaces = False,
    selector: Annotated[
        str | None,
        typer.Option("-l", "--selector", help="Label selector, e.g. app=web.", metavar="SELECTOR"),
    ] = None,
    output: Annotated[
        Output, typer.Option("-o", "--output", help="Output format.", case_sensitive=False)
    ] = Output.table,
    no_headers: NoHeaders = False,
    verify: Verify = False,
    insecure_registry: InsecureRegistry = [],  # noqa: B006
    registry_ca: RegistryCA = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    cluster: Cluster = None,
    user: User = None,
    request_timeout: RequestTimeout = None,
    debug: Debug = False,
) -> None:
    """Report, per container, which registry has no usable credential, why, and the fix."""
    _setup(debug)
    if name and all_namespaces:
        fail("a Pod cannot be retrieved by name across all namespaces; drop -A or NAME")
    if name and selector:
        fail("NAME and --selector cannot be combined")
    from kubectl_pullsecret import render
    from kubectl_pullsecret.diagnosis import diagnose_pod as diagnose
    from kubectl_pullsecret.kube import gather_diagnosis

    client = _client(kubeconfig, context, cluster, user, namespace, request_timeout)
    try:
        scope = None if all_namespaces else client.namespace
        gathered = gather_diagnosis(client, scope, name, selector)
    finally:
        _report_stats(client)
        client.close()
    remember(gathered.sensitive)
    reports = [r for ctx in gathered.contexts for r in diagnose(ctx)]
    if name is None:
        reports = [r for r in reports if r.has_findings]
    if verify:
        reports = _verified(reports, insecure_registry, registry_ca, request_timeout)
    _warn(gathered.warnings)
    if output in (Output.json, Output.yaml):
        _emit(render.serialize(render.diagnose_document(reports), output.value))
    elif reports:
        _emit(render.diagnose_table(reports, output is Output.wide, no_headers))
    elif not no_headers:
        where = "any namespace" if all_namespaces else f"namespace {client.namespace}"
        typer.echo(f"No Pods with image pull problems found in {where}.", err=True)
    raise typer.Exit(_exit_for([p for r in reports for p in r.problems]))


def _verified(
    reports: list[Any], insecure: list[str], registry_ca: Path | None, request_timeout: str | None
) -> list[Any]:
    """Reports with the registry's live answer added; a Pod whose secrets fail to decode pulls
    nothing (the kubelet stops before the registry), so it is not checked."""
    from dataclasses import replace

    from kubectl_pullsecret.problems import Code

    targets = [
        r
        for r in reports
        if r.image_ref is not None and not any(p.code is Code.SECRET_MALFORMED for p in r.problems)
    ]
    verdicts = _verify(
        [(r.image_ref, r.offered) for r in targets], insecure, registry_ca, request_timeout
    )
    by_report = {id(r): v for r, v in zip(targets, verdicts, strict=True)}
    return [
        replace(r, problems=r.problems + by_report[id(r)].problems) if id(r) in by_report else r
        for r in reports
    ]


diagnose_app.command("pod")(diagnose_pod)
diagnose_app.command("pods", hidden=True)(diagnose_pod)
diagnose_app.command("po", hidden=True)(diagnose_pod)


# --- show -------------------------------------------------------------------------------------


@app.command()
def show(
    secret: Annotated[
        str | None,
        typer.Argument(
            metavar="SECRET",
            help="A docker-registry Secret to decode. Without it: every pull secret in scope.",
        ),
    ] = None,
    namespace: Namespace = None,
    all_namespaces: AllNamespaces = False,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Print passwords in clear text.")
    ] = False,
    output: Annotated[
        ShowOutput, typer.Option("-o", "--output", help="Output format.", case_sensitive=False)
    ] = ShowOutput.table,
    no_headers: NoHeaders = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Ask each registry, live, whether the secret can pull the images of the Pods that use it.",
        ),
    ] = False,
    insecure_registry: InsecureRegistry = [],  # noqa: B006
    registry_ca: RegistryCA = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    cluster: Cluster = None,
    user: User = None,
    request_timeout: RequestTimeout = None,
    debug: Debug = False,
) -> None:
    """Decode docker-registry Secrets the way the kubelet reads them; passwords stay redacted."""
    _setup(debug)
    if secret and all_namespaces:
        fail("a Secret cannot be retrieved by name across all namespaces; drop -A or SECRET")
    from kubectl_pullsecret import render
    from kubectl_pullsecret.kube import gather_secret, gather_secrets

    client = _client(kubeconfig, context, cluster, user, namespace, request_timeout)
    try:
        if secret:
            shown = gather_secret(client, client.namespace, secret, reveal)
            views, warnings, sensitive = [shown.view], shown.warnings, shown.sensitive
        else:
            views, warnings, sensitive = gather_secrets(
                client, None if all_namespaces else client.namespace
            )
    finally:
        _report_stats(client)
        client.close()
    remember(sensitive)
    if verify and secret:
        views = [_verified_secret(shown, insecure_registry, registry_ca, request_timeout)]
    elif verify:
        fail("--verify needs a SECRET (it checks the images of the Pods that use it)")
    _warn(warnings)
    if output is not ShowOutput.table:
        document = render.show_document(views[0]) if secret else render.inventory_document(views)
        _emit(render.serialize(document, output.value), reveal=reveal)
    elif secret:
        _emit(render.show_table(views[0]), reveal=reveal)
    elif views:
        _emit(render.inventory_table(views, no_headers))
    elif not no_headers:
        typer.echo("No pull secrets found.", err=True)
    raise typer.Exit(_exit_for([p for v in views for p in v.problems]))


def _verified_secret(
    shown: Any, insecure: list[str], registry_ca: Path | None, request_timeout: str | None
) -> Any:
    from dataclasses import replace

    from kubectl_pullsecret.imageref import InvalidImageName, parse_image
    from kubectl_pullsecret.keyring import Keyring
    from kubectl_pullsecret.problems import Code, Problem, Severity

    view = shown.view
    if shown.decoded.error is not None or not shown.decoded.used:
        return view
    keyring = Keyring()
    keyring.add(f"secret/{view.name}", shown.decoded.entries)
    pairs = []
    for image in shown.pod_images:
        try:
            ref = parse_image(image)
        except InvalidImageName:
            continue
        credentials = keyring.lookup(ref.repository)
        if credentials:
            pairs.append((ref, credentials))
    if not pairs:
        note = Problem(
            Code.NO_CREDENTIALS_FOR_REGISTRY,
            Severity.INFO,
            "--verify: no Pod that uses this secret pulls from a registry it covers, so nothing was checked",
            f"check one image: kubectl pullsecret check IMAGE --secret {view.name} -n {view.namespace} --verify",
        )
        return replace(view, problems=(*view.problems, note))
    verdicts = _verify(pairs, insecure, registry_ca, request_timeout)
    found = tuple(
        replace(p, message=f"{ref.original}: {p.message}")
        for (ref, _), v in zip(pairs, verdicts, strict=True)
        for p in v.problems
    )
    return replace(view, problems=view.problems + found)


# --- check ------------------------------------------------------------------------------------


@app.command()
def check(
    image: Annotated[
        str, typer.Argument(metavar="IMAGE", help="The image, as written in the pod spec.")
    ],
    secrets: Annotated[
        list[str],
        typer.Option(
            "--secret",
            help="A pull secret in the namespace (repeatable, in order).",
            metavar="NAME",
        ),
    ] = [],  # noqa: B006
    files: Annotated[
        list[Path],
        typer.Option(
            "--file",
            "-f",
            help="A docker config.json, .dockercfg or Secret manifest (repeatable). No cluster needed.",
            metavar="PATH",
        ),
    ] = [],  # noqa: B006
    namespace: Namespace = None,
    output: Annotated[
        CheckOutput, typer.Option("-o", "--output", help="Output format.", case_sensitive=False)
    ] = CheckOutput.table,
    verify: Verify = False,
    insecure_registry: InsecureRegistry = [],  # noqa: B006
    registry_ca: RegistryCA = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    cluster: Cluster = None,
    user: User = None,
    request_timeout: RequestTimeout = None,
    debug: Debug = False,
) -> None:
    """Explain which credentials the kubelet would send for IMAGE, in its order.

    Sources are cluster secrets (--secret) first, then local files (--file), each in the order
    given, as if they were the Pod's imagePullSecrets.
    """
    _setup(debug)
    from kubectl_pullsecret import render
    from kubectl_pullsecret.check import check_image
    from kubectl_pullsecret.diagnosis import SecretFetch, SecretStatus
    from kubectl_pullsecret.dockerconfig import decode_config_file

    sources: list[tuple[str, SecretFetch]] = []
    if secrets:
        from kubectl_pullsecret.kube import fetch_secrets

        client = _client(kubeconfig, context, cluster, user, namespace, request_timeout)
        try:
            fetched, sensitive = fetch_secrets(client, client.namespace, secrets)
        finally:
            _report_stats(client)
            client.close()
        remember(sensitive)
        sources.extend((f"secret/{name}", fetch) for name, fetch in fetched)
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            fail(f"cannot read --file {path}: {exc.strerror}")
        remember(_file_sensitive(raw))
        sources.append(
            (str(path), SecretFetch(str(path), SecretStatus.FOUND, decode_config_file(raw)))
        )
    report = check_image(image, sources)
    from kubectl_pullsecret.kube import key_secrets

    for _, fetch in sources:  # local files too: passwords, and userinfo inside keys
        for entry in fetch.decoded.entries if fetch.decoded else ():
            remember([entry.password, *key_secrets(entry.key)])
    if (
        verify
        and report.image_ref is not None
        and not any(p.code.value == "SecretMalformed" for p in report.problems)
    ):
        from dataclasses import replace

        (verdict,) = _verify(
            [(report.image_ref, report.offered)], insecure_registry, registry_ca, request_timeout
        )
        report = replace(report, problems=report.problems + verdict.problems)
    document = render.check_document(report)
    _emit(
        render.check_table(report)
        if output is CheckOutput.table
        else render.serialize(document, output.value)
    )
    raise typer.Exit(_exit_for(list(report.problems)))


def _file_sensitive(raw: bytes) -> list[str]:
    """Values in a local config that look like secret material: never echo them."""
    import re

    text = raw.decode("utf-8", "replace")
    return re.findall(
        r'"(?:auth|password|identitytoken|registrytoken|\.dockerconfigjson|\.dockercfg)"\s*:\s*"([^"]+)"',
        text,
        re.I,
    ) + re.findall(
        r"(?m)^\s*(?:\.dockerconfigjson|\.dockercfg|password|auth):\s*['\"]?([^'\"\s]+)", text
    )


@app.command()
def version() -> None:
    """Print the version."""
    sys.stdout.write(f"kubectl-pullsecret {__version__}\n")


def main() -> None:
    """Entry point: one clear line and a deliberate exit code for every failure."""
    if sys.argv[1:] == ["version"]:  # typer's command path imports pydantic: 0.1 s saved
        sys.stdout.write(f"kubectl-pullsecret {__version__}\n")
        return
    if sys.argv[1:2] == ["__complete"]:  # hidden: kubectl's plugin completion protocol
        from kubectl_pullsecret.completion import main as complete

        complete(sys.argv[2:])
        return
    try:
        app(prog_name=PROG, standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.stdout = open("/dev/null", "w")  # noqa: SIM115 - silence the flush at exit
        sys.exit(EXIT_FAILED)
    except Exception as exc:
        from kubectl_pullsecret.kube import KubeError

        if isinstance(exc, KubeError):
            sys.stderr.write(redact(f"error: {exc}") + "\n")
        else:
            sys.stderr.write(
                f"error: unexpected {type(exc).__name__}; re-run with --debug for details\n"
            )
        if _state["debug"]:
            import traceback

            sys.stderr.write(redact("".join(traceback.format_exception(exc))))
        sys.exit(EXIT_FAILED)
