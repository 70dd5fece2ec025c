"""--verify: ask the registry, the way a container runtime does, whether a credential can pull.

The flow is the distribution spec's (docs/spec/api.md, spec/auth/token.md; see
kubelet-pull-semantics.md section 9): ping `GET /v2/`, answer its Basic or Bearer
challenge, then prove pull access with `HEAD /v2/REPO/manifests/REF`. The verdict follows
the kubelet (section 6): credentials are tried in order, the first success wins, and there is
no anonymous retry once credentials exist. Every request goes through registry.http, which
enforces the safety rules (registry.safety).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from kubectl_pullsecret.kubelet.image_ref import ImageRef
from kubectl_pullsecret.kubelet.keyring import Credential
from kubectl_pullsecret.registry.auth import (
    B64TOKEN,
    Challenge,
    parse_www_authenticate,
    pull_scope,
    registry_endpoint,
    select_challenge,
    token_url,
)
from kubectl_pullsecret.registry.http import (
    _URL,
    VerifyConfigError,
    VerifyOptions,
    _Net,
    _Refused,
    _Response,
    _Unreachable,
)
from kubectl_pullsecret.registry.safety import redact
from kubectl_pullsecret.verdicts import catalogue
from kubectl_pullsecret.verdicts.catalogue import Code, Problem, Severity

__all__ = ["PullVerdict", "VerifyConfigError", "VerifyOptions", "verify_pull", "verify_pulls"]

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
MAX_TOKEN_RESPONSE = 1 << 20  # real token responses are a few kB


def _challenges(response: _Response) -> list[Challenge]:
    return parse_www_authenticate(response.headers.get_all("WWW-Authenticate") or [])


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
        for challenge in _challenges(response):
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
                problems.append(catalogue.tried_next(attempt.problem))
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
                        catalogue.rejected_credential_breaks_public_image(
                            image.original, keys, image.domain
                        )
                    )
        return PullVerdict(image, tuple(attempts), winner, tuple(problems), probe)

    @staticmethod
    def _word(image: ImageRef, credential: Credential | None, outcome: _Outcome) -> Problem:
        if outcome.code is Code.CREDENTIALS_VALID and credential is None:
            outcome = _Outcome(
                Code.ANONYMOUS_PULL_ALLOWED, Severity.INFO, outcome.message, outcome.hint
            )
        return catalogue.registry_answer(
            outcome.code,
            outcome.severity,
            image.original,
            describe_credential(credential),
            outcome.message,
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
            challenge = select_challenge(_challenges(response))
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
        late = select_challenge(_challenges(response)) if response.status == 401 else None
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
        if not isinstance(token, str) or not B64TOKEN.fullmatch(token):
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
