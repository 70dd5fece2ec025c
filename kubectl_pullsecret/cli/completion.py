"""Shell completion through kubectl's plugin completion (kubectl >= 1.26).

kubectl runs `kubectl_complete-pullsecret ARGS... WORD` and reads Cobra's `__complete` format:
one candidate per line, then `:DIRECTIVE`. This module answers that format for subcommands,
flags, flag values, and names from the cluster (namespaces, pods, pull secrets, contexts).
It never prints errors: a failed lookup just offers nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

# Cobra's ShellCompDirective values.
DEFAULT = 0  # let the shell complete file names
NO_FILE = 4

_VALUE_SOURCES = {
    "--namespace": "namespaces",
    "--context": "contexts",
    "--contexts": "contexts",
    "--cluster": "clusters",
    "--user": "users",
    "--secret": "secrets",
}
_FILE_OPTIONS = {
    "--kubeconfig",
    "--file",
    "--registry-ca",
    "--certificate-authority",
    "--client-certificate",
    "--client-key",
    "--cache-dir",
}


# Typer vendors its own click, so the command tree is read by duck typing, not isinstance.
Command = Any
Option = Any


def _is_group(command: Command) -> bool:
    return hasattr(command, "commands")


def _is_option(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "option"


def _command_tree() -> Command:
    import typer.main

    from kubectl_pullsecret.cli.app import app

    return typer.main.get_command(app)


def _option(command: Command, word: str) -> Option | None:
    name = word.split("=", 1)[0]
    return next(
        (p for p in command.params if _is_option(p) and name in (*p.opts, *p.secondary_opts)),
        None,
    )


def _long_name(option: Option) -> str:
    return max(option.opts, key=len)


def complete(args: Sequence[str]) -> tuple[list[str], int]:
    """Candidates and the Cobra directive for `args`, whose last element is being typed."""
    from kubectl_pullsecret.cli.flags import kubectl_argv

    words, current = kubectl_argv(args[:-1]), (args[-1] if args else "")
    command: Command = _command_tree()
    path: list[str] = []
    positionals: list[str] = []
    given: dict[str, list[str]] = {}  # long flag name -> values, in order
    expecting: Option | None = None
    for word in words:
        if expecting is not None:
            given.setdefault(_long_name(expecting), []).append(word)
            expecting = None
            continue
        if word.startswith("-"):
            option = _option(command, word)
            if option is not None and "=" in word:
                given.setdefault(_long_name(option), []).append(word.split("=", 1)[1])
            elif option is not None and option.is_flag:
                given.setdefault(_long_name(option), []).append("true")
            elif option is not None:
                expecting = option
            continue
        if _is_group(command) and word in command.commands:
            command = command.commands[word]
            path.append(word)
        else:
            positionals.append(word)

    if expecting is not None:
        return _values_for(expecting, current, given, path)
    if current.startswith("-"):
        names = [n for p in command.params if _is_option(p) and not p.hidden for n in p.opts]
        return sorted(n for n in names if n.startswith(current)), NO_FILE
    if _is_group(command):
        names = [n for n, c in command.commands.items() if not c.hidden]
        return sorted(n for n in names if n.startswith(current)), NO_FILE
    if path == ["diagnose"]:
        return _diagnose_words(positionals, current, given), NO_FILE
    if positionals:
        return [], NO_FILE
    if path == ["show"]:
        return _cluster_names("secrets", current, given), NO_FILE
    return [], NO_FILE


def _diagnose_words(positionals: list[str], current: str, given: dict[str, str]) -> list[str]:
    """`diagnose TYPE NAME` or `diagnose TYPE/NAME`: workload types, then names from the cluster."""
    from kubectl_pullsecret.cluster.workloads import KINDS, parse_target
    from kubectl_pullsecret.errors import CommandError

    typed, slash, _ = current.partition("/")
    if len(positionals) > 1 or (positionals and slash):
        return []
    try:
        kind = parse_target(positionals[0] if positionals else typed, None).kind
    except CommandError:
        kind = None
    if positionals and kind is not None:
        return _cluster_names(kind.resource, current, given)
    if slash and kind is not None:
        return [
            f"{typed}/{n}"
            for n in _cluster_names(kind.resource, "", given)
            if f"{typed}/{n}".startswith(current)
        ]
    words = [name for k in KINDS for name in k.names]
    return sorted(w for w in words if w.startswith(current))


def _values_for(
    option: Option, current: str, given: dict[str, list[str]], path: list[str]
) -> tuple[list[str], int]:
    name = _long_name(option)
    if name == "--output":
        from kubectl_pullsecret.cli.flags import CheckOutput, Output, ShowOutput

        formats = {"show": ShowOutput, "check": CheckOutput}.get(path[0] if path else "", Output)
        return [f.value for f in formats if f.value.startswith(current)], NO_FILE
    if name in _FILE_OPTIONS:
        return [], DEFAULT
    source = _VALUE_SOURCES.get(name)
    if source is None:
        return [], NO_FILE
    return _cluster_names(source, current, given), NO_FILE


def _cluster_names(source: str, current: str, given: dict[str, list[str]]) -> list[str]:
    try:
        names = _lookup(source, given)
    except Exception:  # completion must never break the shell
        return []
    return sorted(n for n in names if n.startswith(current))


def _lookup(source: str, given: dict[str, list[str]]) -> list[str]:
    from dataclasses import replace

    from kubectl_pullsecret.cli.flags import CONNECTION_FLAGS, kube_options
    from kubectl_pullsecret.cluster import kubeconfig
    from kubectl_pullsecret.cluster.client import KubeClient, core_path
    from kubectl_pullsecret.kubelet.docker_config import PULL_SECRET_TYPES

    if source in ("contexts", "clusters", "users"):
        explicit = given.get("--kubeconfig", [None])[-1]
        paths = kubeconfig.kubeconfig_paths(explicit)
        merged = kubeconfig.merge_kubeconfigs(kubeconfig.load_documents(paths))
        return [str(item.get("name")) for item in merged[source]]
    # Every connection flag on the line counts, as for the command itself: the last value
    # of each, every value of --as-group.
    values: dict[str, object] = {}
    for flag, given_values in given.items():
        field, takes_value = CONNECTION_FLAGS.get(flag, ("", False))
        if field == "impersonate_groups":
            values[field] = given_values
        elif field:
            values[field] = given_values[-1] if takes_value else True
    options = replace(kube_options(values), request_timeout=5.0)
    client = KubeClient(options)
    try:
        if source == "namespaces":
            items = client.list_all(core_path("namespaces"))
        elif source == "secrets":
            items = [
                item
                for secret_type in PULL_SECRET_TYPES
                for item in client.list_all(
                    core_path("secrets", client.namespace),
                    {"fieldSelector": f"type={secret_type}"},
                )
            ]
        else:
            from kubectl_pullsecret.cluster.workloads import KINDS

            kind = next(k for k in KINDS if k.resource == source)
            items = client.list_all(kind.path(client.namespace))
    finally:
        client.close()
    return [str((item.get("metadata") or {}).get("name", "")) for item in items]


def main(argv: Sequence[str] | None = None) -> None:
    """`kubectl_complete-pullsecret ARGS... WORD` (also `kubectl-pullsecret __complete ...`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["__complete"]:
        args = args[1:]
    candidates, directive = complete(args)
    sys.stdout.write("".join(f"{c}\n" for c in candidates) + f":{directive}\n")
