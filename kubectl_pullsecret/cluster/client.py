"""The HTTP client of the Kubernetes API: raw JSON GETs, paginated, retried, bounded in time.

Requests go over the official client's configured connection pool (TLS, client certificates,
bearer tokens, exec plugins): no model deserialization, paginated lists, and server-side field
selectors so that the number of requests follows the trouble, not the cluster's size.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from kubectl_pullsecret.cluster.errors import (
    ApiStatusError,
    Expired,
    Forbidden,
    KubeError,
    NotFound,
)
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions, resolve_config
from kubectl_pullsecret.secrecy import remember, scrub

log = logging.getLogger("kubectl_pullsecret.kube")

PAGE_SIZE = 500
MAX_ATTEMPTS = 4  # for 429, 5xx and connection failures
MAX_LIST_RESTARTS = 2  # after 410 Gone on a continue token
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
# Lists of metadata only (PartialObjectMetadataList, meta.k8s.io/v1 since 1.15): owners and
# names without the specs, a fraction of the bytes.
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


@dataclass
class RequestStats:
    requests: int = 0
    bytes_read: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, size: int) -> None:
        with self._lock:  # reads may run in threads (gather.both)
            self.requests += 1
            self.bytes_read += size

    def count_bytes(self, size: int) -> None:
        with self._lock:
            self.bytes_read += size


class KubeClient:
    """GETs raw JSON from the API server. Counts requests and bytes for --debug, and logs
    them when closed. `label` prefixes its log lines (the context, in a run over several)."""

    def __init__(self, options: KubeOptions, label: str = "") -> None:
        self.options = options
        self._prefix = f'context "{label}": ' if label else ""
        resolved = resolve_config(options)
        self.namespace = resolved.namespace
        self.context = resolved.context
        self.impersonation = resolved.impersonation
        # Whose rights the requests use: the impersonated user's, when there is one.
        self.user = self.impersonation.user if self.impersonation else resolved.user
        self.credentials = resolved.credentials
        self._transport = resolved.transport
        if not self._transport.verify:
            import urllib3

            # --insecure-skip-tls-verify was asked for: kubectl does not warn on every request.
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._auth = self._auth_headers()
        self.stats = RequestStats()
        self._started = time.monotonic()

    def close(self) -> None:
        logging.getLogger("kubectl_pullsecret").debug(
            "%s%d API requests, %d bytes read",
            self._prefix,
            self.stats.requests,
            self.stats.bytes_read,
        )
        self._transport.close()

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _auth_headers(self, refresh: bool = False) -> dict[str, str]:
        """The credentials' headers: once, and again (an exec plugin run anew) on a 401."""
        headers = self._transport.auth(refresh)
        # Tokens and basic credentials never reach a stream, whatever an error may echo.
        remember(value.partition(" ")[2] for value in headers.values())
        return headers

    def _headers(self, accept: str = "application/json") -> Any:
        from urllib3._collections import HTTPHeaderDict  # urllib3 1.26 has it only here

        headers = HTTPHeaderDict(
            {"Accept": accept, "User-Agent": "kubectl-pullsecret", **self._auth}
        )
        for name, value in self.impersonation.headers() if self.impersonation else ():
            headers.add(name, value)  # one header per group, as client-go sends them
        return headers

    def _timeout(self) -> Any:
        import urllib3

        budget = self.options.request_timeout
        if budget is None:
            return urllib3.Timeout(connect=DEFAULT_CONNECT_TIMEOUT, read=DEFAULT_READ_TIMEOUT)
        return urllib3.Timeout(connect=budget, read=budget)

    def _budget_left(self) -> float | None:
        if self.options.request_timeout is None:
            return None
        return self.options.request_timeout - (time.monotonic() - self._started)

    def get(
        self, path: str, query: dict[str, str] | None = None, accept: str = "application/json"
    ) -> dict[str, Any]:
        url = self._transport.host + path
        if query:
            url += "?" + urlencode(query)
        shown = path + ("?" + urlencode(query) if query else "")
        delay = 0.2
        refreshed = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            started = time.monotonic()
            try:
                response = self._transport.pool.request(
                    "GET",
                    url,
                    headers=self._headers(accept),
                    timeout=self._timeout(),
                    retries=False,
                    preload_content=False,
                )
                body = self._read(response, started)
            except Exception as exc:  # urllib3 raises many kinds; all mean "no answer"
                failure = _describe_transport_error(exc, self._transport.host)
                log.debug(
                    "%sGET %s failed after %.0f ms: %s",
                    self._prefix,
                    shown,
                    1000 * (time.monotonic() - started),
                    failure,
                )
                if attempt < MAX_ATTEMPTS and _retryable_transport(exc) and self._can_wait(delay):
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise KubeError(failure) from None
            self.stats.count(len(body))
            log.debug(
                "%sGET %s -> %d in %.0f ms, %d bytes",
                self._prefix,
                shown,
                response.status,
                1000 * (time.monotonic() - started),
                len(body),
            )
            if 200 <= response.status < 300:
                try:
                    document = json.loads(body)
                except ValueError:
                    raise KubeError(f"the API server sent invalid JSON for {path}") from None
                if not isinstance(document, dict):
                    raise KubeError(f"the API server sent an unexpected document for {path}")
                _remember_secrets(document)
                return document
            if response.status == 401 and not refreshed:
                # An exec plugin's token may have expired during the run: ask it once more.
                refreshed = True
                fresh = self._auth_headers(refresh=True)
                if fresh != self._auth:
                    self._auth = fresh
                    continue
            retry_after = _retry_after(response.headers.get("Retry-After"))
            if (response.status == 429 or response.status >= 500) and attempt < MAX_ATTEMPTS:
                wait = max(delay, retry_after or 0.0)
                if self._can_wait(wait):
                    time.sleep(wait)
                    delay *= 2
                    continue
            raise self._status_error(response.status, body, path)
        raise KubeError(f"GET {path}: gave up after {MAX_ATTEMPTS} attempts")  # pragma: no cover

    def _read(self, response: Any, started: float) -> bytes:
        """The whole body, within --request-timeout from the request's start, as kubectl
        bounds a request: a server that trickles its answer is cut like one that stalls (the
        socket's own timeout only bounds each wait for bytes)."""
        budget = self.options.request_timeout
        # read1 returns what has arrived; read(n) waits for n bytes. urllib3 1.26 lacks it.
        read = getattr(response, "read1", response.read)
        chunks = []
        try:
            while chunk := read(1 << 16):
                chunks.append(chunk)
                if budget is not None and time.monotonic() - started > budget:
                    raise _Trickled()
        except BaseException:
            response.close()  # the rest of the answer must not be read as the next one's
            raise
        response.release_conn()
        return b"".join(chunks)

    def watch(
        self, path: str, query: dict[str, str], seconds: float
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """The changes to a list after `query`'s resourceVersion, as the API server streams them
        (`?watch=1`, one JSON event a line): (type, object) pairs, for at most `seconds` (the
        server closes the stream then). One request however long it runs; a failure to start it
        raises as `get` does, a broken stream just ends."""
        import urllib3

        params = dict(query, watch="1", timeoutSeconds=str(max(1, int(seconds))))
        url = self._transport.host + path + "?" + urlencode(params)
        connect = self.options.request_timeout or DEFAULT_CONNECT_TIMEOUT
        try:
            response = self._transport.pool.request(
                "GET",
                url,
                headers=self._headers(),
                timeout=urllib3.Timeout(connect=connect, read=seconds + 30),
                retries=False,
                preload_content=False,
            )
        except Exception as exc:  # urllib3 raises many kinds; all mean "no answer"
            raise KubeError(_describe_transport_error(exc, self._transport.host)) from None
        self.stats.count(0)
        log.debug("WATCH %s?%s -> %d", path, urlencode(query), response.status)
        if response.status != 200:
            body = response.read()
            response.release_conn()
            raise self._status_error(response.status, body, path)
        pending = b""
        try:
            for chunk in response.stream(64 * 1024):
                self.stats.count_bytes(len(chunk))
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    try:
                        event = json.loads(line) if line.strip() else None
                    except ValueError:
                        return
                    if isinstance(event, dict) and isinstance(event.get("object"), dict):
                        yield str(event.get("type")), event["object"]
        except Exception as exc:  # a stream that breaks off ends; the caller lists again
            log.debug("WATCH %s ended: %s", path, type(exc).__name__)
        finally:
            response.release_conn()

    def _can_wait(self, seconds: float) -> bool:
        left = self._budget_left()
        return left is None or left > seconds

    def _status_error(self, status: int, body: bytes, path: str) -> ApiStatusError:
        try:
            document = json.loads(body)
            message = str(document.get("message") or "")
            reason = str(document.get("reason") or "")
        except (ValueError, AttributeError):
            message, reason = "", ""
        message = scrub(message or f"HTTP {status} for {path}", 300)
        if status == 401:
            raise KubeError(
                f"the API server rejected the credentials of {self.credentials} (context "
                f'"{self.context}"): 401 Unauthorized; log in again or check the kubeconfig'
            )
        if status == 403:
            if self.impersonation is not None:
                # Whose rights failed: the impersonated user's, or the impersonator's right
                # to impersonate.
                message += (
                    f" (as {self.impersonation.describe()}, impersonated by {self.credentials})"
                )
            return Forbidden(status, reason, message)
        if status == 404:
            return NotFound(status, reason, message)
        if status == 410:
            return Expired(status, reason, message)
        if status == 429 or status >= 500:
            return ApiStatusError(
                status, reason, f"the API server keeps failing ({status}): {message}"
            )
        return ApiStatusError(status, reason, message)

    def list_all(
        self, path: str, query: dict[str, str] | None = None, page_size: int = PAGE_SIZE
    ) -> list[dict[str, Any]]:
        """Every item of a list."""
        return list(self.iterate(path, query, page_size=page_size))

    def iterate(
        self,
        path: str,
        query: dict[str, str] | None = None,
        metadata_only: bool = False,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """The items of a list as its pages arrive, so that a caller keeps only what it needs.
        The next page is already being read while the caller works on this one: the server's
        time per page overlaps the caller's. A 410 on a continue token restarts the list;
        items already given are not given again. `metadata_only` asks for
        PartialObjectMetadata: each item's metadata, nothing else."""
        accept = METADATA_ONLY if metadata_only else "application/json"
        given: set[tuple[str, str, str]] = set()
        # A caller may stop early: it does not wait for the page being read.
        reader = ThreadPoolExecutor(max_workers=1)
        try:
            for restart in range(MAX_LIST_RESTARTS + 1):
                params = dict(query or {}, limit=str(page_size))
                try:
                    page = self.get(path, params, accept)
                    while True:
                        token = (page.get("metadata") or {}).get("continue")
                        upcoming = None
                        if token:
                            params["continue"] = token
                            upcoming = reader.submit(self.get, path, dict(params), accept)
                        for item in page.get("items") or []:
                            if not isinstance(item, dict):
                                continue
                            meta = item.get("metadata") or {}
                            key = (
                                str(meta.get("namespace")),
                                str(meta.get("name")),
                                str(meta.get("uid")),
                            )
                            if restart and key in given:
                                continue
                            given.add(key)
                            yield item
                        if upcoming is None:
                            return
                        page = upcoming.result()
                except Expired:
                    if "continue" not in params or restart == MAX_LIST_RESTARTS:
                        raise
                    log.debug(
                        "%scontinue token expired for %s; restarting the list", self._prefix, path
                    )
        finally:
            reader.shutdown(wait=False, cancel_futures=True)
        raise AssertionError("unreachable")  # pragma: no cover


class _Trickled(Exception):
    """The answer did not arrive within --request-timeout, though bytes kept coming."""


def _remember_secrets(document: dict[str, Any]) -> None:
    """Every Secret is remembered as it arrives, so that no stream can echo its values."""
    from kubectl_pullsecret.cluster.objects import sensitive_values

    kind = document.get("kind")
    if kind == "Secret":
        remember(sensitive_values(document))
    elif kind == "SecretList":
        for item in document.get("items") or []:
            if isinstance(item, dict):
                remember(sensitive_values(item))


def _retry_after(value: str | None) -> float | None:
    try:
        return min(float(value), 10.0) if value else None
    except ValueError:
        return None


def _retryable_transport(exc: Exception) -> bool:
    import urllib3.exceptions as ue

    # A refused or reset connection may be a restarting server; TLS and DNS errors will not heal.
    return isinstance(exc, (ue.NewConnectionError, ue.ProtocolError)) and not isinstance(
        exc, ue.NameResolutionError
    )


def _describe_transport_error(exc: Exception, host: str) -> str:
    import urllib3.exceptions as ue

    reason = exc.reason if isinstance(exc, ue.MaxRetryError) and exc.reason else exc
    text = str(reason)
    if "Connection refused" in text:  # urllib3 2 makes refusals a kind of connect timeout
        what = "connection refused"
    elif isinstance(reason, ue.SSLError) or "CERTIFICATE_VERIFY_FAILED" in text:
        what = "TLS verification failed (wrong CA or server name in the kubeconfig?)"
    elif isinstance(reason, ue.NameResolutionError) or "Name or service not known" in text:
        what = "the server's name does not resolve"
    elif isinstance(reason, (ue.ConnectTimeoutError,)):
        what = "timed out connecting"
    elif isinstance(reason, ue.ReadTimeoutError):
        what = "timed out waiting for an answer"
    elif isinstance(reason, _Trickled):
        what = "the answer did not arrive within --request-timeout"
    elif isinstance(reason, ue.ProtocolError):
        what = "the connection broke off"
    else:
        what = type(reason).__name__
    return f"cannot reach the API server at {host}: {what}; check the cluster is up and the context is right (--context, --request-timeout)"


# --- resource paths ---------------------------------------------------------------------------


def core_path(resource: str, namespace: str | None = None, name: str | None = None) -> str:
    path = "/api/v1"
    if namespace is not None:
        path += f"/namespaces/{quote(namespace, safe='')}"
    path += f"/{resource}"
    if name is not None:
        path += f"/{quote(name, safe='')}"
    return path


def check_namespace(client: KubeClient, namespace: str, warnings: list[str]) -> None:
    """After an empty answer: a namespace that does not exist is an error, as in kubectl get -n."""
    try:
        client.get(core_path("namespaces", name=namespace))
    except NotFound:
        raise KubeError(f'namespace "{namespace}" not found') from None
    except Forbidden:
        warnings.append(
            f'cannot check that namespace "{namespace}" exists (forbidden: get namespaces); an empty answer may mean it does not'
        )
    except ApiStatusError:
        pass  # an empty result is still an answer
