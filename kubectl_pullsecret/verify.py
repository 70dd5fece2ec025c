"""--verify: ask the registry, the way a container runtime does, whether a credential can pull.

The flow is the distribution spec's (docs/spec/api.md, spec/auth/token.md; see
kubelet-pull-semantics.md section 9): ping `GET /v2/`, answer its Basic or Bearer
challenge, then prove pull access with `HEAD /v2/REPO/manifests/REF`. The verdict follows
the kubelet (section 6): credentials are tried in order, the first success wins, and there is
no anonymous retry once credentials exist.

Safety rules, enforced here rather than left to callers:
- TLS is verified (system CAs plus an optional CA file) except for hosts the user listed as
  insecure registries; only those may also be reached over plain http.
- Token realms must be https, or http when the registry itself was reached over plain http.
- Every host is resolved here and screened before any connection: link-local and cloud
  metadata addresses are never contacted. The connection goes to the screened address, so a
  second DNS answer cannot swap it.
- Credentials go only to the origin they were meant for (the registry, or its token realm);
  a redirect to any other origin, or to plain http, loses the Authorization header.
- Passwords and tokens never appear in a Problem, a repr, an exception message or a log
  record: the logger `kubectl_pullsecret.verify` logs hosts, status codes and durations.

Only the standard library talks HTTP (http.client, ssl, socket).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import json
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from kubectl_pullsecret import __version__
from kubectl_pullsecret.imageref import DEFAULT_DOMAIN, ImageRef
from kubectl_pullsecret.keyring import Credential
from kubectl_pullsecret.problems import Code, Problem, Severity

log = logging.getLogger("kubectl_pullsecret.verify")

DOCKER_HUB_API_HOST = "registry-1.docker.io"
# What Docker Hub's /v2/ challenge names; kept for documentation and tests. The flow itself
# always follows the challenge the registry sends.
DOCKER_HUB_REALM = "https://auth.docker.io/token"
DOCKER_HUB_SERVICE = "registry.docker.io"

# containerd's Accept list for resolving a reference: all four manifest kinds, then anything.
MANIFEST_ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "*/*",
    ]
)
USER_AGENT = f"kubectl-pullsecret/{__version__} (verify)"
MAX_REDIRECTS = 5
MAX_TOKEN_RESPONSE = 1 << 20  # real token responses are a few kB
MAX_ERROR_BODY = 64 << 10

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

# RFC 6750 b64token. Anything else in a token (a newline above all) would make http.client
# raise ValueError with the header value, that is the token, in the message.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class VerifyConfigError(ValueError):
    """The options cannot be used (for example an unreadable --registry-ca file)."""


# ---------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class VerifyOptions:
    """How to reach registries.

    insecure_registries: `host[:port]` as written in image names (case-insensitive; docker.io
        images are served by registry-1.docker.io). Only these hosts may be reached over plain
        http or with an unverified certificate; https is tried first, then http, like
        docker's insecure-registries.
    ca_file: extra CA certificates (PEM) trusted in addition to the system store.
    connect_timeout: seconds one connection may take, from DNS lookup to the last byte of the
        response; each connection has its own.
    deadline: a time.monotonic() value after which nothing new is started and every open
        connection is cut (from --request-timeout). None: no overall bound.
    max_workers: images checked at the same time.
    """

    insecure_registries: frozenset[str] = frozenset()
    ca_file: str | None = None
    connect_timeout: float = 5.0
    deadline: float | None = None
    max_workers: int = 4


@dataclass(frozen=True, repr=False)
class Attempt:
    """One pull attempt the kubelet would make: with `credential`, or anonymously (None)."""

    credential: Credential | None
    problem: Problem

    @property
    def succeeds(self) -> bool:
        return self.problem.code in (Code.CREDENTIALS_VALID, Code.ANONYMOUS_PULL_ALLOWED)

    def __repr__(self) -> str:
        # Never the password, whatever Credential's own repr does.
        return f"Attempt(credential={describe_credential(self.credential)!r}, problem={self.problem!r})"


@dataclass(frozen=True, repr=False)
class PullVerdict:
    """What the registry says about pulling `image` with the credentials the kubelet offers.

    attempts: in the kubelet's order, up to and including the first that succeeds (the
        kubelet never tries the rest). With no credentials, one anonymous attempt.
    winner: index in `attempts` of the attempt that pulls, or None when the pull fails.
    problems: what to show: attempts that failed before the winner as warnings, the winner
        as info; without a winner every failure as found, plus the note when a rejected
        credential breaks an image that anyone could pull.
    anonymous_probe: the result of an extra anonymous check made only to explain a failure
        (a rejected credential); the kubelet itself would not make it. None if not made.
    """

    image: ImageRef
    attempts: tuple[Attempt, ...]
    winner: int | None
    problems: tuple[Problem, ...]
    anonymous_probe: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.winner is not None

    @property
    def winning_credential(self) -> Credential | None:
        return self.attempts[self.winner].credential if self.winner is not None else None

    def __repr__(self) -> str:
        return (
            f"PullVerdict(image={self.image.original!r}, attempts={self.attempts!r}, "
            f"winner={self.winner!r}, problems={self.problems!r}, "
            f"anonymous_probe={self.anonymous_probe!r})"
        )


def describe_credential(credential: Credential | None) -> str:
    """A label for messages: who, from where, under which key. Never the password."""
    if credential is None:
        return "no credentials (anonymous)"
    user = f"user {credential.username!r}" if credential.username else "an empty username"
    return f"{user} from {credential.source} (key {credential.written_key!r})"


def verify_pulls(
    requests: Sequence[tuple[ImageRef, Sequence[Credential]]],
    options: VerifyOptions | None = None,
) -> list[PullVerdict]:
    """One PullVerdict per request, in order.

    Each request is an image and the credentials the kubelet offers for it, in the kubelet's
    order (Keyring.lookup). Each distinct (registry, credential, repository, reference) is
    checked once; images are checked `max_workers` at a time; nothing runs past `deadline`.
    Raises VerifyConfigError for unusable options; network trouble is reported in verdicts.
    """
    options = options or VerifyOptions()
    checker = _Checker(options)
    if not requests:
        return []
    workers = max(1, min(options.max_workers, len(requests)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pullsecret-verify") as pool:
        futures = [
            pool.submit(checker.verdict, image, tuple(credentials))
            for image, credentials in requests
        ]
        return [future.result() for future in futures]


def verify_pull(
    image: ImageRef, credentials: Sequence[Credential], options: VerifyOptions | None = None
) -> PullVerdict:
    return verify_pulls([(image, credentials)], options)[0]


# ---------------------------------------------------------------------------------------------
# Pure helpers (unit-tested)


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: "basic", "bearer", ...
    params: Mapping[str, str] = field(default_factory=dict)  # names in lower case

    def get(self, name: str) -> str | None:
        return self.params.get(name)


def _skip(text: str, i: int, chars: str) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _parse_challenges(value: str) -> list[Challenge]:
    challenges: list[Challenge] = []
    params: dict[str, str] | None = None
    i = 0
    n = len(value)
    while i < n:
        i = _skip(value, i, " \t,")
        match = _HTTP_TOKEN.match(value, i)
        if match is None:
            break  # malformed: keep what was understood so far
        name = match.group()
        j = _skip(value, match.end(), " \t")
        if params is not None and j < n and value[j] == "=":
            j = _skip(value, j + 1, " \t")
            if j < n and value[j] == '"':
                chars: list[str] = []
                j += 1
                while j < n and value[j] != '"':
                    if value[j] == "\\" and j + 1 < n:
                        j += 1
                    chars.append(value[j])
                    j += 1
                param_value = "".join(chars)
                j += 1  # the closing quote
            else:
                # Lenient like Go clients: unquoted realms (https://a/b) are not tokens.
                start = j
                while j < n and value[j] not in ", \t":
                    j += 1
                param_value = value[start:j]
            params.setdefault(name.lower(), param_value)
            i = j
        else:
            params = {}
            challenges.append(Challenge(name.lower(), params))
            i = j
    return challenges


def parse_www_authenticate(values: str | Iterable[str]) -> list[Challenge]:
    """All challenges in one or more WWW-Authenticate header values (RFC 7235)."""
    if isinstance(values, str):
        values = [values]
    return [challenge for value in values for challenge in _parse_challenges(value)]


def select_challenge(challenges: Iterable[Challenge]) -> Challenge | None:
    """Bearer before Basic, as containerd orders them; other schemes are not understood."""
    by_scheme = {c.scheme: c for c in reversed(list(challenges))}
    return by_scheme.get("bearer") or by_scheme.get("basic")


def token_url(realm: str, service: str | None, scope: str) -> str:
    """realm?service=S&scope=SCOPE, keeping any query the realm already has."""
    parts = urlsplit(realm)
    params = [("service", service)] if service else []
    params.append(("scope", scope))
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def pull_scope(image: ImageRef) -> str:
    return f"repository:{image.path}:pull"


def split_hostport(hostport: str) -> tuple[str, int | None]:
    """'host', 'host:5000', '[::1]:5000' -> (host without brackets, port or None)."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise ValueError(f"bad host {hostport!r}")
        host, rest = hostport[1:end], hostport[end + 1 :]
        if not rest:
            return host, None
        if not rest.startswith(":") or not rest[1:].isdigit():
            raise ValueError(f"bad port in {hostport!r}")
        return host, int(rest[1:])
    host, sep, port = hostport.rpartition(":")
    if not sep:
        return hostport, None
    if not port.isdigit() or ":" in host:
        raise ValueError(f"bad host {hostport!r}")
    return host, int(port)


def join_hostport(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port is not None else shown


def registry_endpoint(domain: str) -> tuple[str, int | None]:
    """The API host and port for an image domain: docker.io is served by registry-1.docker.io."""
    if domain == DEFAULT_DOMAIN:
        return DOCKER_HUB_API_HOST, None
    return split_hostport(domain)


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


def _seconds(value: float) -> str:
    return f"{value:.3g}s"


# ---------------------------------------------------------------------------------------------
# HTTP with the safety rules


class _Unreachable(Exception):
    """The check could not be made: network trouble, or a safety rule refused it.

    The reason names hosts and OS errors only, never a credential.
    """

    def __init__(self, reason: str, hint: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


class _Refused(_Unreachable):
    """A safety rule stopped the request before any connection."""


@dataclass(frozen=True)
class _URL:
    scheme: str
    host: str  # without brackets, lower case
    port: int
    target: str  # path and query

    @classmethod
    def parse(cls, url: str) -> _URL:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise _Refused(f"not following {scheme or 'a scheme-less'} URL (only http/https)")
        if parts.username is not None or parts.password is not None:
            raise _Refused("not following a URL with user info in it")
        try:
            port = parts.port
        except ValueError as exc:
            raise _Refused("not following a URL with an invalid port") from exc
        host = (parts.hostname or "").lower()
        if not host:
            raise _Refused("not following a URL without a host")
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        return cls(scheme, host, port or (443 if scheme == "https" else 80), target)

    @property
    def default_port(self) -> bool:
        return self.port == (443 if self.scheme == "https" else 80)

    @property
    def hostport(self) -> str:
        """host[:port] as a Host header and as messages show it (no default port)."""
        return join_hostport(self.host, None if self.default_port else self.port)

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    def with_target(self, target: str) -> _URL:
        return _URL(self.scheme, self.host, self.port, target)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.hostport}{self.target}"


@dataclass(frozen=True)
class _Response:
    method: str
    url: _URL
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def challenges(self) -> list[Challenge]:
        return parse_www_authenticate(self.headers.get_all("WWW-Authenticate") or [])


class _Net:
    """One request at a time per call; every connection bounded in time and screened."""

    def __init__(self, options: VerifyOptions):
        self.options = options
        self._verified = ssl.create_default_context()
        if options.ca_file:
            try:
                self._verified.load_verify_locations(cafile=options.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise VerifyConfigError(
                    f"cannot use CA file {options.ca_file}: {exc.strerror or exc}"
                ) from exc
        self._unverified = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._unverified.check_hostname = False
        self._unverified.verify_mode = ssl.CERT_NONE
        for context in (self._verified, self._unverified):
            context.set_alpn_protocols(["http/1.1"])

    # -- time

    def remaining(self) -> float | None:
        if self.options.deadline is None:
            return None
        return self.options.deadline - time.monotonic()

    def _budget(self) -> tuple[float, bool]:
        """(seconds this connection may take, whether the overall deadline is what limits it)."""
        budget = self.options.connect_timeout
        remaining = self.remaining()
        if remaining is not None and remaining < budget:
            if remaining <= 0:
                raise _Unreachable(
                    "not checked: the overall deadline passed",
                    "raise --request-timeout to give the registries more time",
                )
            return remaining, True
        return budget, False

    # -- the safety rules

    def insecure(self, url: _URL) -> bool:
        listed = self.options.insecure_registries
        # "host" and "host:443" both name https://host (and "host:80" http://host).
        return is_insecure(url.hostport, listed) or (
            url.default_port and is_insecure(f"{url.hostport}:{url.port}", listed)
        )

    def _resolve(self, host: str, port: int, end: float, budget: str) -> list[str]:
        refusal = hostname_refusal(host)
        if refusal is not None:
            raise _Refused(f"not contacting {host}: {refusal}")
        try:
            literal = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [host]
        else:
            # getaddrinfo has no timeout of its own: run it aside and stop waiting at `end`.
            result: list[object] = []

            def lookup() -> None:
                try:
                    result.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
                except (OSError, UnicodeError) as exc:
                    result.append(exc)

            worker = threading.Thread(target=lookup, daemon=True, name="pullsecret-dns")
            worker.start()
            worker.join(max(0.0, end - time.monotonic()))
            if not result:
                raise _Unreachable(f"DNS lookup of {host} timed out after {budget}")
            answer = result[0]
            if isinstance(answer, BaseException):
                detail = getattr(answer, "strerror", None) or type(answer).__name__
                raise _Unreachable(
                    f"DNS lookup of {host} failed ({detail})",
                    "check the registry name; nodes may use a different DNS than this machine",
                )
            assert isinstance(answer, list)
            addresses = list(dict.fromkeys(str(info[4][0]) for info in answer))
        # Refuse if any answer is forbidden: a name that also points at the metadata service
        # is not one to trust with credentials.
        for address in addresses:
            refusal = address_refusal(address)
            if refusal is not None:
                raise _Refused(
                    f"not contacting {host}: {refusal}, which --verify never contacts",
                    "registries never live on link-local or metadata addresses",
                )
        return addresses

    def _connect(self, url: _URL, end: float, budget: str, holder: list[socket.socket]) -> None:
        addresses = self._resolve(url.host, url.port, end, budget)
        last: OSError | None = None
        sock: socket.socket | None = None
        for address in addresses:
            timeout = end - time.monotonic()
            if timeout <= 0:
                raise TimeoutError
            try:
                sock = socket.create_connection((address, url.port), timeout=timeout)
                break
            except OSError as exc:
                last = exc
        if sock is None:
            assert last is not None
            raise last
        holder.append(sock)
        if url.scheme == "https":
            context = self._unverified if self.insecure(url) else self._verified
            sock.settimeout(max(0.001, end - time.monotonic()))
            holder.append(context.wrap_socket(sock, server_hostname=url.host))

    @staticmethod
    def _describe(exc: BaseException, url: _URL, budget: str) -> _Unreachable:
        """An exception as a reason to show: hosts and OS error texts only."""
        where = url.hostport
        if isinstance(exc, ssl.SSLCertVerificationError):
            detail = exc.verify_message or exc.reason or "verification failed"
            return _Unreachable(
                f"TLS certificate verify failed for {where} ({detail})",
                "pass the registry's CA with --registry-ca FILE, or list the host with "
                "--insecure-registry HOST if nodes skip verification for it",
            )
        if isinstance(exc, ssl.SSLError):
            reason = (exc.reason or type(exc).__name__).replace("_", " ").lower()
            hint = ""
            if "wrong version" in reason or "record" in reason or "packet length" in reason:
                hint = (
                    f"{where} may speak plain http; if nodes treat it as an insecure registry, "
                    f"pass --insecure-registry {where}"
                )
            return _Unreachable(f"TLS handshake with {where} failed ({reason})", hint)
        if isinstance(exc, TimeoutError):
            return _Unreachable(f"{where} timed out after {budget}")
        if isinstance(exc, ConnectionRefusedError):
            return _Unreachable(f"connection to {where} refused (nothing listens there)")
        if isinstance(exc, http.client.HTTPException | ConnectionError):
            return _Unreachable(f"{where} closed the connection or sent a malformed response")
        if isinstance(exc, OSError):
            return _Unreachable(f"connection to {where} failed ({exc.strerror or exc})")
        return _Unreachable(f"request to {where} failed ({type(exc).__name__})")

    def _once(
        self, method: str, url: _URL, headers: Mapping[str, str], purpose: str, max_body: int
    ) -> _Response:
        start = time.monotonic()
        seconds, by_deadline = self._budget()
        budget = _seconds(seconds) + (" (the overall deadline)" if by_deadline else "")
        end = start + seconds
        holder: list[socket.socket] = []
        cut = threading.Event()

        def watchdog() -> None:
            # Per-recv socket timeouts do not bound a server that drips bytes; cutting the
            # socket at `end` does. socket.socket.shutdown bypasses SSLSocket's override.
            cut.set()
            for sock in holder:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

        timer = threading.Timer(seconds, watchdog)
        timer.daemon = True
        timer.start()
        conn: http.client.HTTPConnection | None = None
        try:
            self._connect(url, end, budget, holder)
            conn = http.client.HTTPConnection(url.host, url.port, timeout=seconds)
            conn.sock = holder[-1]
            # A global http.client debuglevel would print request headers, Authorization
            # included: pin ours to 0.
            conn.set_debuglevel(0)
            conn.putrequest(method, url.target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", url.hostport)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            response = conn.getresponse()
            body = b"" if method == "HEAD" else response.read(max_body)
            if cut.is_set():
                # Cut mid-response, http.client may still hand back a "complete" answer made
                # of the truncated bytes: never trust it.
                raise TimeoutError
            result = _Response(method, url, response.status, response.headers, body)
        except _Refused:
            log.debug(
                "%s %s %s://%s refused before connecting", purpose, method, url.scheme, url.hostport
            )
            raise
        except BaseException as exc:
            if isinstance(exc, _Unreachable):
                error = exc  # already worded (a DNS failure or timeout)
            elif cut.is_set():
                error = _Unreachable(f"{url.hostport} timed out after {budget}")
            else:
                error = self._describe(exc, url, budget)
            log.debug(
                "%s %s %s://%s failed after %d ms (%s)",
                purpose,
                method,
                url.scheme,
                url.hostport,
                (time.monotonic() - start) * 1000,
                type(exc).__name__,
            )
            if isinstance(exc, Exception):
                raise error from None  # the original may carry request details; drop it
            raise
        finally:
            timer.cancel()
            if conn is not None:
                conn.close()
            for sock in holder:
                sock.close()
        log.debug(
            "%s %s %s://%s -> %d in %d ms",
            purpose,
            method,
            url.scheme,
            url.hostport,
            result.status,
            (time.monotonic() - start) * 1000,
        )
        return result

    def request(
        self,
        method: str,
        url: _URL,
        *,
        purpose: str,
        authorization: str | None = None,
        accept: str | None = None,
        max_body: int = MAX_ERROR_BODY,
    ) -> _Response:
        """Send one request, following redirects under the safety rules.

        `authorization` goes only to the origin of `url` (scheme, host, port): a redirect
        elsewhere, or down to http, continues without it.
        """
        auth_origin = url.origin
        for _ in range(MAX_REDIRECTS + 1):
            headers = {"User-Agent": USER_AGENT}
            if accept:
                headers["Accept"] = accept
            if authorization is not None and url.origin == auth_origin:
                headers["Authorization"] = authorization
            response = self._once(method, url, headers, purpose, max_body)
            location = response.headers.get("Location")
            if response.status not in (301, 302, 303, 307, 308) or not location:
                return response
            target = _URL.parse(urljoin(str(url), location))
            if target.scheme == "http" and not (
                (url.scheme == "http" and url.host == target.host) or self.insecure(target)
            ):
                raise _Refused(
                    f"not following a redirect from {url.hostport} to plain http on "
                    f"{target.hostport}"
                )
            if response.status == 303:
                method = "GET"
            url = target
        raise _Unreachable(f"too many redirects from {url.hostport}")


# ---------------------------------------------------------------------------------------------
# The check


@dataclass(frozen=True)
class _Outcome:
    """A check's result before it is worded for one credential."""

    code: Code
    severity: Severity
    message: str
    hint: str = ""

    @property
    def readable(self) -> bool:
        return self.code in (Code.CREDENTIALS_VALID, Code.ANONYMOUS_PULL_ALLOWED)


@dataclass(frozen=True)
class _Ping:
    base: _URL  # https://host[:port] or http://... (target "/v2/")
    challenge: Challenge | None  # None: the registry asks for no credentials


def _unreachable(exc: _Unreachable) -> _Outcome:
    hint = exc.hint or (
        "checked from this machine: nodes may reach the registry differently "
        "(other networks, proxies, DNS)"
    )
    return _Outcome(Code.REGISTRY_UNREACHABLE, Severity.WARNING, exc.reason, hint)


def _rate_limited(host: str) -> _Outcome:
    return _Outcome(
        Code.RATE_LIMITED,
        Severity.WARNING,
        f"{host} is rate limiting (HTTP 429 toomanyrequests); the check is inconclusive",
        "wait, or authenticate: Docker Hub allows more pulls to signed-in users",
    )


def _error_detail(response: _Response, secrets: Iterable[str]) -> str:
    """The registry's own error code and message, short, with any secret blanked."""
    detail = ""
    try:
        payload = json.loads(response.body.decode("utf-8", errors="replace") or "null")
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        errors = payload.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            detail = " ".join(
                str(first.get(key) or "") for key in ("code", "message") if first.get(key)
            )
        else:
            detail = str(payload.get("details") or payload.get("error") or "")
    if not detail:
        for challenge in response.challenges():
            if challenge.get("error"):
                detail = challenge.params["error"]
    detail = "".join(c for c in detail if c.isprintable())[:160]
    return redact(detail, secrets)


def _is_rate_limited(response: _Response) -> bool:
    return response.status == 429 or b"TOOMANYREQUESTS" in response.body.upper()


_T = TypeVar("_T")


class _Once(Generic[_T]):
    """Compute each key once, even when several threads ask at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[object, Future[_T]] = {}

    def get(self, key: object, compute: Callable[[], _T]) -> _T:
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = self._futures[key] = Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:
                future.set_exception(exc)
        # The owner's work is bounded by the connection timeouts and the deadline.
        return future.result()


class _Checker:
    def __init__(self, options: VerifyOptions):
        self.net = _Net(options)
        self._pings: _Once[_Ping | _Outcome] = _Once()
        self._checks: _Once[_Outcome] = _Once()

    # -- the verdict (the kubelet's order)

    def verdict(self, image: ImageRef, credentials: tuple[Credential, ...]) -> PullVerdict:
        attempts: list[Attempt] = []
        winner: int | None = None
        for index, credential in enumerate(credentials or (None,)):
            outcome = self.check(image, credential)
            attempts.append(Attempt(credential, self._word(image, credential, outcome)))
            if outcome.readable:
                winner = index
                break  # the kubelet stops at the first success

        problems: list[Problem] = []
        probe: Problem | None = None
        if winner is not None:
            for attempt in attempts[:winner]:
                p = attempt.problem
                problems.append(
                    Problem(
                        p.code,
                        Severity.WARNING,
                        f"{p.message}; the kubelet then tries the next credential",
                        p.hint,
                    )
                )
            problems.append(attempts[winner].problem)
        else:
            problems.extend(a.problem for a in attempts)
            rejected = [
                a for a in attempts if a.problem.code is Code.CREDENTIALS_REJECTED and a.credential
            ]
            if rejected:
                # Not the kubelet's behaviour (it never retries anonymously): only to explain.
                anonymous = self.check(image, None)
                probe = self._word(image, None, anonymous)
                if anonymous.readable:
                    keys = ", ".join(
                        sorted(
                            {
                                f"{a.credential.written_key} in {a.credential.source}"
                                for a in rejected
                                if a.credential
                            }
                        )
                    )
                    problems.append(
                        Problem(
                            Code.CREDENTIALS_REJECTED,
                            Severity.ERROR,
                            f"{image.original}: anyone may pull this image anonymously, but the "
                            "kubelet offers the rejected credential and never retries without "
                            "it: a wrong credential breaks even a public image",
                            f"fix or remove the credential ({keys}), or change its key so that "
                            f"it no longer matches {image.domain}",
                        )
                    )
        return PullVerdict(image, tuple(attempts), winner, tuple(problems), probe)

    @staticmethod
    def _word(image: ImageRef, credential: Credential | None, outcome: _Outcome) -> Problem:
        if outcome.code is Code.CREDENTIALS_VALID and credential is None:
            outcome = _Outcome(
                Code.ANONYMOUS_PULL_ALLOWED, Severity.INFO, outcome.message, outcome.hint
            )
        return Problem(
            outcome.code,
            outcome.severity,
            f"{image.original} with {describe_credential(credential)}: {outcome.message}",
            outcome.hint,
        )

    # -- one check, cached

    def check(self, image: ImageRef, credential: Credential | None) -> _Outcome:
        anonymous = credential is None or (not credential.username and not credential.password)
        who = (
            None if anonymous or credential is None else (credential.username, credential.password)
        )
        key = (image.domain, who, image.path, image.reference)
        return self._checks.get(key, lambda: self._check(image, who))

    def _registry_url(self, image: ImageRef) -> tuple[str, int | None]:
        try:
            return registry_endpoint(image.domain)
        except ValueError as exc:
            raise _Refused(f"cannot make a registry address of {image.domain!r}") from exc

    def ping(self, image: ImageRef) -> _Ping | _Outcome:
        return self._pings.get(image.domain, lambda: self._ping(image))

    def _ping(self, image: ImageRef) -> _Ping | _Outcome:
        try:
            host, port = self._registry_url(image)
            candidates = [_URL("https", host.lower(), port or 443, "/v2/")]
            if self.net.insecure(candidates[0]):
                # docker's insecure-registries: https (certificate unverified) first, then
                # plain http, only on connection-level failure.
                candidates.append(_URL("http", host.lower(), port or 80, "/v2/"))
            failures: list[_Unreachable] = []
            for url in candidates:
                try:
                    return self._ping_once(url)
                except _Refused:
                    raise
                except _Unreachable as exc:
                    failures.append(exc)
            if len(failures) == 1:
                raise failures[0]
            raise _Unreachable(
                "; ".join(
                    f"{u.scheme}: {f.reason}" for u, f in zip(candidates, failures, strict=True)
                ),
                failures[-1].hint,
            )
        except _Unreachable as exc:
            return _unreachable(exc)

    def _ping_once(self, url: _URL) -> _Ping | _Outcome:
        response = self.net.request("GET", url, purpose="ping")
        # The registry stays the origin we were asked about even if /v2/ redirected: the
        # credentials belong to it, not to wherever it points.
        base = url
        if response.status == 200:
            return _Ping(base, None)
        if response.status == 401:
            challenge = select_challenge(response.challenges())
            if challenge is None:
                return _Outcome(
                    Code.REGISTRY_UNREACHABLE,
                    Severity.WARNING,
                    f"{url.hostport} answered 401 on /v2/ without a Basic or Bearer challenge",
                )
            return _Ping(base, challenge)
        if _is_rate_limited(response):
            return _rate_limited(url.hostport)
        if response.status >= 500:
            return _Outcome(
                Code.REGISTRY_UNREACHABLE,
                Severity.WARNING,
                f"{url.hostport} answered HTTP {response.status} on GET /v2/ (server error)",
            )
        return _Outcome(
            Code.REGISTRY_UNREACHABLE,
            Severity.WARNING,
            f"{url.hostport} is not a v2 registry: GET /v2/ answered HTTP {response.status}",
            "check the registry host in the image name",
        )

    def _check(self, image: ImageRef, who: tuple[str, str] | None) -> _Outcome:
        secrets: list[str] = []
        basic: str | None = None
        if who is not None:
            encoded = base64.b64encode(f"{who[0]}:{who[1]}".encode()).decode("ascii")
            basic = f"Basic {encoded}"
            secrets += [who[1], encoded]
        try:
            ping = self.ping(image)
            if isinstance(ping, _Outcome):
                return ping
            return self._authorize_and_probe(image, ping, basic, secrets)
        except _Unreachable as exc:
            return _unreachable(exc)
        except Exception as exc:  # an odd server must not sink the other checks
            return _Outcome(
                Code.REGISTRY_UNREACHABLE,
                Severity.WARNING,
                f"unexpected {type(exc).__name__} while checking {image.domain}: "
                + redact(str(exc), secrets)[:200],
            )

    def _authorize_and_probe(
        self, image: ImageRef, ping: _Ping, basic: str | None, secrets: list[str]
    ) -> _Outcome:
        authorization: str | None = None
        how = "the registry asks for no credentials"
        if ping.challenge is not None:
            granted = self._authorize(image, ping.base, ping.challenge, basic, secrets)
            if isinstance(granted, _Outcome):
                return granted
            authorization, how = granted
        response = self._manifest(image, ping.base, authorization)
        late = select_challenge(response.challenges()) if response.status == 401 else None
        if ping.challenge is None and late is not None:
            # /v2/ was open but this repository asks for credentials: answer its challenge.
            granted = self._authorize(image, ping.base, late, basic, secrets)
            if isinstance(granted, _Outcome):
                return granted
            authorization, how = granted
            response = self._manifest(image, ping.base, authorization)
        has_credential = basic is not None
        return self._classify(
            image, ping.base, response, has_credential, how, authorization, secrets
        )

    def _authorize(
        self,
        image: ImageRef,
        base: _URL,
        challenge: Challenge,
        basic: str | None,
        secrets: list[str],
    ) -> tuple[str | None, str] | _Outcome:
        """The Authorization for the manifest request, or the outcome that ends the check."""
        if challenge.scheme == "basic":
            if basic is None:
                return None, "no credentials"  # the manifest request shows the 401
            response = self.net.request("GET", base, purpose="login", authorization=basic)
            if response.status == 200:
                return basic, f"{base.hostport} accepted the credential (Basic auth)"
            if response.status == 401:
                return _Outcome(
                    Code.CREDENTIALS_REJECTED,
                    Severity.ERROR,
                    f"{base.hostport} rejected the credential (HTTP 401 on GET /v2/ with Basic "
                    "auth)",
                    "check the username and password in the pull secret",
                )
            if _is_rate_limited(response):
                return _rate_limited(base.hostport)
            return _Outcome(
                Code.REGISTRY_UNREACHABLE,
                Severity.WARNING,
                f"{base.hostport} answered HTTP {response.status} to GET /v2/ with credentials",
            )

        realm = challenge.get("realm") or ""
        try:
            realm_url = _URL.parse(token_url(realm, challenge.get("service"), pull_scope(image)))
        except _Refused as exc:
            raise _Refused(f"token realm {realm!r} of {base.hostport}: {exc.reason}") from None
        if realm_url.scheme != "https" and base.scheme != "http":
            raise _Refused(
                f"not following the token realm {realm_url.scheme}://{realm_url.hostport}: it is "
                f"plain http while {base.hostport} was reached over https, so the credential "
                "would travel unencrypted",
                "token realms must use https (http only for a registry reached over plain http "
                "with --insecure-registry)",
            )
        realm_host = realm_url.hostport
        try:
            response = self.net.request(
                "GET", realm_url, purpose="token", authorization=basic, max_body=MAX_TOKEN_RESPONSE
            )
        except _Unreachable as exc:
            # Name the token server: "connection refused" alone would point at the registry.
            raise type(exc)(
                f"token server of {base.hostport} ({realm_url.scheme}://{realm_host}): "
                f"{exc.reason}",
                exc.hint,
            ) from None
        if response.status == 401:
            detail = _error_detail(response, secrets)
            if basic is None:
                return _Outcome(
                    Code.ACCESS_DENIED,
                    Severity.ERROR,
                    f"the token server {realm_host} refuses anonymous access (HTTP 401)",
                    "the repository is private: add an imagePullSecret with pull access",
                )
            return _Outcome(
                Code.CREDENTIALS_REJECTED,
                Severity.ERROR,
                f"the token server {realm_host} rejected the credential (HTTP 401"
                + (f": {detail}" if detail else "")
                + ")",
                "check the username and password (or access token) in the pull secret",
            )
        if _is_rate_limited(response):
            return _rate_limited(realm_host)
        if response.status == 403:
            return _Outcome(
                Code.ACCESS_DENIED,
                Severity.ERROR,
                f"the token server {realm_host} refused a token for {image.path} (HTTP 403)",
                "grant this account pull access to the repository",
            )
        if response.status != 200:
            return _Outcome(
                Code.REGISTRY_UNREACHABLE,
                Severity.WARNING,
                f"the token server {realm_host} answered HTTP {response.status}",
            )
        try:
            payload = json.loads(response.body)
        except ValueError:
            payload = None
        token = None
        if isinstance(payload, dict):
            token = payload.get("token") or payload.get("access_token")
        if not isinstance(token, str) or not _B64TOKEN.fullmatch(token):
            return _Outcome(
                Code.REGISTRY_UNREACHABLE,
                Severity.WARNING,
                f"the token server {realm_host} answered 200 without a usable token",
            )
        secrets.append(token)
        return f"Bearer {token}", f"the token server {realm_host} issued a token"

    def _manifest(
        self, image: ImageRef, base: _URL, authorization: str | None, method: str = "HEAD"
    ) -> _Response:
        url = base.with_target(f"/v2/{image.path}/manifests/{image.reference}")
        response = self.net.request(
            method, url, purpose="manifest", authorization=authorization, accept=MANIFEST_ACCEPT
        )
        if method == "HEAD" and response.status in (405, 501):  # no HEAD on manifests
            return self._manifest(image, base, authorization, "GET")
        return response

    def _classify(
        self,
        image: ImageRef,
        base: _URL,
        response: _Response,
        has_credential: bool,
        how: str,
        authorization: str | None,
        secrets: list[str],
    ) -> _Outcome:
        repo = (
            f"{image.path}:{image.reference}"
            if image.digest is None
            else f"{image.path}@{image.reference}"
        )
        if response.status == 200:
            if has_credential:
                return _Outcome(
                    Code.CREDENTIALS_VALID,
                    Severity.INFO,
                    f"can pull {repo} ({how})",
                )
            return _Outcome(
                Code.ANONYMOUS_PULL_ALLOWED,
                Severity.INFO,
                f"anyone can pull {repo} from {base.hostport} without credentials",
            )
        if response.status in (401, 403):
            detail = _error_detail(response, secrets)
            suffix = f" (HTTP {response.status}" + (f": {detail})" if detail else ")")
            if not has_credential:
                return _Outcome(
                    Code.ACCESS_DENIED,
                    Severity.ERROR,
                    f"{base.hostport} does not allow anonymous pulls of {image.path}{suffix}",
                    "the repository is private: add an imagePullSecret with pull access",
                )
            return _Outcome(
                Code.ACCESS_DENIED,
                Severity.ERROR,
                f"the credential is valid but may not pull {image.path}{suffix}",
                "grant this account pull access to the repository; some registries (Docker "
                "Hub among them) answer the same way for a repository that does not exist",
            )
        if response.status == 404:
            # HEAD has no body: ask again with GET to tell a missing tag from a missing repo.
            if response.method == "HEAD":
                again = self._manifest(image, base, authorization, "GET")
                if again.status == 404:
                    response = again
            detail = _error_detail(response, secrets)
            if "NAME_UNKNOWN" in detail:
                what = f"the repository {image.path} does not exist on {base.hostport}"
            else:
                what = f"{repo} does not exist on {base.hostport}"
            prefix = "the credential works, but " if has_credential else ""
            return _Outcome(
                Code.IMAGE_NOT_FOUND,
                Severity.ERROR,
                f"{prefix}{what}" + (f" ({detail})" if detail else " (HTTP 404)"),
                "check the image name and tag",
            )
        if _is_rate_limited(response):
            return _rate_limited(base.hostport)
        return _Outcome(
            Code.REGISTRY_UNREACHABLE,
            Severity.WARNING,
            f"{base.hostport} answered HTTP {response.status} for the manifest of {repo}",
        )
