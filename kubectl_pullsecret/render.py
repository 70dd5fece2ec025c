"""Rendering reports as tables (for people) and JSON/YAML (a stable contract for scripts). Pure."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from kubectl_pullsecret.english import counted, share
from kubectl_pullsecret.verdicts.catalogue import Problem, Severity
from kubectl_pullsecret.verdicts.credential_health import Expiring, iso, remaining
from kubectl_pullsecret.verdicts.groups import Group, codes, group_id, group_reports
from kubectl_pullsecret.verdicts.image import CheckReport
from kubectl_pullsecret.verdicts.pod import ContainerReport
from kubectl_pullsecret.verdicts.secret import SecretView

API_VERSION = "kubectl-pullsecret/v1"
# C0/C1 controls and bidi overrides: hostile names must not repaint or reorder the terminal.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _UNSAFE.sub("?", text)


def _clean(value: Any) -> Any:
    """Make decoded strings safe to encode (lone surrogates from invalid UTF-8)."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def serialize(document: dict[str, Any], output: str) -> str:
    if output == "yaml":
        import yaml

        return yaml.safe_dump(
            _clean(document), sort_keys=False, allow_unicode=True, width=1_000_000
        )
    # The same cleaning, once over the whole text: JSON carries a lone surrogate through.
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], no_headers: bool = False) -> str:
    from tabulate import tabulate

    safe_rows = [[terminal_safe(str(cell)) for cell in row] for row in rows]
    if not safe_rows:
        return ""
    text = tabulate(
        safe_rows,
        headers=() if no_headers else list(headers),
        tablefmt="plain",
        disable_numparse=True,
    )
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def _problem_lines(problems: Sequence[Problem], indent: str = "  ") -> list[str]:
    lines = []
    for problem in problems:
        lines.append(
            terminal_safe(
                f"{indent}{problem.severity.value:<8}{problem.code.value}: {problem.message}"
            )
        )
        if problem.hint:
            lines.append(terminal_safe(f"{indent}{'':<8}fix: {problem.hint}"))
    return lines


def _codes(problems: Sequence[Problem]) -> str:
    codes = [p.code.value for p in problems if p.severity is not Severity.INFO]
    return ",".join(dict.fromkeys(codes)) or "-"


# --- diagnose ---------------------------------------------------------------------------------


def _state(report: ContainerReport) -> str:
    return f"{report.state} (latent)" if report.latent and report.has_findings else report.state


def _container(report: ContainerReport) -> str:
    if report.kind == "containers":
        return report.container
    return f"{report.container} ({report.kind.removesuffix('Containers')})"


# --- runs over several clusters ---------------------------------------------------------------

# (context, error) of each cluster of a run over several, error "" when it was read; empty for
# a single cluster's run.
Clusters = Sequence[tuple[str, str]]


def _clusters_field(clusters: Clusters) -> dict[str, Any]:
    if not clusters:
        return {}
    return {"clusters": [{"context": c, "error": e or None} for c, e in clusters]}


def _in_clusters(group: Group, clusters: Clusters, wide: bool) -> str:
    """The CONTEXT cell: its one context, or `3 of 20 clusters` (all of them listed in wide)."""
    contexts = group.contexts
    if wide or len(contexts) == 1:
        return ",".join(contexts)
    return share(len(contexts), len(clusters), "cluster")


def _where_said(group: Group, clusters: Clusters, wide: bool) -> str:
    """`in context prod-eu`, `in 3 of 20 clusters` (with their names in wide), for a block."""
    contexts = group.contexts
    if not clusters:
        return ""
    if len(contexts) == 1:
        return f" in context {contexts[0]}"
    listed = f": {', '.join(contexts)}" if wide else ""
    return f" in {share(len(contexts), len(clusters), 'cluster')}{listed}"


# --- diagnose ---------------------------------------------------------------------------------


def diagnose_table(
    reports: Sequence[ContainerReport],
    wide: bool,
    no_headers: bool,
    origins: Sequence[str] = (),
    clusters: Clusters = (),
) -> str:
    """One row and one block per group: a workload's Pods that fail the same way read once,
    in one cluster or in many (`origins`: each report's context, in a run over several)."""
    headers = [
        "NAMESPACE",
        "WORKLOAD",
        "CONTAINER",
        "IMAGE",
        "REGISTRY",
        "STATE",
        "PODS",
        "PROBLEMS",
    ]
    if wide:
        headers += [
            "POD-NAMES",
            "REPOSITORY",
            "SECRETS",
            "SERVICEACCOUNT",
            "CREDENTIALS",
            "KUBELET",
        ]
    if clusters:
        headers.insert(0, "CONTEXT")
    groups = group_reports(reports, origins)
    rows = []
    for group in groups:
        r = group.first
        states = ",".join(dict.fromkeys(_state(m) for m in group.reports))
        row = [
            *([_in_clusters(group, clusters, wide)] if clusters else []),
            r.namespace,
            r.workload,
            _container(r),
            r.image,
            r.registry or "-",
            states,
            group.share,
            _codes(r.problems),
        ]
        if wide:
            creds = ",".join(f"{c.secret}:{c.key}" for c in r.credentials) or "-"
            row += [
                ",".join(group.pods) or "-",
                r.repository or "-",
                ",".join(r.secrets) or "-",
                r.service_account,
                creds,
                r.kubelet.describe(),
            ]
        rows.append(row)
    text = table(headers, rows, no_headers)
    if no_headers:
        return text
    details: list[str] = []
    for group in groups:
        r = group.first
        if not r.problems and not r.credentials:
            continue
        details.append("")
        if r.template:
            pods = f" ({group.share}; its pod template, judged as a new Pod would pull)"
        else:
            alone = r.owners.top is None and len(group.reports) == 1
            pods = "" if alone else f" ({group.share_in_words})"
        where = _where_said(group, clusters, wide)
        details.append(
            terminal_safe(f"{r.namespace}/{r.workload} {r.container}: {r.image}{pods}{where}")
        )
        if r.credentials:
            offered = ", ".join(
                f"{c.secret} (key {c.key}, user {c.username or '<empty>'})" for c in r.credentials
            )
            details.append(terminal_safe(f"  credentials, in the kubelet's order: {offered}"))
        details.extend(_problem_lines(r.problems))
    return text + "\n".join(details) + ("\n" if details else "")


def _report_item(r: ContainerReport) -> dict[str, Any]:
    return {
        "namespace": r.namespace,
        "pod": r.pod,
        "container": r.container,
        "containerType": r.kind,
        "image": r.image,
        "repository": r.repository,
        "registry": r.registry,
        "state": r.state,
        "podPhase": r.pod_phase,
        "latent": r.latent,
        "serviceAccount": r.service_account,
        "secrets": list(r.secrets),
        "credentials": [
            {"secret": c.secret, "key": c.key, "username": c.username} for c in r.credentials
        ],
        "problems": [p.as_dict() for p in r.problems],
        "owners": [{"kind": o.kind, "name": o.name} for o in r.owners.owners],
        "template": r.template,
        "group": group_id(r),
        "kubelet": r.kubelet.as_dict(),
    }


def diagnose_document(
    reports: Sequence[ContainerReport],
    origins: Sequence[str] = (),
    clusters: Clusters = (),
    kind: str = "PullSecretDiagnosis",
) -> dict[str, Any]:
    """Items and their groups; in a run over several clusters, each item's `context`, each
    group's `contexts`, and each cluster's outcome (`clusters`)."""
    groups = group_reports(reports, origins)
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "items": [
            {"context": origin, **_report_item(r)} if clusters else _report_item(r)
            for r, origin in zip(reports, origins or ("",) * len(reports), strict=True)
        ],
        "groups": [
            {
                "id": g.id,
                "namespace": g.first.namespace,
                "workload": g.first.workload,
                "container": g.first.container,
                "codes": list(codes(g.first)),
                "pods": list(g.pods),
                "workloadPods": g.total,
                **({"contexts": list(g.contexts)} if clusters else {}),
            }
            for g in groups
        ],
        **_clusters_field(clusters),
    }


# --- check -f (preflight) -------------------------------------------------------------------


def _source(report: ContainerReport) -> str:
    top = report.owners.top
    return top.manifest if top is not None else ""


def _details(reports: Sequence[ContainerReport]) -> list[str]:
    lines: list[str] = []
    for r in reports:
        if not r.problems and not r.credentials:
            continue
        lines.append("")
        lines.append(
            terminal_safe(f"{r.namespace}/{r.workload} {r.container}: {r.image} ({_source(r)})")
        )
        if r.credentials:
            offered = ", ".join(
                f"{c.secret} (key {c.key}, user {c.username or '<empty>'})" for c in r.credentials
            )
            lines.append(terminal_safe(f"  credentials, in the kubelet's order: {offered}"))
        lines.extend(_problem_lines(r.problems))
    return lines


def preflight_table(reports: Sequence[ContainerReport], wide: bool, no_headers: bool) -> str:
    """One row per workload container, checked or not, then the problems with their fixes."""
    headers = ["NAMESPACE", "WORKLOAD", "CONTAINER", "IMAGE", "REGISTRY", "CREDENTIALS", "PROBLEMS"]
    if wide:
        headers += ["SOURCE", "REPOSITORY", "SECRETS", "SERVICEACCOUNT", "KUBELET"]
    rows = []
    for r in reports:
        row = [
            r.namespace,
            r.workload,
            _container(r),
            r.image,
            r.registry or "-",
            ",".join(f"{c.secret}:{c.key}" for c in r.credentials) or "-",
            _codes(r.problems),
        ]
        if wide:
            row += [
                _source(r),
                r.repository or "-",
                ",".join(r.secrets) or "-",
                r.service_account,
                r.kubelet.describe(),
            ]
        rows.append(row)
    text = table(headers, rows, no_headers)
    if no_headers:
        return text
    details = _details(reports)
    return text + "\n".join(details) + ("\n" if details else "")


def preflight_document(
    reports: Sequence[ContainerReport], warnings: Sequence[str]
) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "PullSecretPreflight",
        "items": [{**_report_item(r), "source": _source(r)} for r in reports],
        "warnings": list(dict.fromkeys(warnings)),
    }


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: control characters (hostile names) become '?'."""
    return _XML_UNSAFE.sub("?", text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


def junit(reports: Sequence[ContainerReport], warnings: Sequence[str]) -> str:
    """JUnit XML, one test case per workload container: a failure for every finding that makes
    the exit code 1, so that CI systems show what the exit code says."""
    from xml.etree import ElementTree as ET

    failures = [r for r in reports if r.has_findings]
    suite = ET.Element(
        "testsuite",
        {
            "name": "kubectl-pullsecret preflight",
            "tests": str(len(reports)),
            "failures": str(len(failures)),
            "errors": "0",
            "skipped": "0",
        },
    )
    for r in reports:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": _xml_text(f"{r.namespace}/{r.workload}"),
                "name": _xml_text(f"{r.container} {r.image}"),
                "file": _xml_text(_source(r)),
            },
        )
        findings = [p for p in r.problems if p.severity is not Severity.INFO]
        if findings:
            first = findings[0]
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "type": first.code.value,
                    "message": _xml_text(
                        f"{first.severity.value} {first.code.value}: {first.message}"
                    ),
                },
            )
            failure.text = _xml_text("\n".join(_problem_lines(r.problems, indent="")))
        elif r.problems:
            ET.SubElement(case, "system-out").text = _xml_text(
                "\n".join(_problem_lines(r.problems, indent=""))
            )
    if warnings:
        ET.SubElement(suite, "system-err").text = _xml_text(
            "\n".join(f"warning: {w}" for w in dict.fromkeys(warnings))
        )
    root = ET.Element(
        "testsuites", {"tests": suite.get("tests", "0"), "failures": suite.get("failures", "0")}
    )
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- show -------------------------------------------------------------------------------------


def _password(entry: Any) -> str:
    return (
        f"{entry.password} ({counted(entry.password_length, 'char')})"
        if entry.password == "<redacted>"
        else entry.password
    )


def show_table(view: SecretView, context: str = "") -> str:
    lines = [
        *([terminal_safe(f"Context:    {context}")] if context else []),
        terminal_safe(f"Secret:     {view.namespace}/{view.name}"),
        terminal_safe(f"Type:       {view.type}"),
        terminal_safe(f"Data key:   {view.data_key or '-'}"),
        terminal_safe(f"Used by:    {', '.join(view.used_by) or '-'}"),
        "",
    ]
    rows = [
        [
            e.key,
            e.registry or "(ignored)",
            e.username or "-",
            e.email or "-",
            _password(e),
            e.auth,
            e.expires or "-",
        ]
        for e in view.entries
    ]
    text = "\n".join(lines) + "\n"
    if rows:
        headers = ["KEY", "KUBELET KEY", "USERNAME", "EMAIL", "PASSWORD", "AUTH", "EXPIRES"]
        text += table(headers, rows)
    if view.problems:
        text += "\nProblems:\n" + "\n".join(_problem_lines(view.problems)) + "\n"
    return text


def secret_document(view: SecretView) -> dict[str, Any]:
    return {
        "namespace": view.namespace,
        "name": view.name,
        "type": view.type,
        "dataKey": view.data_key,
        "entries": [
            {
                "key": e.key,
                "registry": e.registry,
                "username": e.username,
                "email": e.email,
                "password": e.password,
                "passwordLength": e.password_length,
                "auth": e.auth,
                "expires": e.expires or None,
            }
            for e in view.entries
        ],
        "problems": [p.as_dict() for p in view.problems],
        "usedBy": list(view.used_by),
    }


def show_document(view: SecretView) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "PullSecret", **secret_document(view)}


def inventory_table(
    views: Sequence[SecretView], no_headers: bool = False, origins: Sequence[str] = ()
) -> str:
    """One row per secret; in a run over several clusters, its context first."""
    rows = [
        [
            *([origin] if origins else []),
            v.namespace,
            v.name,
            v.type,
            ",".join(e.registry or f"({e.key})" for e in v.entries) or "-",
            str(len(v.used_by)),
            _codes(v.problems),
        ]
        for v, origin in zip(views, origins or ("",) * len(views), strict=True)
    ]
    headers = ["NAMESPACE", "NAME", "TYPE", "REGISTRIES", "USED-BY", "PROBLEMS"]
    return table(["CONTEXT", *headers] if origins else headers, rows, no_headers)


def inventory_document(
    views: Sequence[SecretView],
    origins: Sequence[str] = (),
    clusters: Clusters = (),
    dated: Sequence[Expiring] = (),
    now: float = 0.0,
) -> dict[str, Any]:
    """Every secret shown; in a run over several clusters, each with its `context`."""
    return {
        "apiVersion": API_VERSION,
        "kind": "PullSecretList",
        "items": [
            {"context": origin, **secret_document(v)} if clusters else secret_document(v)
            for v, origin in zip(views, origins or ("",) * len(views), strict=True)
        ],
        **expiring_field(dated, now, bool(clusters)),
        **_clusters_field(clusters),
    }


# --- credentials that end ---------------------------------------------------------------------


def _when(expiry: Expiring, now: float) -> str:
    if expiry.expires_at <= now:
        return f"expired {remaining(now - expiry.expires_at)} ago"
    return f"in {remaining(expiry.expires_at - now)}"


def expiring_table(dated: Sequence[Expiring], now: float, fleet: bool) -> str:
    """The credentials that ended or end soon, the soonest first (`\n` + a titled table)."""
    if not dated:
        return ""
    headers = ["NAMESPACE", "SECRET", "KEY", "USERNAME", "CREDENTIAL", "EXPIRES", "WHEN"]
    rows = [
        [
            *([x.context] if fleet else []),
            x.namespace,
            x.secret,
            x.key,
            x.username or "-",
            x.what,
            iso(x.expires_at),
            _when(x, now),
        ]
        for x in dated
    ]
    title = f"\n{counted(len(dated), 'credential')} expired or expiring, the soonest first:\n"
    return title + table(["CONTEXT", *headers] if fleet else headers, rows)


def expiring_field(dated: Sequence[Expiring], now: float, fleet: bool) -> dict[str, Any]:
    """`expiring` for JSON and YAML: [{context, namespace, secret, key, username, credential,
    expires, expired}], the soonest first."""
    return {
        "expiring": [
            {
                **({"context": x.context} if fleet else {}),
                "namespace": x.namespace,
                "secret": x.secret,
                "key": x.key,
                "username": x.username,
                "credential": x.what,
                "expires": iso(x.expires_at),
                "expired": x.expires_at <= now,
            }
            for x in dated
        ]
    }


# --- check ------------------------------------------------------------------------------------


def check_table(report: CheckReport) -> str:
    lines = [
        terminal_safe(f"Image:       {report.image}"),
        terminal_safe(f"Repository:  {report.repository or '-'}"),
        terminal_safe(f"Registry:    {report.registry or '-'}"),
        terminal_safe(f"Kubelet:     {report.kubelet.describe()}"),
        "",
    ]
    text = "\n".join(lines) + "\n"
    if report.matches:
        text += "Credentials the kubelet offers, in order (the first that works wins; a failure is not skipped):\n"
        rows = [
            [str(i), m.source, m.key, m.username or "-"] for i, m in enumerate(report.matches, 1)
        ]
        text += table(["#", "SOURCE", "KEY", "USERNAME"], rows)
    else:
        text += "No credential matches: the kubelet pulls anonymously (or with node credentials).\n"
    if report.problems:
        text += "\nProblems:\n" + "\n".join(_problem_lines(report.problems)) + "\n"
    return text


def check_document(report: CheckReport) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "PullSecretCheck",
        "image": report.image,
        "repository": report.repository,
        "registry": report.registry,
        "matches": [
            {"source": m.source, "key": m.key, "username": m.username} for m in report.matches
        ],
        "kubelet": report.kubelet.as_dict(),
        "problems": [p.as_dict() for p in report.problems],
    }
