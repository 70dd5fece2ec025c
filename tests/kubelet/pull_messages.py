"""A corpus of genuine pull-failure messages: the kubelet's and the runtimes' texts.

Each entry says where the text lives (the runtime's error, a kubelet event message, or a
container's waiting reason and message), which runtime and kubelet versions write it, where it
comes from, and the class the classifier must give it. Sources are:

- a user's report, quoted as stored in ../shared/docs/modern-kubelet.md (issue or PR named;
  "…" marks what that record shortened);
- the genuine kubelet 1.20.2 + containerd 1.6.20 node of ../shared/docs/real-node.md (its
  registry host written there as "H", its port as "P");
- code: a format string at a tag (file:line), the text built from it with an example host.
  These are marked "(code)": no user paste was found for that exact form.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubectl_pullsecret.kubelet.messages import PullError

AUTH = PullError.AUTH
NOT_FOUND = PullError.NOT_FOUND
RATE_LIMITED = PullError.RATE_LIMITED
UNREACHABLE = PullError.UNREACHABLE
TIMEOUT = PullError.TIMEOUT
MISCONFIGURED = PullError.MISCONFIGURED
SIGNATURE = PullError.SIGNATURE
SHORT_NAME = PullError.SHORT_NAME
CREDENTIAL_LOOKUP = PullError.CREDENTIAL_LOOKUP

RUNTIME = "runtime"  # the runtime's error text, as the kubelet passes it on
EVENT = "event"  # a kubelet event message
WAITING = "waiting"  # a container's state.waiting (reason + message)


@dataclass(frozen=True)
class PullMessage:
    text: str
    expected: PullError
    runtime: str
    kubelet: str
    source: str
    where: str = RUNTIME
    reason: str = ""  # the waiting reason, for WAITING


MESSAGES: tuple[PullMessage, ...] = (
    # -- the genuine 1.20.2 node (real-node.md, "What the genuine kubelet 1.20.2 reports") ----
    PullMessage(
        'failed to pull and unpack image "H/team/app:a": failed to resolve reference '
        '"H/team/app:a": pulling from host H failed with status code [manifests a]: '
        "401 Unauthorized",
        AUTH,
        "containerd 1.6.20",
        "1.20.2",
        "real-node.md: 401, anonymous and wrong password alike (cases a, b, c, e, i2)",
    ),
    PullMessage(
        'rpc error: code = NotFound desc = failed to pull and unpack image "H/team/nothere:v1": '
        'failed to resolve reference "H/team/nothere:v1": H/team/nothere:v1: not found',
        NOT_FOUND,
        "containerd 1.6.20",
        "1.20.2",
        "real-node.md: missing tag or repository (cases g, g2); the record shortens the head",
    ),
    PullMessage(
        'failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/'
        'latest": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: dial udp '
        "10.255.255.53:53: connect: network is unreachable",
        UNREACHABLE,
        "containerd 1.6.20",
        "1.20.2",
        "real-node.md: Docker Hub with no network (case h)",
    ),
    PullMessage(
        "illegal base64 data at input byte 0",
        CREDENTIAL_LOOKUP,
        "kubelet",
        "1.20.2",
        "real-node.md: ErrImagePull message for a secret whose auth is not base64 (case f)",
        WAITING,
        "ErrImagePull",
    ),
    PullMessage(
        'Back-off pulling image "H/team/app:a"',
        PullError.UNKNOWN,
        "containerd 1.6.20",
        "1.20.2",
        "real-node.md: ImagePullBackOff is just the back-off sentence before 1.32",
        WAITING,
        "ImagePullBackOff",
    ),
    PullMessage(
        'failed to pull and unpack image "127.0.0.1:P/team/app:d": failed to resolve reference '
        '"127.0.0.1:P/team/app:d": pulling from host 127.0.0.1:P failed with status code '
        "[manifests d]: 400 Bad Request",
        MISCONFIGURED,
        "containerd 1.6.20",
        "1.20.2",
        "real-node.md obstacle 3.1: containerd spoke http to the TLS registry (hosts.toml "
        "rejected); good credentials were offered",
    ),
    # -- the kubelet's own texts (image_manager.go, kubelet_pods.go) ------------------------------
    PullMessage(
        'Back-off pulling image "quay.io/crio/unsigned:latest": SignatureValidationFailed: '
        "image pull failed for quay.io/crio/unsigned:latest because the signature validation "
        "failed: Source image rejected: A signature was required, but no signature exists",
        SIGNATURE,
        "CRI-O",
        "1.32+",
        "kubernetes PR #127918 description (waiting message during back-off)",
        WAITING,
        "ImagePullBackOff",
    ),
    PullMessage(
        "image pull failed for quay.io/crio/unsigned:latest because the signature validation "
        "failed: Source image rejected: A signature was required, but no signature exists",
        SIGNATURE,
        "CRI-O",
        "1.28+",
        "kubernetes PR #127918 description (the SignatureValidationFailed state)",
        WAITING,
        "SignatureValidationFailed",
    ),
    PullMessage(
        "image pull failed for quay.io/openshift-release-dev/ocp-release@sha256:digest because "
        "the signature validation failed: Source image rejected: A signature was required, but "
        "no signature exists",
        SIGNATURE,
        "CRI-O",
        "1.28+",
        "openshift code comment quoting the waiting message (found by the code search)",
        WAITING,
        "SignatureValidationFailed",
    ),
    PullMessage(
        'Failed to pull image "localhost:5000/foo": RegistryUnavailable: pinging container '
        'registry localhost:5000: Get "http://localhost:5000/v2/": dial tcp [::1]:5000: '
        "connect: connection refused",
        UNREACHABLE,
        "CRI-O",
        "1.28+",
        "kubernetes PR #117935 example (the Failed event keeps the CRI error name)",
        EVENT,
    ),
    PullMessage(
        "image pull failed for localhost:5000/foo because the registry is unavailable: "
        'pinging container registry localhost:5000: Get "http://localhost:5000/v2/": dial tcp '
        "[::1]:5000: connect: connection refused",
        UNREACHABLE,
        "CRI-O",
        "1.28+",
        "(code) image_manager.go evalCRIPullErr applied to PR #117935's error",
        WAITING,
        "RegistryUnavailable",
    ),
    PullMessage(
        'Back-off pulling image "localhost:5000/foo": RegistryUnavailable: image pull failed '
        "for localhost:5000/foo because the registry is unavailable: pinging container registry "
        'localhost:5000: Get "http://localhost:5000/v2/": dial tcp [::1]:5000: connect: '
        "connection refused",
        UNREACHABLE,
        "CRI-O",
        "1.32+",
        "(code) image_manager.go prevPullErrMsg `%s: %s` (PR #127918) on PR #117935's error",
        WAITING,
        "ImagePullBackOff",
    ),
    PullMessage(
        'Back-off pulling image "private.example.com/team/app:v1": ErrImagePull: failed to '
        'pull and unpack image "private.example.com/team/app:v1": failed to resolve reference '
        '"private.example.com/team/app:v1": unexpected status from HEAD request to '
        "https://private.example.com/v2/team/app/manifests/v1: 401 Unauthorized",
        AUTH,
        "containerd 1.7",
        "1.32+",
        "(code) image_manager.go back-off message (PR #127918) with containerd v1.7.34 "
        "remotes/errors/errors.go:36",
        WAITING,
        "ImagePullBackOff",
    ),
    PullMessage(
        "rpc error: code = Unknown desc = failed to pull and unpack image "
        '"docker.io/library/redis-1.17.1:latest": failed to resolve reference …: pull access '
        "denied, repository does not exist or may require authorization: server message: "
        "insufficient_scope: authorization failed",
        AUTH,
        "containerd",
        "<=1.27",
        "modern-kubelet.md K5: user paste of state.waiting with reason ErrImagePull",
        WAITING,
        "ErrImagePull",
    ),
    PullMessage(
        "illegal base64 data at input byte 4",
        CREDENTIAL_LOOKUP,
        "kubelet",
        "1.33+",
        '(code) image_manager.go EnsureImageExists `return "", err.Error(), err`: the '
        "lookup error becomes reason and message (modern-kubelet.md K8)",
        WAITING,
        "illegal base64 data at input byte 4",
    ),
    PullMessage(
        "unable to parse auth field, must be formatted as base64(username:password)",
        CREDENTIAL_LOOKUP,
        "kubelet",
        "1.33+",
        "(code) pkg/credentialprovider/config.go decodeDockerConfigFieldAuth (newest)",
        WAITING,
        "unable to parse auth field, must be formatted as base64(username:password)",
    ),
    PullMessage(
        "Error: illegal base64 data at input byte 4",
        CREDENTIAL_LOOKUP,
        "kubelet",
        "1.33+",
        "(code) kuberuntime_container.go startContainer records Failed `Error: %v`",
        EVENT,
    ),
    PullMessage(
        '(combined from similar events): Failed to pull image "busybox:1.36.1": rpc error: '
        "code = Unknown desc = … dial tcp 199.59.148.246:443: i/o timeout",
        UNREACHABLE,
        "containerd",
        "<=1.27",
        "modern-kubelet.md 1.3: user paste `Warning Failed 35m (x83 over 7h46m) kubelet "
        "(combined from similar events): ...`",
        EVENT,
    ),
    PullMessage(
        'Failed to pull image "msoap/shell2http:1.16.0": failed to pull and unpack image '
        '"docker.io/msoap/shell2http:1.16.0": … connect: connection timed out',
        UNREACHABLE,
        "containerd",
        "1.28+",
        "modern-kubelet.md K2: user paste without the rpc prefix (apecloud/kubeblocks#9169)",
        EVENT,
    ),
    PullMessage(
        'Failed to pull image "…azurecr.io/…": [failed to pull and unpack image …: failed to '
        "authorize: failed to fetch oauth token: unexpected status from GET request to "
        "https://…azurecr.io/oauth2/token?…: 401 Unauthorized, rpc error: code = NotFound desc "
        "= failed to pull and unpack image …: failed to copy: httpReadSeeker: failed open: could "
        "not fetch content descriptor sha256:… from remote: not found, …]",
        NOT_FOUND,
        "containerd",
        "1.28+",
        "modern-kubelet.md K6: Esri/arcgis-gitops#168, two credentials: the first rejected, "
        "the second authenticated and found no blob, so not 'credentials rejected'",
        EVENT,
    ),
    # -- containerd 1.7 / 2.x (modern-kubelet.md 2.2) -----------------------------------------
    PullMessage(
        "pulling from host registry.app.xxx.net failed with status code [manifests …]: "
        "401 Unauthorized",
        AUTH,
        "containerd 1.6",
        "any",
        "kubernetes/kubernetes#110675 (Harbor)",
    ),
    PullMessage(
        "unexpected status code [manifests v0.3.0]: 401 Unauthorized",
        AUTH,
        "containerd (old)",
        "any",
        "kaidotdev/vegeta-controller#1",
    ),
    PullMessage(
        "unexpected status from HEAD request to https://registry.example.com/v2/team/app/"
        "manifests/v1: 401 Unauthorized",
        AUTH,
        "containerd 1.7, 2.x",
        "any",
        "(code) containerd v1.7.34 remotes/errors/errors.go:36, v2.3.4 core/remotes/errors/"
        "errors.go:43",
    ),
    PullMessage(
        "failed to authorize: failed to fetch oauth token: unexpected status from GET request "
        "to https://…azurecr.io/oauth2/token?scope=repository%3A…%3Apull&service=…azurecr.io: "
        "401 Unauthorized",
        AUTH,
        "containerd 1.7",
        "any",
        "Esri/arcgis-gitops#168 (ACR token server)",
    ),
    PullMessage(
        "pull access denied, repository does not exist or may require authorization: server "
        "message: insufficient_scope: authorization failed",
        AUTH,
        "containerd 1.7, 2.x",
        "any",
        "pfnet/image-pull-secrets-provisioner#31",
    ),
    PullMessage(
        "pull access denied, repository does not exist or may require authorization: "
        "authorization failed: no basic auth credentials",
        AUTH,
        "containerd 1.7, 2.x",
        "any",
        "kubernetes/kops#16762 (ECR); containerd v1.7.34 remotes/docker/authorizer.go:194",
    ),
    PullMessage(
        'failed to resolve reference "ghcr.io/vigil-soc/vigil-backend:latest": unexpected '
        "status from HEAD request to https://ghcr.io/v2/vigil-soc/vigil-backend/manifests/"
        "latest: 403 Forbidden",
        AUTH,
        "containerd",
        "any",
        "Vigil-SOC/vigil#315 (GHCR)",
    ),
    PullMessage(
        "unexpected status from HEAD request to https://public.ecr.aws/v2/kro/kro/manifests/"
        "0.1.0: 403 Forbidden",
        AUTH,
        "containerd",
        "any",
        "kubernetes-sigs/kro#153 (public ECR)",
    ),
    PullMessage(
        "failed to authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden",
        AUTH,
        "containerd (old)",
        "any",
        "robusta imagepull template, quoted in modern-kubelet.md 2.2",
    ),
    PullMessage(
        "unexpected status from HEAD request to https://mirror.example.com/v2/library/app/"
        "manifests/0.14.0?ns=docker.io: 403 Forbidden",
        AUTH,
        "containerd (hosts.toml mirror)",
        "any",
        "bottlerocket-os/bottlerocket#4422 (the error names the mirror URL); host example-ized",
    ),
    PullMessage(
        "unexpected status from HEAD request to https://ghcr.io/v2/o/a/manifests/v1: "
        "403 Forbidden\ndenied: denied",
        AUTH,
        "containerd 2.3.3+",
        "any",
        "(code) containerd v2.3.4 core/remotes/docker/errcode.go:290-305 with the HEAD 403 GET "
        "fallback (commit 457fba3a3)",
    ),
    PullMessage(
        "no basic auth credentials",
        AUTH,
        "any",
        "any",
        "kubernetes/kops#16762 (ECR), modern-kubelet.md 2.3",
    ),
    PullMessage(
        "rpc error: code = NotFound desc = failed to pull and unpack image "
        '"registry.k8s.io/kube-apiserver-amd64:v1.30.0-alpha…": failed to resolve reference …: '
        "registry.k8s.io/kube-apiserver-amd64:v1.30.0-alpha…: not found",
        NOT_FOUND,
        "containerd",
        "1.28+",
        "kubernetes-sigs/provider-aws-test-infra#281",
    ),
    PullMessage(
        "failed to resolve image: docker.io/library/nginx:nope: not found",
        NOT_FOUND,
        "containerd 2.1+",
        "any",
        "(code) containerd v2.3.4 core/transfer/local/pull.go:62 and core/remotes/docker/"
        "resolver.go:458",
    ),
    PullMessage(
        "failed to copy: httpReadSeeker: failed open: could not fetch content descriptor "
        "sha256:… (application/vnd.docker.image.rootfs.diff.tar.gzip) from remote: not found",
        NOT_FOUND,
        "containerd 1.7",
        "any",
        "Esri/arcgis-gitops#168 (missing blob)",
    ),
    PullMessage(
        "failed to copy: httpReadSeeker: failed open: unexpected status code "
        "https://registry-1.docker.io/v2/library/busybox/blobs/sha256:…: 429 Too Many Requests "
        "- Server message: toomanyrequests: You have reached your pull rate limit. You may "
        "increase the limit by authenticating and upgrading: "
        "https://www.docker.com/increase-rate-limit",
        RATE_LIMITED,
        "containerd 1.7",
        "any",
        "namespacelabs/foundation#846; containerd v1.7.34 remotes/docker/fetcher.go:286",
    ),
    PullMessage(
        "unexpected status from GET request to https://registry-1.docker.io/v2/library/busybox/"
        "manifests/sha256:…: 429 Too Many Requests\ntoomanyrequests: You have reached your pull "
        "rate limit.",
        RATE_LIMITED,
        "containerd 2.2+",
        "any",
        "(code) containerd v2.3.4 core/remotes/docker/errcode.go:290-305 (errors.Join)",
    ),
    PullMessage(
        'failed to do request: Head "https://…/manifests/…": tls: failed to verify '
        "certificate: x509: certificate signed by unknown authority",
        UNREACHABLE,
        "containerd",
        "1.28+",
        "cnoe-io/idpbuilder#520",
    ),
    PullMessage(
        'failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/'
        'latest": dial tcp: lookup registry-1.docker.io on 10.96.0.10:53: no such host',
        UNREACHABLE,
        "containerd",
        "any",
        "modern-kubelet.md 2.2 DNS row (containerd resolver.go:596 format)",
    ),
    PullMessage(
        'failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/'
        'latest": dial tcp: lookup registry-1.docker.io on 10.0.0.10:53: server misbehaving',
        UNREACHABLE,
        "containerd",
        "any",
        "k0sproject/k0s#5478",
    ),
    PullMessage(
        'failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/'
        'latest": dial tcp: lookup registry-1.docker.io: Try again',
        UNREACHABLE,
        "containerd",
        "any",
        "rancher/k3os#431 (musl resolver EAI_AGAIN)",
    ),
    PullMessage(
        "proxyconnect tcp: dial tcp: lookup invalidproxy: Temporary failure in name resolution",
        UNREACHABLE,
        "containerd",
        "any",
        "modern-kubelet.md 2.2 DNS row (proxy case)",
    ),
    PullMessage(
        'failed to do request: Head "http://localhost:5000/v2/foo/manifests/latest": dial tcp '
        "[::1]:5000: connect: connection refused",
        UNREACHABLE,
        "containerd",
        "any",
        "modern-kubelet.md 2.2 connection-refused row (PR #117935's case under containerd)",
    ),
    PullMessage(
        "rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "
        '"docker.io/library/nginx:latest": failed to resolve reference '
        '"docker.io/library/nginx:latest": failed to do request: Head "https://registry-1.'
        'docker.io/v2/library/nginx/manifests/latest": dial tcp 199.59.148.246:443: i/o timeout',
        UNREACHABLE,
        "containerd",
        "any",
        "ciiiii/cloudflare-docker-proxy#85 (DeadlineExceeded + i/o timeout): a dial timeout",
    ),
    PullMessage(
        "rpc error: code = Canceled desc = … failed to do request: Get "
        '"https://…/blobs/sha256:…": context canceled',
        TIMEOUT,
        "containerd 1.7+",
        "1.28+",
        "kubernetes/kubernetes#131521 (containerd's 5-minute no-progress cancel)",
    ),
    PullMessage(
        'failed to do request: Head "https://registry.local:5000/v2/team/app/manifests/v1": '
        "http: server gave HTTP response to HTTPS client",
        MISCONFIGURED,
        "containerd",
        "any",
        "(code) Go net/http transport.go `http: server gave HTTP response to HTTPS client`, "
        "wrapped by containerd resolver.go:596",
    ),
    PullMessage(
        "unexpected status from HEAD request to http://registry.local:5000/v2/team/app/"
        "manifests/v1: 400 Bad Request",
        MISCONFIGURED,
        "containerd 1.7, 2.x",
        "any",
        "(code) the 1.7 form of real-node.md obstacle 3.1 (remotes/errors/errors.go:36)",
    ),
    # -- CRI-O (go.podman.io/image, cri-o server/ and internal/storage/) ----------------------
    PullMessage(
        "unable to retrieve auth token: invalid username/password: unauthorized: Please login "
        "to the Red Hat Registry using your Customer Portal credentials.",
        AUTH,
        "CRI-O",
        "any",
        "kubernetes-sigs/cri-tools#731; docker/errors.go ErrUnauthorizedForCredentials",
    ),
    PullMessage(
        "reading manifest latest in quay.io/org/app: requested access to the resource is denied",
        AUTH,
        "CRI-O",
        "any",
        "cri-o/cri-o#2331 (record shortened the reference; docker_client.go:972 format)",
    ),
    PullMessage(
        "Requesting bearer token: received unexpected HTTP status: 403 Forbidden",
        AUTH,
        "CRI-O",
        "any",
        "(code) docker_client.go:856 + distribution_error.go:44",
    ),
    PullMessage(
        "Requesting bearer token: invalid status code from registry 403 (Forbidden)",
        AUTH,
        "CRI-O (older c/image)",
        "any",
        "cri-o/cri-o#7007",
    ),
    PullMessage(
        "reading manifest v9 in quay.io/org/app: manifest unknown",
        NOT_FOUND,
        "CRI-O",
        "any",
        "(code) docker_client.go:972 `reading manifest %s in %s: %w`",
    ),
    PullMessage(
        "Error reading manifest latest in registry.mydomain/image: manifest unknown: manifest "
        "unknown",
        NOT_FOUND,
        "CRI-O (older c/image)",
        "any",
        "modern-kubelet.md 2.1 CRI-O wrapper row (older paste)",
    ),
    PullMessage(
        "initializing source docker://quay.io/org/app:v9: reading manifest v9 in quay.io/org/app: "
        "manifest unknown",
        NOT_FOUND,
        "CRI-O",
        "any",
        "(code) vendor/go.podman.io/image/v5/copy/copy.go:237 wrapping docker_client.go:972",
    ),
    PullMessage(
        "reading manifest v1 in registry.example.com/team/app: unauthorized: authentication "
        "required",
        AUTH,
        "CRI-O",
        "any",
        "(code) docker_client.go:972 with a registry's 401 body (modern-kubelet.md 2.2, 401 row)",
    ),
    PullMessage(
        "errors:\ndenied: requested access to the resource is denied\nunauthorized: "
        "authentication required",
        AUTH,
        "CRI-O (older c/image)",
        "any",
        "cri-o/cri-o#2331 (multi-line registry errors)",
    ),
    PullMessage(
        "too many requests to registry",
        RATE_LIMITED,
        "CRI-O",
        "any",
        "(code) go.podman.io/image/v5/docker/errors.go ErrTooManyRequests (token 429)",
    ),
    PullMessage(
        "reading manifest latest in docker.io/library/nginx: toomanyrequests: You have reached "
        "your pull rate limit.",
        RATE_LIMITED,
        "CRI-O",
        "any",
        "(code) docker_client.go:972 with Docker Hub's 429 body",
    ),
    PullMessage(
        'pinging container registry registry.local: Get "https://registry.local/v2/": tls: '
        "failed to verify certificate: x509: certificate signed by unknown authority",
        UNREACHABLE,
        "CRI-O",
        "any",
        "(code) docker_client.go:946 `pinging container registry %s: %w`",
    ),
    PullMessage(
        'pinging container registry quay.io: Get "https://quay.io/v2/": dial tcp: lookup '
        "quay.io on 223.5.5.5:53: read udp 10.0.0.5:41234->223.5.5.5:53: i/o timeout",
        UNREACHABLE,
        "CRI-O",
        "any",
        "openshift/cluster-dns-operator PR #330 (CRI-O DNS timeout)",
    ),
    PullMessage(
        'short-name "nginx" did not resolve to an alias and no unqualified-search registries '
        'are defined in "/etc/containers/registries.conf"',
        SHORT_NAME,
        "CRI-O",
        "any",
        "(code) go.podman.io/image/v5/pkg/shortnames/shortnames.go:320; minikube#2835",
    ),
    PullMessage(
        "short name mode is enforcing, but image name nginx returns ambiguous list",
        SHORT_NAME,
        "CRI-O",
        "any",
        "(code) cri-o internal/storage/image.go:1026",
    ),
    PullMessage(
        "Error reading manifest sha256:… in quay.io/…: unauthorized: access to the requested "
        "resource is not authorized",
        AUTH,
        "CRI-O (older c/image)",
        "any",
        "stolostron/deploy#2 (Quay)",
    ),
    # -- registries' own messages (modern-kubelet.md 2.3) -----------------------------------
    PullMessage(
        "unauthorized: incorrect username or password",
        AUTH,
        "any",
        "any",
        "firstbatchxyz/dkn-compute-launcher#1 (Docker Hub)",
    ),
    PullMessage(
        'Head "https://registry-1.docker.io/v2/…/manifests/latest": unauthorized: incorrect '
        "username or password",
        AUTH,
        "docker",
        "any",
        "containerd/cri#668 (docker daemon form)",
    ),
    PullMessage(
        "toomanyrequests: You have reached your pull rate limit. You may increase the limit by "
        "authenticating and upgrading: https://www.docker.com/increase-rate-limit",
        RATE_LIMITED,
        "any",
        "any",
        "kata-containers#10109 (Docker Hub)",
    ),
    PullMessage(
        "denied: Your authorization token has expired. Reauthenticate and try again.",
        AUTH,
        "any",
        "any",
        "portainer#6764 (ECR)",
    ),
    PullMessage(
        'denied: Permission "artifactregistry.repositories.downloadArtifacts" denied on '
        'resource "projects/p/locations/l/repositories/r" (or it may not exist)',
        AUTH,
        "any",
        "any",
        "terraform-google-modules/terraform-google-kubernetes-engine#1779 (Artifact Registry)",
    ),
    PullMessage(
        'Unauthenticated requests do not have permission "artifactregistry.repositories.'
        'downloadArtifacts" on resource …',
        AUTH,
        "any",
        "any",
        "google/fuzzbench#1981 (Artifact Registry, anonymous)",
    ),
    PullMessage(
        "unauthorized: authentication required, visit https://aka.ms/acr/authorization for "
        "more information.",
        AUTH,
        "any",
        "any",
        "helm/helm#12189 (ACR)",
    ),
    PullMessage("denied: denied", AUTH, "any", "any", "muchobien/pocketbase-docker#3 (GHCR)"),
    PullMessage("unauthorized", AUTH, "any", "any", "salesforce/kubelet-summary-exporter#5 (GHCR)"),
    PullMessage(
        "denied: permission_denied: read_package", AUTH, "any", "any", "kedacore/http-add-on#48"
    ),
    PullMessage(
        "401 Unauthorized - Server message: unauthorized: unauthenticated: User cannot be "
        "authenticated with the token provided.",
        AUTH,
        "any",
        "any",
        "bank-vaults#1640 (GHCR)",
    ),
    PullMessage(
        "unauthorized: unauthorized to access repository: library/app, action: pull: "
        "unauthorized to access repository: library/app, action: pull",
        AUTH,
        "any",
        "any",
        "goharbor/harbor#15052 (Harbor)",
    ),
    PullMessage(
        "unauthorized: access to the requested resource is not authorized",
        AUTH,
        "any",
        "any",
        "jetstack/kube-oidc-proxy#189 (Quay)",
    ),
    # -- kubelet-pull-semantics.md section 8: typical runtime texts ----------------------------
    PullMessage("pull access denied", AUTH, "any", "any", "kubelet-pull-semantics.md §8"),
    PullMessage("401 Unauthorized", AUTH, "any", "any", "kubelet-pull-semantics.md §8"),
    PullMessage(
        "authorization failed: no basic auth credentials",
        AUTH,
        "any",
        "any",
        "kubelet-pull-semantics.md §8",
    ),
    PullMessage(
        "unauthorized: authentication required", AUTH, "any", "any", "kubelet-pull-semantics.md §8"
    ),
    PullMessage("insufficient_scope", AUTH, "any", "any", "kubelet-pull-semantics.md §8"),
    PullMessage(
        "denied: requested access to the resource is denied",
        AUTH,
        "any",
        "any",
        "kubelet-pull-semantics.md §8",
    ),
    PullMessage("manifest unknown", NOT_FOUND, "any", "any", "kubelet-pull-semantics.md §8"),
    PullMessage("not found", NOT_FOUND, "any", "any", "kubelet-pull-semantics.md §8"),
    PullMessage("toomanyrequests", RATE_LIMITED, "any", "any", "kubelet-pull-semantics.md §8"),
    PullMessage("no such host", UNREACHABLE, "any", "any", "kubelet-pull-semantics.md §8"),
    PullMessage("i/o timeout", UNREACHABLE, "any", "any", "kubelet-pull-semantics.md §8"),
    PullMessage("connection refused", UNREACHABLE, "any", "any", "kubelet-pull-semantics.md §8"),
    PullMessage("x509: certificate", UNREACHABLE, "any", "any", "kubelet-pull-semantics.md §8"),
)
