"""The commands as the user types them: flags in, a rendered report and an exit code out.

The work is in kubectl_pullsecret.commands; heavy modules (the kubernetes client, yaml,
tabulate) are imported inside the commands so that `--help` and `version` start fast.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from kubectl_pullsecret import __version__
from kubectl_pullsecret.cli.flags import (
    AllNamespaces,
    CheckOutput,
    Debug,
    InsecureRegistry,
    NoHeaders,
    Output,
    RegistryCA,
    Selector,
    ShowOutput,
    Verify,
    kubectl_flags,
)
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions
from kubectl_pullsecret.secrecy import RedactingFormatter, redact

if TYPE_CHECKING:
    from kubectl_pullsecret.commands.verify import VerifyRequest
    from kubectl_pullsecret.verdicts.catalogue import Problem

PROG = "kubectl pullsecret"
EXIT_OK, EXIT_PROBLEMS, EXIT_FAILED = 0, 1, 2

_SETTINGS = {"help_option_names": ["-h", "--help"]}
COMMAND_ORDER = ("diagnose", "show", "check", "version")


class _HelpGroup(typer.core.TyperGroup):
    """Without a subcommand: the help, and exit 0, as kubectl does (click would exit 2)."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            typer.echo(ctx.get_help())
            ctx.exit(EXIT_OK)
        return super().parse_args(ctx, args)


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
diagnose_app = typer.Typer(
    cls=_HelpGroup,
    help="Diagnose image pull failures.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=_SETTINGS,
)
app.add_typer(diagnose_app, name="diagnose")

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


# --- diagnose pod -----------------------------------------------------------------------------


@kubectl_flags
def diagnose_pod(
    name: Annotated[
        str | None,
        typer.Argument(
            help="A Pod to report, healthy or not. Without it: every Pod with a pull problem."
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
    debug: Debug = False,
    *,
    connection: KubeOptions,
) -> None:
    """Report, per container, which registry has no usable credential, why, and the fix."""
    _setup(debug)
    if name and all_namespaces:
        fail("a Pod cannot be retrieved by name across all namespaces; drop -A or NAME")
    if name and selector:
        fail("NAME and --selector cannot be combined")
    from kubectl_pullsecret import render
    from kubectl_pullsecret.commands.diagnose import diagnose

    result = diagnose(
        connection,
        name,
        all_namespaces,
        selector,
        _verify_request(verify, insecure_registry, registry_ca, connection),
    )
    reports = result.reports
    _warn(result.warnings)
    if output in (Output.json, Output.yaml):
        _emit(render.serialize(render.diagnose_document(reports), output.value))
    elif reports:
        _emit(render.diagnose_table(reports, output is Output.wide, no_headers))
    elif not no_headers:
        where = "any namespace" if all_namespaces else f"namespace {result.namespace}"
        typer.echo(f"No Pods with image pull problems found in {where}.", err=True)
    raise typer.Exit(_exit_for([p for r in reports for p in r.problems]))


diagnose_app.command("pod")(diagnose_pod)
diagnose_app.command("pods", hidden=True)(diagnose_pod)
diagnose_app.command("po", hidden=True)(diagnose_pod)


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
    debug: Debug = False,
    *,
    connection: KubeOptions,
) -> None:
    """Decode docker-registry Secrets the way the kubelet reads them; passwords stay redacted."""
    _setup(debug)
    if secret and all_namespaces:
        fail("a Secret cannot be retrieved by name across all namespaces; drop -A or SECRET")
    if verify and not secret:
        fail("--verify needs a SECRET (it checks the images of the Pods that use it)")
    from kubectl_pullsecret import render
    from kubectl_pullsecret.commands.show import show as show_secrets

    shown = show_secrets(
        connection,
        secret,
        all_namespaces,
        reveal,
        _verify_request(verify, insecure_registry, registry_ca, connection),
    )
    views = shown.views
    _warn(shown.warnings)
    if output is not ShowOutput.table:
        document = render.show_document(views[0]) if secret else render.inventory_document(views)
        _emit(render.serialize(document, output.value))
    elif secret:
        _emit(render.show_table(views[0]))
    elif views:
        _emit(render.inventory_table(views, no_headers))
    elif not no_headers:
        typer.echo("No pull secrets found.", err=True)
    raise typer.Exit(_exit_for([p for v in views for p in v.problems]))


# --- check ------------------------------------------------------------------------------------


@app.command()
@kubectl_flags
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
    output: Annotated[
        CheckOutput, typer.Option("-o", "--output", help="Output format.", case_sensitive=False)
    ] = CheckOutput.table,
    verify: Verify = False,
    insecure_registry: InsecureRegistry = [],  # noqa: B006
    registry_ca: RegistryCA = None,
    debug: Debug = False,
    *,
    connection: KubeOptions,
) -> None:
    """Explain which credentials the kubelet would send for IMAGE, in its order.

    Sources are cluster secrets (--secret) first, then local files (--file), each in the order
    given, as if they were the Pod's imagePullSecrets.
    """
    _setup(debug)
    from kubectl_pullsecret import render
    from kubectl_pullsecret.commands.check import check as check_image

    report = check_image(
        connection,
        image,
        secrets,
        files,
        _verify_request(verify, insecure_registry, registry_ca, connection),
    )
    _emit(
        render.check_table(report)
        if output is CheckOutput.table
        else render.serialize(render.check_document(report), output.value)
    )
    raise typer.Exit(_exit_for(list(report.problems)))


@app.command()
def version() -> None:
    """Print the version."""
    sys.stdout.write(f"kubectl-pullsecret {__version__}\n")
