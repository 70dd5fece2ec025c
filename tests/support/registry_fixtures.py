"""Fixtures for --verify: real registries (tests/support/registries.py), started once per
session. Missing tools (docker-registry, skopeo, htpasswd) follow support.plugin.unavailable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.plugin import unavailable
from tests.support.registries import (
    APT_PACKAGES,
    Pki,
    Registry,
    TokenAuth,
    TokenServer,
    missing_tools,
    write_oci_layout,
)
from tests.support.registry_users import ALICE, PRIVATE, PUBLIC, PUSHER, TAG, USERS


@pytest.fixture(scope="session")
def registry_tools() -> None:
    missing = missing_tools()
    if missing:
        unavailable(
            f"{', '.join(missing)} not on PATH; install with: apt-get install -y "
            + " ".join(APT_PACKAGES)
        )


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("verify")


@pytest.fixture(scope="session")
def pki(workdir: Path) -> Pki:
    return Pki.create(workdir / "pki")


@pytest.fixture(scope="session")
def layout(workdir: Path) -> Path:
    return write_oci_layout(workdir / "layout", TAG)


@pytest.fixture(scope="session")
def token_server(pki: Pki) -> Iterator[TokenServer]:
    with TokenServer(pki, USERS, frozenset({PUBLIC})) as server:
        yield server


@pytest.fixture(scope="session")
def http_token_server(pki: Pki) -> Iterator[TokenServer]:
    """The same token server over plain http (realm rules)."""
    with TokenServer(pki, USERS, frozenset({PUBLIC}), tls=False) as server:
        yield server


@dataclass
class Registries:
    token_tls: Registry  # token auth, TLS from the test CA
    token_http: Registry  # token auth, plain http (an insecure registry), https realm
    basic_tls: Registry  # htpasswd, TLS
    basic_http: Registry  # htpasswd, plain http


@pytest.fixture(scope="session")
def registries(
    registry_tools: None, workdir: Path, pki: Pki, layout: Path, token_server: TokenServer
) -> Iterator[Registries]:
    basic_users = {PUSHER[0]: PUSHER[1], ALICE[0]: ALICE[1]}
    started: list[Registry] = []
    try:
        token_tls = Registry(workdir / "token-tls", pki=pki, token=TokenAuth(token_server.realm))
        token_http = Registry(
            workdir / "token-http", pki=pki, tls=False, token=TokenAuth(token_server.realm)
        )
        basic_tls = Registry(workdir / "basic-tls", pki=pki, htpasswd_users=basic_users)
        basic_http = Registry(workdir / "basic-http", tls=False, htpasswd_users=basic_users)
        for registry in (token_tls, token_http, basic_tls, basic_http):
            registry.start()
            started.append(registry)
            registry.push(layout, TAG, f"{PRIVATE}:{TAG}", PUSHER)
        token_tls.push(layout, TAG, f"{PUBLIC}:{TAG}", PUSHER)
        yield Registries(token_tls, token_http, basic_tls, basic_http)
    finally:
        for registry in reversed(started):
            registry.stop()


@pytest.fixture
def start_registry(
    registry_tools: None, tmp_path: Path, pki: Pki
) -> Iterator[Callable[..., Registry]]:
    """Start token-auth registries whose challenge names any realm; stopped after the test."""
    started: list[Registry] = []

    def start(realm: str, *, tls: bool = True) -> Registry:
        registry = Registry(tmp_path / f"r{len(started)}", pki=pki, tls=tls, token=TokenAuth(realm))
        registry.start()
        started.append(registry)
        return registry

    try:
        yield start
    finally:
        for registry in started:
            registry.stop()
