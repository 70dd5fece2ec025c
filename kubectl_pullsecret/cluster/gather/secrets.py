"""The pull secrets of one cluster's run: those named, every one in scope, and where else a
missing one exists. Each is read once per run, however many Pods and templates name it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubectl_pullsecret.cluster.client import KubeClient, core_path
from kubectl_pullsecret.cluster.errors import ApiStatusError, Forbidden, KubeError, NotFound
from kubectl_pullsecret.cluster.gather.batch import BULK_THRESHOLD, Key, at_once, key_of
from kubectl_pullsecret.cluster.objects import secret_fetch
from kubectl_pullsecret.kubelet.docker_config import PULL_SECRET_TYPES
from kubectl_pullsecret.kubelet.pod import SecretFetch, SecretStatus


class Secrets:
    """The pull secrets of a cluster's run (`reader.secrets`); `namespace` is the scope's,
    None for every namespace."""

    def __init__(self, client: KubeClient, namespace: str | None) -> None:
        self.client = client
        self.namespace = namespace
        self._read: dict[Key, SecretFetch] = {}
        self._by_name: dict[str, list[dict[str, Any]] | None] = {}

    def _named_everywhere(self, name: str) -> list[dict[str, Any]] | None:
        """Every secret of this name in any namespace: one request per name, cached; None
        when RBAC forbids listing secrets across namespaces."""
        if name not in self._by_name:
            try:
                self._by_name[name] = self.client.list_all(
                    core_path("secrets"), {"fieldSelector": f"metadata.name={name}"}
                )
            except Forbidden:
                self._by_name[name] = None
        return self._by_name[name]

    def look_everywhere(self, names: Iterable[str]) -> None:
        """The cross-namespace lookups of these names, several at once."""
        at_once(self._named_everywhere, sorted(set(names) - self._by_name.keys()))

    def in_scope(self) -> dict[Key, SecretFetch]:
        """Every docker-registry Secret in scope: one list per pull-secret type."""
        found: dict[Key, SecretFetch] = {}
        for secret_type in PULL_SECRET_TYPES:
            query = {"fieldSelector": f"type={secret_type}"}
            try:
                for item in self.client.iterate(core_path("secrets", self.namespace), query):
                    found[key_of(item)] = secret_fetch(key_of(item)[1], item)
            except Forbidden as exc:
                raise KubeError(f"{exc} (need: list secrets)") from None
        self._read.update(found)
        return found

    def named(self, wanted: set[Key]) -> dict[Key, SecretFetch]:
        """The wanted (namespace, name) secrets, each read once per run: a GET each when few;
        otherwise one list per pull-secret type, and one cross-namespace lookup per name for
        the rest (missing or of another type), which also says where else they exist."""
        found = {k: self._read[k] for k in wanted if k in self._read}
        if len(wanted - found.keys()) > BULK_THRESHOLD:
            namespaces = {ns for ns, _ in wanted - found.keys()}
            scope = next(iter(namespaces)) if len(namespaces) == 1 else None
            try:
                for items in at_once(
                    lambda secret_type: self.client.list_all(
                        core_path("secrets", scope), {"fieldSelector": f"type={secret_type}"}
                    ),
                    PULL_SECRET_TYPES,
                ):
                    for item in items:
                        if key_of(item) in wanted:
                            found[key_of(item)] = secret_fetch(key_of(item)[1], item)
            except Forbidden:
                pass  # fall back to one GET per secret
            self.look_everywhere({n for _, n in wanted - found.keys()})
            for name in sorted({n for _, n in wanted - found.keys()}):
                items = self._named_everywhere(name)
                if items is None:
                    continue
                by_namespace = {key_of(i)[0]: i for i in items}
                for namespace in sorted(ns for ns, n in wanted - found.keys() if n == name):
                    item = by_namespace.get(namespace)
                    found[(namespace, name)] = (
                        secret_fetch(name, item)
                        if item
                        else SecretFetch(
                            name, SecretStatus.MISSING, detail=f'in namespace "{namespace}"'
                        )
                    )
        missing = sorted(wanted - found.keys())
        found.update(zip(missing, at_once(self._secret, missing), strict=True))
        self._read.update(found)
        return found

    def _secret(self, key: Key) -> SecretFetch:
        namespace, name = key
        try:
            item = self.client.get(core_path("secrets", namespace, name))
        except NotFound:
            return SecretFetch(name, SecretStatus.MISSING, detail=f'in namespace "{namespace}"')
        except Forbidden:
            return SecretFetch(
                name,
                SecretStatus.FORBIDDEN,
                detail=f"RBAC forbids `get secrets` for user {self.client.user}",
            )
        except ApiStatusError as exc:
            return SecretFetch(name, SecretStatus.ERROR, detail=str(exc))
        return secret_fetch(name, item)

    def elsewhere(self, name: str, namespace: str) -> tuple[list[tuple[str, str]], bool]:
        """Other namespaces holding a secret of this name, with its type; and whether we could look."""
        items = self._named_everywhere(name)
        if items is None:
            return [], False
        return [
            (key_of(i)[0], str(i.get("type") or "")) for i in items if key_of(i)[0] != namespace
        ], True

    def missing_elsewhere(
        self, pod_secrets: dict[str, SecretFetch], namespace: str
    ) -> tuple[dict[str, tuple[str, ...]], dict[str, str], bool]:
        """For each missing secret, the other namespaces holding one of that name and its
        type there; and whether any of them could not be looked for."""
        elsewhere: dict[str, tuple[str, ...]] = {}
        types: dict[str, str] = {}
        unknown = False
        for name, fetch in pod_secrets.items():
            if fetch.status is not SecretStatus.MISSING:
                continue
            found, could_look = self.elsewhere(name, namespace)
            unknown |= not could_look
            if found:
                elsewhere[name] = tuple(ns for ns, _ in found)
                types[name] = found[0][1]
        return elsewhere, types, unknown
