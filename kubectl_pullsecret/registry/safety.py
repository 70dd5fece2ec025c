"""The safety rules of --verify, pure: what may be contacted, and with what.

- TLS is verified (system CAs plus an optional CA file) except for hosts the user listed as
  insecure registries; only those may also be reached over plain http.
- Token realms must be https, or http when the registry itself was reached over plain http.
- Every host is resolved and screened before any connection: link-local and cloud metadata
  addresses are never contacted. The connection goes to the screened address, so a second DNS
  answer cannot swap it.
- Credentials go only to the origin they were meant for (the registry, or its token realm);
  a redirect to any other origin, or to plain http, loses the Authorization header.
- Passwords and tokens never appear in a Problem, a repr, an exception message or a log
  record: the logger `kubectl_pullsecret.verify` logs hosts, status codes and durations.

registry.http enforces them on every request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

# Addresses that are never contacted. Link-local covers 169.254.169.254 (AWS, GCP, Azure,
# OpenStack, Oracle) and 169.254.170.2 (ECS task metadata); the others are metadata services
# outside the link-local ranges.
_REFUSED_NETWORKS = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
)
_METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"): "cloud metadata service",
    ipaddress.ip_address("fd00:ec2::254"): "AWS metadata service (IPv6)",
    ipaddress.ip_address("fd20:ce::254"): "GCP metadata service (IPv6)",
    ipaddress.ip_address("100.100.100.200"): "Alibaba Cloud metadata service",
}
_METADATA_HOSTNAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.azure.internal",
    }
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


_IP = ipaddress.IPv4Address | ipaddress.IPv6Address


def _unwrap(address: _IP) -> list[_IP]:
    """The address plus any IPv4 address it carries (mapped ::ffff:a.b.c.d, NAT64)."""
    found: list[_IP] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def address_refusal(address: str | _IP) -> str | None:
    """Why `address` must not be contacted, or None when it may be."""
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    for candidate in _unwrap(ip):
        if candidate in _METADATA_ADDRESSES:
            return f"{ip} is the {_METADATA_ADDRESSES[candidate]}"
        if any(candidate in net for net in _REFUSED_NETWORKS if net.version == candidate.version):
            return f"{ip} is a link-local address"
    return None


def hostname_refusal(host: str) -> str | None:
    """Why a host name must not be resolved at all (a metadata service name), or None."""
    name = host.rstrip(".").lower()
    if name in _METADATA_HOSTNAMES:
        return f"{host} is a cloud metadata service name"
    return None


def is_insecure(hostport: str, insecure_registries: Iterable[str]) -> bool:
    """Whether `host[:port]` is listed as an insecure registry (exact, case-insensitive)."""
    wanted = hostport.lower()
    return any(entry.strip().lower() == wanted for entry in insecure_registries)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text
