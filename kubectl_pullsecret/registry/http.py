"""HTTP to registries under the safety rules: one request at a time, every connection bounded
in time, every host screened before it is contacted, credentials kept to their origin. Only the
standard library talks HTTP (http.client, ssl, socket)."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from kubectl_pullsecret import __version__
from kubectl_pullsecret.errors import CommandError
from kubectl_pullsecret.registry.safety import address_refusal, hostname_refusal, is_insecure

log = logging.getLogger("kubectl_pullsecret.verify")

USER_AGENT = f"kubectl-pullsecret/{__version__} (verify)"
MAX_REDIRECTS = 5
MAX_ERROR_BODY = 64 << 10


class VerifyConfigError(CommandError, ValueError):
    """The options cannot be used (for example an unreadable --registry-ca file)."""


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


def _seconds(value: float) -> str:
    return f"{value:.3g}s"


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
