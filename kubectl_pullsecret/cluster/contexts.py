"""Which kubeconfig contexts a run over several clusters reads: `--all-contexts`, or
`--contexts` with globs on the contexts' names, where `!PATTERN` leaves some out.

The kubeconfig is found and merged as kubectl does it (cluster.kubeconfig); each context is
then resolved on its own, with its own cluster, user, namespace, exec plugin, proxy and TLS.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from kubectl_pullsecret.cluster.errors import KubeError
from kubectl_pullsecret.cluster.kubeconfig import (
    KubeOptions,
    kubeconfig_paths,
    load_documents,
    merge_kubeconfigs,
)


def context_names(options: KubeOptions) -> list[str]:
    """The contexts of the kubeconfig kubectl would read, by name, as `kubectl config
    get-contexts` lists them (sorted)."""
    paths = kubeconfig_paths(options.kubeconfig)
    if not paths:
        raise KubeError(
            "no kubeconfig found (looked at KUBECONFIG and ~/.kube/config): a run over several "
            "clusters reads their contexts from one; pass --kubeconfig or set KUBECONFIG"
        )
    merged = merge_kubeconfigs(load_documents(paths))
    names = {
        item["name"]
        for item in merged["contexts"]
        if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]
    }
    return sorted(names)


def split_patterns(values: Sequence[str]) -> list[str]:
    """`--contexts a,b --contexts '!c'`: every pattern, in order, blanks dropped."""
    return [p.strip() for value in values for p in value.split(",") if p.strip()]


def select_contexts(names: Sequence[str], patterns: Sequence[str]) -> tuple[list[str], list[str]]:
    """The names that some pattern matches and no `!PATTERN` excludes, in the order given;
    only exclusions start from every name. Also the patterns that matched no name at all
    (for a warning: a typo reads nothing)."""
    wanted = [p for p in patterns if not p.startswith("!")]
    unwanted = [p[1:] for p in patterns if p.startswith("!")]
    chosen = [n for n in names if not wanted or any(fnmatchcase(n, p) for p in wanted)]
    chosen = [n for n in chosen if not any(fnmatchcase(n, p) for p in unwanted)]
    unmatched = [p for p in patterns if not any(fnmatchcase(n, p.removeprefix("!")) for n in names)]
    return chosen, unmatched
