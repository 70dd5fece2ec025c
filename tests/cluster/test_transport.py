"""Which proxy a cluster's requests go through, as client-go's ProxyFromEnvironment chooses:
the kubeconfig's proxy-url first, then HTTPS_PROXY or HTTP_PROXY by the server's scheme, none
for NO_PROXY hosts, localhost or loopback. Nothing is contacted."""

from __future__ import annotations

import pytest

from kubectl_pullsecret.cluster.transport import proxy_for, usable_here

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy")


@pytest.fixture(autouse=True)
def no_ambient_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_the_environment_names_the_proxy_by_the_servers_scheme(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://plain.corp:8080")
    assert proxy_for({"server": "https://api.prod.corp:6443"}) == "http://proxy.corp:3128"
    assert proxy_for({"server": "http://api.prod.corp:8080"}) == "http://plain.corp:8080"
    # The kubeconfig's own proxy comes first.
    cluster = {"server": "https://api.prod.corp:6443", "proxy-url": "http://kc.corp:3128"}
    assert proxy_for(cluster) == "http://kc.corp:3128"


@pytest.mark.parametrize(
    "server",
    [
        "https://localhost:6443",
        "https://127.0.0.1:6443",
        "https://127.8.9.10:6443",
        "https://[::1]:6443",
        "https://api.internal.corp:6443",  # NO_PROXY: a domain suffix
        "https://10.1.2.3:6443",  # NO_PROXY: the host itself
    ],
)
def test_no_proxy_localhost_and_loopback_go_direct(
    monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", ".internal.corp,10.1.2.3")
    assert proxy_for({"server": server}) == ""


def test_without_a_proxy_nothing_changes() -> None:
    assert proxy_for({"server": "https://api.prod.corp:6443"}) == ""


def test_a_socks_proxy_goes_through_the_kubernetes_client(monkeypatch: pytest.MonkeyPatch) -> None:
    server = {"server": "https://api.prod.corp:6443"}
    assert usable_here(server, {"token": "t"})
    monkeypatch.setenv("HTTPS_PROXY", "socks5://proxy.corp:1080")
    assert not usable_here(server, {"token": "t"})
    assert not usable_here({"server": "https://a:1"}, {"auth-provider": {"name": "oidc"}})


@pytest.mark.parametrize(
    ("no_proxy", "server", "direct"),
    [
        # golang.org/x/net/http/httpproxy (TestUseProxy's cases): a name spares its subdomains,
        # a leading dot or `*.` only the subdomains and the name itself, ports must agree.
        ("corp.example", "https://api.corp.example:6443", True),
        ("corp.example", "https://notcorp.example:6443", False),
        ("*.corp.example", "https://api.corp.example:6443", True),
        ("api.corp.example:6443", "https://api.corp.example:6443", True),
        ("api.corp.example:443", "https://api.corp.example:6443", False),
        ("10.0.0.0/8", "https://10.20.30.40:6443", True),
        ("10.0.0.0/8", "https://11.0.0.1:6443", False),
        ("[2001:db8::1]:6443", "https://[2001:db8::1]:6443", True),
        ("*", "https://anything.example:6443", True),
        (" API.Corp.Example ", "https://api.corp.example:6443", True),
    ],
)
def test_no_proxy_entries_as_go_reads_them(
    monkeypatch: pytest.MonkeyPatch, no_proxy: str, server: str, direct: bool
) -> None:
    monkeypatch.setenv("https_proxy", "proxy.corp:3128")  # the lower-case name, no scheme
    monkeypatch.setenv("no_proxy", no_proxy)
    assert proxy_for({"server": server}) == ("" if direct else "http://proxy.corp:3128")
