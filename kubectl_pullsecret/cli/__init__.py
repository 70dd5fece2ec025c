"""The command line: a thin Typer CLI over kubectl_pullsecret.commands.

`main` is the entry point (the `kubectl-pullsecret` script); cli.app declares the commands,
cli.flags the flags they share, cli.completion answers kubectl's plugin completion.
"""

from __future__ import annotations

import sys

from kubectl_pullsecret import __version__
from kubectl_pullsecret.secrecy import redact

EXIT_FAILED = 2


def main() -> None:
    """Entry point: one clear line and a deliberate exit code for every failure."""
    if sys.argv[1:] == ["version"]:  # typer's command path imports pydantic: 0.1 s saved
        sys.stdout.write(f"kubectl-pullsecret {__version__}\n")
        return
    if sys.argv[1:2] == ["__complete"]:  # hidden: kubectl's plugin completion protocol
        from kubectl_pullsecret.cli.completion import main as complete

        complete(sys.argv[2:])
        return
    from kubectl_pullsecret.cli.app import PROG, app, debugging
    from kubectl_pullsecret.cli.flags import kubectl_argv
    from kubectl_pullsecret.errors import CommandError

    try:
        app(args=kubectl_argv(sys.argv[1:]), prog_name=PROG, standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.stdout = open("/dev/null", "w")  # noqa: SIM115 - silence the flush at exit
        sys.exit(EXIT_FAILED)
    except Exception as exc:
        if isinstance(exc, CommandError):
            sys.stderr.write(redact(f"error: {exc}") + "\n")
        else:
            sys.stderr.write(
                f"error: unexpected {type(exc).__name__}; re-run with --debug for details\n"
            )
        if debugging["on"]:
            import traceback

            sys.stderr.write(redact("".join(traceback.format_exception(exc))))
        sys.exit(EXIT_FAILED)
