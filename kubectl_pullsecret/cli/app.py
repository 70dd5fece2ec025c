"""The commands as the user types them: flags in, a rendered report and an exit code out.

The work is in kubectl_pullsecret.commands; heavy modules (the kubernetes client, yaml,
tabulate) are imported inside the commands so that `--help` and `version` start fast.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from kubectl_pullsecret import __version__
from kubectl_pullsecret.cli.flags import (
    AllContexts,
    AllNamespaces,
    CheckOutput,
    Contexts,
    Debug,
    ExpiryWarning,
    InsecureRegistry,
    KubeletVersion,
    NoHeaders,
    Output,
    Parallel,
    RegistryCA,
    Selector,
    ShowOutput,
    Verify,
    kubectl_flags,
    parse_duration,
)
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions
from kubectl_pullsecret.english import counted, share
from kubectl_pullsecret.secrecy import RedactingFormatter, redact

if TYPE_CHECKING:
    from kubectl_pullsecret.commands.fleet import ClusterResult, Clusters
    from kubectl_pullsecret.commands.verify import VerifyRequest
    from kubectl_pullsecret.kubelet.versions import KubeletRules
    from kubectl_pullsecret.verdicts.catalogue import Problem
    from kubectl_pullsecret.verdicts.expiry import ExpiryPolicy

PROG = "kubectl pullsecret"
# `--wait` alone: commands.follow.DEFAULT_WAIT_SECONDS, written here to keep start-up light.
DEFAULT_WAIT = "6m"
EXIT_OK, EXIT_PROBLEMS, EXIT_FAILED = 0, 1, 2

_SETTINGS = {"help_option_names": ["-h", "--help"]}
COMMAND_ORDER = ("diagnose", "audit", "show", "check", "version")


class _HelpGroup(typer.core.TyperGroup):
    """Without a subcommand: the help, and exit 0, as kubectl does (click would exit 2)."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            typer.echo(ctx.get_help())
            ctx.exit(EXIT_OK)
        return super().parse_args(ctx, args)


class _HelpCommand(typer.core.TyperCommand):
    """A command that needs arguments: without any, the help and exit 0, as groups do."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if not args and not ctx.resilient_parsing:
            typer.echo(ctx.get_help())
            ctx.exit(EXIT_OK)
        return super().parse_args(ctx, args)


class _DiagnoseCommand(_HelpCommand):
    """`--wait` alone follows for the default time, `--wait=10m` for ten minutes: a bare
    `--wait` takes no value, so that `--wait pod` still reads `pod` as the TYPE."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        given = [f"--wait={DEFAULT_WAIT}" if a == "--wait" else a for a in args]
        return super().parse_args(ctx, given)


class _OrderedGroup(_HelpGroup):
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

debugging = {"on": False}  # read by main() to decide on a traceback


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
    # Libraries log through the root logger (the kubernetes client's exec plugin errors, for
    # one): only --debug shows them, filtered like ours; otherwise the error we raise says it.
    logging.getLogger().handlers[:] = [handler if debug else logging.NullHandler()]
    debugging["on"] = debug


def _emit(text: str) -> None:
    # Not filtered: reports hold no credential by construction, and a mask inside a public
    # field would point at the password (secrecy.py).
    sys.stdout.write(text)
    sys.stdout.flush()


def _warn(warnings: list[str]) -> None:
    for warning in dict.fromkeys(warnings):
        typer.echo(redact(f"warning: {warning}"), err=True)


def _exit_for(problems: list[Problem]) -> int:
    from kubectl_pullsecret.verdicts.catalogue import Severity

    return EXIT_PROBLEMS if any(p.severity is not Severity.INFO for p in problems) else EXIT_OK


def _verify_request(
    verify: bool, insecure: list[str], registry_ca: Path | None, connection: KubeOptions
) -> VerifyRequest | None:
    if not verify:
        return None
    from kubectl_pullsecret.commands.verify import VerifyRequest

    return VerifyRequest(
        tuple(insecure), str(registry_ca) if registry_ca else None, connection.request_timeout
    )


def _expiry(window: str) -> ExpiryPolicy:
    import time

    from kubectl_pullsecret.verdicts.expiry import ExpiryPolicy

    return ExpiryPolicy(time.time(), parse_duration(window, "--expiry-warning"))


def _clusters(
    connection: KubeOptions, all_contexts: bool, patterns: list[str], parallel: int | None
) -> Clusters:
    """The cluster of the kubeconfig, or the contexts --all-contexts or --contexts choose."""
    from kubectl_pullsecret.commands.fleet import DEFAULT_PARALLEL, Clusters, terminal_progress

    if not all_contexts and not patterns:
        if parallel is not None:
            fail("--parallel goes with --all-contexts or --contexts")
        return Clusters(connection)
    if all_contexts and patterns:
        fail("--all-contexts reads every context and --contexts some of them: give one of them")
    if connection.context:
        fail("--context names one context; --all-contexts and --contexts choose several: give one")
    if parallel is not None and parallel < 1:
        fail(f"invalid --parallel {parallel}: read at least 1 cluster at once")
    from kubectl_pullsecret.cluster.contexts import context_names, select_contexts, split_patterns

    names = context_names(connection)
    wanted = ["*"] if all_contexts else split_patterns(patterns)
    if not wanted:
        fail("--contexts needs a pattern, e.g. --contexts 'prod-*'")
    chosen, unmatched = select_contexts(names, wanted)
    for pattern in unmatched:
        typer.echo(redact(f"warning: --contexts: no context matches {pattern!r}"), err=True)
    if not chosen:
        fail(
            f"no context of the kubeconfig is chosen by {','.join(wanted)!r}; it has "
            f"{counted(len(names), 'context')}: {', '.join(names) or '-'} "
            "(kubectl config get-contexts)"
        )
    return Clusters(connection, tuple(chosen), parallel or DEFAULT_PARALLEL, terminal_progress())


def _named(contexts: list[str], total: int) -> str:
    """`context "a"`, or `in 3 of 20 clusters (a, b, c)`, for a line on stderr."""
    if len(contexts) == 1:
        return f'context "{contexts[0]}"'
    shown = ", ".join(contexts[:5]) + (
        f" and {len(contexts) - 5} more" if len(contexts) > 5 else ""
    )
    return f"in {share(len(contexts), total, 'cluster')} ({shown})"


def _outcomes(results: list[ClusterResult[Any]], clusters: Clusters) -> int:
    """Each cluster's warnings (one line per text, naming the clusters that met it) and its
    failure (one line naming the context); EXIT_FAILED when any cluster could not be read."""
    if not clusters.fleet:
        _warn(results[0].value.warnings)
        return EXIT_OK
    met: dict[str, list[str]] = {}
    for result in results:
        for warning in dict.fromkeys(result.value.warnings if result.value else ()):
            met.setdefault(warning, []).append(result.context)
    for warning, contexts in met.items():
        typer.echo(redact(f"warning: {_named(contexts, len(results))}: {warning}"), err=True)
    failed = [r for r in results if r.error]
    for result in failed:
        typer.echo(redact(f'error: context "{result.context}": {result.error}'), err=True)
    return EXIT_FAILED if failed else EXIT_OK


def _scope_said(results: list[ClusterResult[Any]], clusters: Clusters, all_namespaces: bool) -> str:
    """`namespace shop`, `any namespace`; in a run over several: `..., in 3 clusters`."""
    read = [r.value for r in results if r.value is not None]
    namespaces = sorted({d.namespace for d in read})
    where = (
        "any namespace"
        if all_namespaces
        else f"namespace {namespaces[0]}"
        if len(namespaces) == 1
        else "each context's namespace"
    )
    return f"{where}, in {counted(len(read), 'cluster')}" if clusters.fleet else where


def _located(
    results: list[ClusterResult[Any]], field: str, clusters: Clusters
) -> tuple[list[Any], list[str]]:
    """Every cluster's items (reports, views) in one list, and, in a run over several
    clusters, each one's context."""
    pairs = [(r.context, item) for r in results if r.value for item in getattr(r.value, field)]
    return [item for _, item in pairs], [c for c, _ in pairs] if clusters.fleet else []


def _kubelet_rules(version: str | None) -> KubeletRules | None:
    if version is None:
        return None
    from kubectl_pullsecret.kubelet.versions import rules_given

    rules = rules_given(version)
    if rules is None:
        fail(f"invalid --kubelet-version {version!r}: use a version like v1.29 or 1.33.2")
    return rules


# --- diagnose ---------------------------------------------------------------------------------


@app.command(cls=_DiagnoseCommand)
@kubectl_flags
def diagnose(
    resource: Annotated[
        str,
        typer.Argument(
            metavar="TYPE[/NAME]",
            help="pod (po), deployment (deploy), statefulset (sts), daemonset (ds), "
            "replicaset (rs), job, cronjob (cj); or TYPE/NAME.",
        ),
    ],
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME",
            help="One object, healthy or not. Without it: every one of TYPE with a pull problem.",
        ),
    ] = None,
    all_namespaces: AllNamespaces = False,
    selector: Selector = None,
    output: Annotated[
        Output, typer.Option("-o", "--output", help="Output format.", case_sensitive=False)
    ] = Output.table,
    no_headers: NoHeaders = False,
    verify: Verify = False,
    insecure_registry: InsecureRegistry = [],  # noqa: B006
    registry_ca: RegistryCA = None,
    expiry_warning: ExpiryWarning = "24h",
    wait: Annotated[
        str | None,
        typer.Option(
            "--wait",
            metavar="[=DURATION]",
            help="Follow the failing Pods through the kubelet's next pull and print the fresh "
            "verdict; exit 0 only when everything pulled. Alone: 6m (the kubelet's longest "
            "back-off plus a margin); or --wait=DURATION, e.g. --wait=10m.",
        ),
    ] = None,
    all_contexts: AllContexts = False,
    contexts: Contexts = [],  # noqa: B006
    parallel: Parallel = None,
    debug: Debug = False,
    *,
    connection: KubeOptions,
) -> None:
    """Report which container, pulling from which registry, lacks working credentials, why,
    and the fix; findings of a workload's Pods are grouped by workload, and across clusters."""
    _setup(debug)
    from kubectl_pullsecret.cluster.workloads import POD, parse_target

    target = parse_target(resource, name)
    if target.name and all_namespaces:
        fail(
            f"a {target.kind.singular} cannot be retrieved by name across all namespaces; "
            "drop -A or NAME"
        )
    if target.name and selector:
        fail("NAME and --selector cannot be combined")
    clusters = _clusters(connection, all_contexts, contexts, parallel)
    from kubectl_pullsecret.commands.diagnose import DiagnoseRequest, verified
    from kubectl_pullsecret.commands.diagnose import diagnose as diagnose_cluster
    from kubectl_pullsecret.commands.fleet import ClusterResult, read_clusters

    request = _verify_request(verify, insecure_registry, registry_ca, connection)
    unpulled = False
    if wait is not None:
        if clusters.fleet:
            fail("--wait follows the Pods of one cluster: drop --all-contexts or --contexts")
        from kubectl_pullsecret.commands.follow import follow

        seconds = parse_duration(wait, "--wait")
        try:
            followed = follow(
                connection,
                target,
                all_namespaces,
                selector,
                request,
                _expiry(expiry_warning),
                seconds,
                lambda line: typer.echo(redact(line), err=True),
            )
        except KeyboardInterrupt:  # Ctrl-C: Typer would exit 130 without a word
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        result = followed.fresh or followed.first
        if followed.fresh is not None:  # the fresh report's own are said with it, below
            _warn(followed.first.warnings)
        for f in followed.timed_out:
            _warn(
                [
                    f"{f.label}: no new attempt of the kubelet within {seconds:.0f} s (still {f.reason})"
                ]
            )
        unpulled = bool(followed.timed_out) or any(
            f.outcome == "deleted" for f in followed.followed
        )
        results = [ClusterResult("", result)]
    else:
        wanted = DiagnoseRequest(target, all_namespaces, selector, _expiry(expiry_warning))
        results = verified(
            request, read_clusters(clusters, lambda client: diagnose_cluster(client, wanted))
        )
    from kubectl_pullsecret import render

    failed = _outcomes(results, clusters)
    reports, origins = _located(results, "reports", clusters)
    status = [(r.context, r.error) for r in results] if clusters.fleet else []
    if output in (Output.json, Output.yaml):
        _emit(render.serialize(render.diagnose_document(reports, origins, status), output.value))
    elif reports:
        _emit(render.diagnose_table(reports, output is Output.wide, no_headers, origins, status))
    elif not no_headers and any(r.value for r in results):
        where = _scope_said(results, clusters, all_namespaces)
        what = "Pods" if target.kind is POD else f"{target.kind.resource}"
        typer.echo(f"No {what} with image pull problems found in {where}.", err=True)
    code = max(_exit_for([p for r in reports for p in r.problems]), failed)
    raise typer.Exit(EXIT_PROBLEMS if unpulled else code)


# --- show -------------------------------------------------------------------------------------


@app.command()
@kubectl_flags
def show(
    secret: Annotated[
        str | None,
        typer.Argument(
            metavar="SECRET",
            help="A docker-registry Secret to decode. Without it: every pull secret in scope.",
        ),
    ] = None,
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
    expiry_warning: ExpiryWarning = "24h",
    all_contexts: AllContexts = False,
    contexts: Contexts = [],  # noqa: B006
    parallel: Parallel = None,
    debug: Debug = False,
    *,
    connection: KubeOptions,
) -> None:
    """Decode docker-registry Secrets the way the kubelet reads them; passwords stay redacted.
    Copies of one account that hold different passwords are named, across namespaces and
    across clusters."""
    _setup(debug)
    if secret and all_namespaces:
        fail("a Secret cannot be retrieved by name across all namespaces; drop -A or SECRET")
    if verify and not secret:
        fail("--verify needs a SECRET (it checks the images of the Pods that use it)")
    clusters = _clusters(connection, all_contexts, contexts, parallel)
    from kubectl_pullsecret import render
    from kubectl_pullsecret.commands.show import ShowRequest
    from kubectl_pullsecret.commands.show import show as show_secrets

    expiry = _expiry(expiry_warning)
    showing = show_secrets(
        clusters,
        ShowRequest(secret, all_namespaces, reveal, expiry),
        _verify_request(verify, insecure_registry, registry_ca, connection),
    )
    failed = _outcomes(showing.clusters, clusters)
    views, origins = _located(showing.clusters, "views", clusters)
    status = [(r.context, r.error) for r in showing.clusters] if clusters.fleet else []
    listed = not secret or clusters.fleet  # a list of secrets, not one secret's page
    if output is not ShowOutput.table:
        document = (
            render.inventory_document(views, origins, status, showing.expiring, expiry.now)
            if listed
            else render.show_document(views[0])
        )
        _emit(render.serialize(document, output.value))
    elif secret and views:
        pages = [
            render.show_table(v, c)
            for v, c in zip(views, origins or [""] * len(views), strict=True)
        ]
        dated = render.expiring_table(showing.expiring, expiry.now, True) if listed else ""
        _emit("\n".join(pages) + dated)
    elif views:
        dated = (
            "" if no_headers else render.expiring_table(showing.expiring, expiry.now, bool(status))
        )
        _emit(render.inventory_table(views, no_headers, origins) + dated)
    elif not no_headers and any(r.value for r in showing.clusters):
        typer.echo("No pull secrets found.", err=True)
    raise typer.Exit(max(_exit_for([p for v in views for p in v.problems]), failed))


# --- check ------------------------------------------------------------------------------------


@app.command()
@kubectl_flags
def check(
    image: Annotated[
        str | None,
        typer.Argument(metavar="IMAGE", help="An image, as written in a pod spec (or use -f)."),
    ] = None,
    filenames: Annotated[
        list[str],
        typer.Option(
            "-f",
            "--filename",
            help="Manifests to check before they are applied: a file, a folder, or - for "
            "standard input (repeatable), as kubectl apply -f reads them.",
            metavar="PATH",
        ),
    ] = [],  # noqa: B006
    recursive: Annotated[
        bool, typer.Option("-R", "--recursive", help="With -f: read the folders' subfolders too.")
    ] = False,
    secrets: Annotated[
        list[str],
        typer.Option(
            "--secret",
            help="With IMAGE: a pull secret in the namespace (repeatable, in order).",
            metavar="NAME",
        ),
    ] = [],  # noqa: B006
    files: Annotated[
        list[str],
        typer.Option(
            "--file",
            help="A docker config.json, .dockercfg or Secret manifest (repeatable). With IMAGE: "
            "offered in order after --secret. With -f: a Secret manifest, or NAME=PATH for a "
            "docker config, counts where the input and the cluster lack the secret NAME.",
            metavar="[NAME=]PATH",
        ),
    ] = [],  # noqa: B006
    kubelet_version: KubeletVersion = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="With -f: read nothing from the cluster; nothing leaves this machine."
        ),
    ] = False,
    output: Annotated[
        CheckOutput,
        typer.Option(
            "-o", "--output", help="Output format (wide and junit with -f).", case_sensitive=False
        ),
    ] = CheckOutput.table,
    no_headers: NoHeaders = False,
    verify: Verify = False,
    insecure_registry: InsecureRegistry = [],  # noqa: B006
    registry_ca: RegistryCA = None,
    expiry_warning: ExpiryWarning = "24h",
    debug: Debug = False,
    *,
    connection: KubeOptions,
) -> None:
    """Check credentials before anything fails: which credentials the kubelet would send for
    IMAGE, in its order; or, with -f, every pod template of the manifests, as a new Pod would
    pull (preflight, for CI).

    With IMAGE, sources are cluster secrets (--secret) first, then local files (--file), each in
    the order given, as if they were the Pod's imagePullSecrets.
    """
    _setup(debug)
    # An empty IMAGE ('') is an answer of its own (InvalidImageName), not a usage error.
    if (image is not None) == bool(filenames):
        fail(
            "give an IMAGE, or manifests with -f PATH, not both"
            if image is not None
            else "give an IMAGE, or manifests with -f PATH"
        )
    if offline and verify:
        fail("--offline and --verify exclude each other: --verify asks the registries")
    request = _verify_request(verify, insecure_registry, registry_ca, connection)
    rules = _kubelet_rules(kubelet_version)
    from kubectl_pullsecret import render

    if filenames:
        if secrets:
            fail("--secret goes with IMAGE; with -f the manifests name their secrets")
        from kubectl_pullsecret.commands.preflight import PreflightRequest, preflight

        result = preflight(
            connection,
            PreflightRequest(
                tuple(filenames),
                recursive,
                offline,
                tuple(files),
                request,
                _expiry(expiry_warning),
                rules,
            ),
            sys.stdin.buffer,
        )
        _warn(result.warnings)
        if output is CheckOutput.junit:
            _emit(render.junit(result.reports, result.warnings))
        elif output in (CheckOutput.json, CheckOutput.yaml):
            document = render.preflight_document(result.reports, result.warnings)
            _emit(render.serialize(document, output.value))
        elif result.reports:
            _emit(render.preflight_table(result.reports, output is CheckOutput.wide, no_headers))
        elif not no_headers:
            read = counted(result.objects, "object")
            typer.echo(f"No pod templates among the {read} read.", err=True)
        raise typer.Exit(_exit_for([p for r in result.reports for p in r.problems]))

    if output is CheckOutput.junit or recursive or offline:
        fail("-o junit, -R and --offline go with -f (manifests)")
    from kubectl_pullsecret.commands.check import check as check_image

    assert image is not None
    report = check_image(
        connection,
        image,
        secrets,
        [Path(f) for f in files],
        request,
        _expiry(expiry_warning),
        rules,
    )
    _emit(
        render.check_table(report)
        if output in (CheckOutput.table, CheckOutput.wide)
        else render.serialize(render.check_document(report), output.value)
    )
    raise typer.Exit(_exit_for(list(report.problems)))


# --- audit ------------------------------------------------------------------------------------


@app.command()
@kubectl_flags
def audit(
    all_namespaces: AllNamespaces = False,
    selector: Selector = None,
    output: Annotated[
        Output, typer.Option("-o", "--output", help="Output format.", case_sensitive=False)
    ] = Output.table,
    no_headers: NoHeaders = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Ask each registry, live, whether each distinct credential can pull (once per "
            "credential and repository).",
        ),
    ] = False,
    insecure_registry: InsecureRegistry = [],  # noqa: B006
    registry_ca: RegistryCA = None,
    expiry_warning: ExpiryWarning = "24h",
    all_contexts: AllContexts = False,
    contexts: Contexts = [],  # noqa: B006
    parallel: Parallel = None,
    debug: Debug = False,
    *,
    connection: KubeOptions,
) -> None:
    """Would every workload still pull on a fresh node? Every workload's pod template (and
    every Pod without an owner) is judged as the kubelet would pull it now: missing, wrong-type
    and malformed secrets, credentials that match no registry, and credentials that expired or
    drifted apart across namespaces and clusters."""
    _setup(debug)
    clusters = _clusters(connection, all_contexts, contexts, parallel)
    from kubectl_pullsecret import render
    from kubectl_pullsecret.commands.audit import AuditRequest
    from kubectl_pullsecret.commands.audit import audit as run_audit
    from kubectl_pullsecret.commands.diagnose import verified

    expiry = _expiry(expiry_warning)
    audited = run_audit(clusters, AuditRequest(all_namespaces, selector, expiry))
    results = verified(
        _verify_request(verify, insecure_registry, registry_ca, connection), audited.clusters
    )
    failed = _outcomes(results, clusters)
    reports, origins = _located(results, "reports", clusters)
    status = [(r.context, r.error) for r in results] if clusters.fleet else []
    if output in (Output.json, Output.yaml):
        document = render.diagnose_document(reports, origins, status, kind="PullSecretAudit")
        dated = render.expiring_field(audited.expiring, expiry.now, clusters.fleet)
        _emit(render.serialize({**document, **dated}, output.value))
    else:
        if reports:
            _emit(
                render.diagnose_table(reports, output is Output.wide, no_headers, origins, status)
            )
        elif not no_headers and any(r.value for r in results):
            where = _scope_said(results, clusters, all_namespaces)
            typer.echo(f"Every workload in {where} would pull on a fresh node.", err=True)
        if not no_headers:
            _emit(render.expiring_table(audited.expiring, expiry.now, clusters.fleet))
    raise typer.Exit(max(_exit_for([p for r in reports for p in r.problems]), failed))


@app.command()
def version() -> None:
    """Print the version."""
    sys.stdout.write(f"kubectl-pullsecret {__version__}\n")
