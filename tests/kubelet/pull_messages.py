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
- issue 21's causes outside the credentials (disk, damaged downloads, the kubelet's throttle,
  inspect errors, 5xx, no manifest for the platform): each paste names its issue's address;
  "recorded:" texts were produced on this machine by skopeo (CRI-O's pull code) against a real
  registry behind tests/support/registry_faults.py, with the fault named.
  Texts pasted from `docker pull`, `ctr`, `crictl` or podman are the runtime's own error (the
  kubelet passes it on unchanged: dockershim the docker daemon's, containerd's CRI its pull
  error, CRI-O go.podman.io/image's); the `Error response from daemon: ` of the docker CLI is
  kept where the paste has it, as dockershim kept it.
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
NODE_DISK = PullError.NODE_DISK
DAMAGED = PullError.DAMAGED
THROTTLED = PullError.THROTTLED
INSPECT = PullError.INSPECT
REGISTRY_ERROR = PullError.REGISTRY_ERROR
NO_PLATFORM = PullError.NO_PLATFORM
UNKNOWN = PullError.UNKNOWN

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
    # -- issue 21: the node's disk is full (ENOSPC), wherever the runtime was writing ----------
    PullMessage(
        "failed to extract layer (application/vnd.oci.image.layer.v1.tar+gzip sha256:0465d356eb1"
        'de54a583b42b392bd68ff4c6d0494ecaeb5a8b89c1001334829bf) to overlayfs as "extract-26010'
        '6421-WDeK sha256:dc6b5af8281abf684b3e18b349680a24b4f020bd3ee8c7254ddc3b128ec21162": '
        "write /var/lib/desktop-containerd/daemon/io.containerd.snapshotter.v1.overlayfs/"
        "snapshots/105/fs/home/pentester/.cache/go-build/27/27085a9d2a1990418db3f6435abc47c29c"
        "9144d86f99186ced0874f54616bc5e-d: no space left on device",
        NODE_DISK,
        "containerd 2.x (core/unpack/unpacker.go:545 format)",
        "any",
        "https://github.com/usestrix/strix/issues/483 (unpacking a layer)",
    ),
    PullMessage(
        "failed to copy: failed to send write: write /var/lib/docker/containerd/daemon/io."
        "containerd.content.v1.content/ingest/d1dbfb762b131952dd67fd0177b8c50705f6b388e424a2c5"
        "4e59747b8985491f/data: no space left on device",
        NODE_DISK,
        "containerd (content ingest)",
        "any",
        "https://github.com/rancher-sandbox/rancher-desktop/issues/9866 (downloading a layer)",
    ),
    PullMessage(
        "failed to extract layer sha256:5dacd731af1b0386ead06c8b1feff9f65d9e0bdfec032d2cd0bc0369"
        "0698feda: mount callback failed on /var/lib/rancher/k3s/agent/containerd/tmpmounts/"
        "containerd-mount252943319: write /var/lib/rancher/k3s/agent/containerd/tmpmounts/"
        "containerd-mount252943319/lib/x86_64-linux-gnu/libc-2.24.so: no space left on device: "
        "unknown",
        NODE_DISK,
        "containerd 1.2 (k3s; rootfs/apply.go)",
        "any",
        "https://github.com/rancher/k3os/issues/55 (containerd.log)",
    ),
    PullMessage(
        'rpc error: code = Unknown desc = Error writing blob: error storing blob to file "/var/'
        'tmp/storage178245615/2": write /var/tmp/storage178245615/2: no space left on device',
        NODE_DISK,
        "CRI-O 1.21.1",
        "<=1.27",
        "https://github.com/cri-o/cri-o/issues/5187 (small /var/tmp)",
    ),
    PullMessage(
        'rpc error: code = Unknown desc = Error writing blob: error storing blob to file "/var/'
        'tmp/storage333619107/1": write /var/tmp/storage333619107/1: no space left on device',
        NODE_DISK,
        "CRI-O 1.18.1",
        "1.18.3",
        "https://github.com/cri-o/cri-o/issues/3917 (crictl pull; the same inside the cluster)",
    ),
    PullMessage(
        'writing blob: storing blob to file "/var/tmp/container_images_storage4290390387/1": '
        "write /var/tmp/container_images_storage4290390387/1: no space left on device",
        NODE_DISK,
        "go.podman.io/image (buildah; CRI-O's copy path)",
        "any",
        "https://github.com/ublue-os/main/issues/747",
    ),
    PullMessage(
        'writing blob: adding layer with blob "sha256:[hash]": processing tar file(write /usr/'
        "local/lib/python3.8/site-packages/azure/mgmt/web/v2018_02_01/models/__pycache__/_models"
        "_py3.cpython-38.pyc: no space left on device): exit status 1",
        NODE_DISK,
        "go.podman.io/storage (podman; CRI-O's layer store)",
        "any",
        "https://github.com/containers/podman/issues/19377",
    ),
    PullMessage(
        "failed to register layer: Error processing tar file(exit status 1): write /lib/x86_64-"
        "linux-gnu/libdns-export.so.162.1.3: no space left on device",
        NODE_DISK,
        "docker (dockershim)",
        "<=1.23",
        "https://github.com/play-with-docker/play-with-docker/issues/249",
    ),
    PullMessage(
        "failed to register layer: ApplyLayer exit status 1 stdout:  stderr: write /usr/local/"
        "src/opencv/build/modules/video/perf_precomp.hpp.gch/opencv_perf_video_RELEASE.gch: no "
        "space left on device",
        NODE_DISK,
        "docker 1.x (dockershim)",
        "<=1.23",
        "https://github.com/Kaggle/docker-python/issues/19",
    ),
    PullMessage(
        "write /mnt/sda1/var/lib/docker/tmp/GetImageBlob365327721: no space left on device",
        NODE_DISK,
        "docker (dockershim)",
        "<=1.23",
        "https://github.com/docker/kitematic/issues/1855 (downloading a blob)",
    ),
    # -- issue 21: a download damaged or cut short ---------------------------------------------
    PullMessage(
        'Failed to pull image "mongo:4.4": rpc error: code = FailedPrecondition desc = failed to '
        'pull and unpack image "docker.io/library/mongo:4.4": failed commit on ref "layer-sha256:'
        '16ec32c2132b43494832a05f2b02f7a822479f8250c173d0ab27b3de78b2f058": unexpected commit '
        "digest sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, "
        "expected sha256:16ec32c2132b43494832a05f2b02f7a822479f8250c173d0ab27b3de78b2f058: "
        "failed precondition",
        DAMAGED,
        "containerd 1.4.9",
        "<=1.27",
        "https://github.com/containerd/containerd/issues/4908 (kubectl describe, public image)",
        EVENT,
    ),
    PullMessage(
        "failed size validation: 12467913 != 94124544: failed precondition",
        DAMAGED,
        "containerd 1.4.3",
        "any",
        "https://github.com/containerd/containerd/issues/4908 (the record shortens the head)",
    ),
    PullMessage(
        'Failed to pull image "ibmcom/galera-mariadb:10.2.14": rpc error: code = Unknown desc = '
        'failed to pull and unpack image "docker.io/ibmcom/galera-mariadb:10.2.14": failed commit '
        'on ref "manifest-sha256:affff8cd09c76538afe79f5bf285fdc2e6d118e09e32a5579ca914003b2bc2'
        'b7": "manifest-sha256:affff8cd09c76538afe79f5bf285fdc2e6d118e09e32a5579ca914003b2bc2b7"'
        " failed size validation: 3661 != 2856: failed precondition",
        DAMAGED,
        "containerd 1.2",
        "<=1.27",
        "https://github.com/containerd/containerd/issues/2306 (kubectl describe)",
        EVENT,
    ),
    PullMessage(
        'Failed to pull image "ghcr.io/saveourtool/save-base:python-3.10": rpc error: code = '
        'FailedPrecondition desc = failed to pull and unpack image "ghcr.io/saveourtool/save-base:'
        'python-3.10": failed commit on ref "layer-sha256:a6daac42f0daee2fe11dd237f570a94067fd69'
        'ec126838af3bc82a4d57f11f8c": "layer-sha256:a6daac42f0daee2fe11dd237f570a94067fd69ec12'
        '6838af3bc82a4d57f11f8c" failed size validation: 6239744 != 17386982: failed precondition',
        DAMAGED,
        "containerd",
        "any",
        "https://github.com/saveourtool/save-cloud/issues/1986 (the kubelet's Event, as YAML)",
        EVENT,
    ),
    PullMessage(
        'failed commit on ref "unknown-sha256:97e73e868894ec644547587e78e4e0b529600603f844dbf9e2'
        'b6c68e772d85ba": commit failed: "unknown-sha256:97e73e868894ec644547587e78e4e0b5296006'
        '03f844dbf9e2b6c68e772d85ba" failed size validation: 2031 != 1553: failed precondition',
        DAMAGED,
        "containerd 1.7+ (docker's containerd image store)",
        "any",
        "https://github.com/infiniflow/ragflow/issues/5010",
    ),
    PullMessage(
        'failed commit on ref "layer-sha256:3690ec4760f95690944da86dc4496148a63d85c9e3100669a31'
        '8110092f6862f": unexpected commit size 5674492, expected 2312958: unknown',
        DAMAGED,
        "cri-containerd 1.0",
        "1.9",
        "https://github.com/containerd/containerd/issues/1893 (node e2e log)",
    ),
    PullMessage(
        "unable to pull image or OCI artifact: pull image err: copying system image from "
        'manifest list: writing blob: storing blob to file "/var/tmp/container_images_storage'
        '451663201/3": happened during read: unexpected EOF (after reconnecting, fetching blob: '
        'StatusCode: 400, "<?xml version=\\"1.0\\" encoding=\\"UTF-8\\"?>\\n<Error><Cod...");'
        " artifact err: image reference: reference is a container image, not an OCI artifact",
        DAMAGED,
        "CRI-O 1.35",
        "1.35",
        "https://github.com/kubernetes/registry.k8s.io/issues/333 (kubelet log, ErrImagePull)",
    ),
    PullMessage(
        "copying system image from manifest list: writing blob: happened during read: (heuristic "
        "tuning data: last retry 0, current offset 752782; 56.799 ms total, 0.722 ms since "
        "progress): unexpected EOF",
        DAMAGED,
        "go.podman.io/image (skopeo; CRI-O's copy path)",
        "any",
        "https://github.com/containers/skopeo/pull/1901",
    ),
    PullMessage(
        "Digest did not match, expected sha256:037a20ccce44f4a50af27f659c9572bba253abf1494f7e3f"
        "843d13c5c3910d63, got sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
        "7852b855",
        DAMAGED,
        "containers/image (podman 2.0; CRI-O's copy path)",
        "any",
        "https://github.com/containers/podman/issues/7298",
    ),
    PullMessage(
        "Manifest does not match provided manifest digest sha256:3181b2fff8cbdefa2302a04b1eb227"
        "3251749e9320d0083b807d32e9f0e18961",
        DAMAGED,
        "CRI-O 1.9",
        "1.9",
        "https://github.com/containers/storage/issues/145 (kubectl describe `Error: ...`)",
    ),
    PullMessage(
        'failed to pull and unpack image "registry.example.com/team/app:v1": failed commit on '
        'ref "layer-sha256:9f1a": short read: expected 1048576 bytes but got 524288: unexpected '
        "EOF",
        DAMAGED,
        "containerd 2.3",
        "any",
        "(code) containerd v2.3.4 core/content/helpers.go:221 inside :228, CRI image_pull.go:282",
    ),
    PullMessage(
        "error pulling image configuration: unexpected EOF",
        DAMAGED,
        "docker (dockershim)",
        "<=1.23",
        "https://github.com/docker/kitematic/issues/5344",
    ),
    PullMessage(
        'failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://product'
        "ion.cloudflare.docker.com/registry-v2/docker/registry/v2/blobs/sha256/3b/3b667f40b766da"
        "a8e6d7cd749704b9a1c2bed0ad0bdff0861c3150c45fa3b8ae/data?expires=1741780216&signature="
        'CJ6rVYoagouWe1ErVFlNMklXdk8%3D&version=2": EOF',
        UNREACHABLE,
        "containerd (docker's image store)",
        "any",
        "https://github.com/nextcloud/docker/issues/2409 (the blob host closed the connection "
        "before answering: Go's net/http io.EOF, not a body cut short)",
    ),
    # -- issue 21: the kubelet's own pull throttle (registryPullQPS) ---------------------------
    PullMessage(
        'Failed to pull image "a.b.c/image-0.1": pull QPS exceeded',
        THROTTLED,
        "any (the kubelet refuses before the runtime)",
        "AKS (2022)",
        "https://github.com/Azure/AKS/issues/3138 (registryPullQPS 5, registryBurst 10)",
        EVENT,
    ),
    PullMessage(
        'Failed to pull image "registry.gha-prod.svc.cluster.local:5000/solana-contract:tilt-'
        'd0187147de2228a4": pull QPS exceeded',
        THROTTLED,
        "containerd (k3s)",
        "1.21.2",
        "https://github.com/tilt-dev/tilt/issues/5893",
        EVENT,
    ),
    PullMessage(
        "pull QPS exceeded",
        THROTTLED,
        "any",
        "1.30",
        "https://github.com/zalando-incubator/kubernetes-on-aws/pull/8045 (kubelet log: "
        '`with ErrImagePull: "pull QPS exceeded"`, so the waiting message)',
        WAITING,
        "ErrImagePull",
    ),
    PullMessage(
        "pull QPS exceeded",
        THROTTLED,
        "CRI-O (OpenShift)",
        "1.3x",
        "https://github.com/redhat-appstudio/infra-deployments/pull/7796 (kubelet log)",
        WAITING,
        "ErrImagePull",
    ),
    PullMessage(
        "pull QPS exceeded.",
        THROTTLED,
        "any",
        "<=1.5",
        '(code) pkg/kubelet/images/helpers.go throttledImageService: fmt.Errorf("pull QPS '
        'exceeded.") before the period was dropped',
    ),
    # -- issue 21: the runtime failed to inspect the image (no pull took place) ----------------
    PullMessage(
        'Failed to inspect image "ranchercharts/confluentinc-cp-kafka:5.3.0": rpc error: code = '
        "Unknown desc = Error response from daemon: readlink /var/lib/docker/overlay2/l: invalid "
        "argument",
        INSPECT,
        "docker (dockershim)",
        "<=1.23",
        "https://github.com/confluentinc/cp-helm-charts/issues/411 (with `Error: "
        "ImageInspectError`)",
        WAITING,
        "ImageInspectError",
    ),
    PullMessage(
        'Failed to inspect image "gcr.io/jenkinsxio/builder-go:0.1.778": rpc error: code = '
        "Unknown desc = Error response from daemon: readlink /var/lib/docker/overlay2/l: invalid "
        "argument",
        INSPECT,
        "docker (dockershim)",
        "1.13.7",
        "https://github.com/jenkins-x/jx/issues/5544 (GKE)",
        WAITING,
        "ImageInspectError",
    ),
    PullMessage(
        'Failed to inspect image "": rpc error: code = Unknown desc = unable to convert a nil '
        "pointer to a runtime API image",
        INSPECT,
        "cri-dockerd (k3s --docker)",
        "1.32.5",
        "https://github.com/k3s-io/k3s/issues/12540 (InspectFailed event, ImageInspectError)",
        WAITING,
        "ImageInspectError",
    ),
    # -- issue 21: the registry (or a proxy before it) failed: 5xx ------------------------------
    PullMessage(
        'Failed to pull image "myrepo/java:2.32.83": failed to pull and unpack image "docker.io/'
        'myrepo/java:2.32.83": failed to copy: httpReadSeeker: failed open: unexpected status '
        "code https://registry-1.docker.io/v2/lyfngodocker/java/blobs/sha256:56a6e402dba1025a9"
        "efc979f5f720892648798216a3670957a5c32bfe8ff5e46: 500 Internal Server Error",
        REGISTRY_ERROR,
        "containerd 1.7",
        "1.28+",
        "https://github.com/docker/hub-feedback/issues/2483 (Docker Hub outage, EKS)",
        EVENT,
    ),
    PullMessage(
        'Failed to pull image "shivamstryke/stockwiz:postgres": failed to pull and unpack image '
        '"docker.io/shivamstryke/stockwiz:postgres": failed to copy: httpReadSeeker: failed '
        "open: unexpected status code https://registry-1.docker.io/v2/shivamstryke/stockwiz/"
        "blobs/sha256:3ddbf88db716b08dd4e798c48bb4080495e406dd9f50a858b9e693c7a19bfa6b: 500 "
        "Internal Server Error",
        REGISTRY_ERROR,
        "containerd 1.7",
        "1.28+",
        "https://github.com/docker/hub-feedback/issues/2482",
        EVENT,
    ),
    PullMessage(
        'Failed to pull image "quay.io/external_storage/nfs-client-provisioner:latest": rpc '
        "error: code = Unknown desc = Error response from daemon: Get https://quay.io/v2/"
        "external_storage/nfs-client-provisioner/manifests/latest: received unexpected HTTP "
        "status: 500 Internal Server Error",
        REGISTRY_ERROR,
        "docker (dockershim)",
        "<=1.23",
        "https://github.com/kubernetes-retired/external-storage/issues/1323",
        EVENT,
    ),
    PullMessage(
        'failed to pull and unpack image "harbor.nebula.com/base/df/nginx:0911": failed to '
        'resolve reference "harbor.nebula.com/base/df/nginx:0911": pulling from host 127.0.0.1:'
        "65001 failed with status code [manifests 0911]: 500 Internal Server Error",
        REGISTRY_ERROR,
        "containerd 1.6 (through a Dragonfly proxy)",
        "any",
        "https://github.com/dragonflyoss/dragonfly/issues/3582 (crictl pull)",
    ),
    PullMessage(
        "failed to copy: httpReadSeeker: failed open: unexpected status code https://quay.io/v2/"
        "prometheus/busybox/blobs/sha256:d17d710a3fa783d4e5fcc4b67d94351ad747146f1335323271d6d3"
        "2e61276f7a: 502 Bad Gateway",
        REGISTRY_ERROR,
        "containerd 1.5 (ctr)",
        "any",
        "https://github.com/kata-containers/tests/issues/4041",
    ),
    PullMessage(
        "failed to copy: httpReadSeeker: failed open: unexpected status code https://quay.io/v2/"
        "oauth2-proxy/oauth2-proxy/blobs/sha256:c172f...: 502 Bad Gateway",
        REGISTRY_ERROR,
        "containerd",
        "any",
        "https://github.com/oauth2-proxy/oauth2-proxy/issues/3395 (Pods in ImagePullBackOff)",
    ),
    PullMessage(
        'Failed to pull image "docker.bintray.io/jfrog/xray-analysis:2.7.3": rpc error: code = '
        "Unknown desc = error pulling image configuration: received unexpected HTTP status: 502 "
        "Bad Gateway",
        REGISTRY_ERROR,
        "docker (dockershim)",
        "<=1.23",
        "https://github.com/jfrog/charts/issues/261",
        EVENT,
    ),
    PullMessage(
        'failed to resolve reference "docker.io/godarch/arch:latest": failed to fetch anonymous '
        "token: unexpected status: 503 Service Unavailable",
        REGISTRY_ERROR,
        "containerd 1.1",
        "any",
        "https://github.com/godarch/darch/issues/24 (Docker Hub's token server)",
    ),
    PullMessage(
        "Error response from daemon: Get https://registry-1.docker.io/v2/library/nginx/"
        "manifests/latest: received unexpected HTTP status: 503 Service Unavailable",
        REGISTRY_ERROR,
        "docker (dockershim)",
        "<=1.23",
        "https://github.com/docker/cli/issues/1143",
    ),
    PullMessage(
        'Error response from daemon: Head "https://registry-1.docker.io/v2/moby/buildkit/'
        'manifests/buildx-stable-1": received unexpected HTTP status: 503 Service Unavailable',
        REGISTRY_ERROR,
        "docker 28",
        "any",
        "https://github.com/docker/hub-feedback/issues/2499",
    ),
    PullMessage(
        "copying system image from manifest list: parsing image configuration: fetching blob: "
        "received unexpected HTTP status: 502 Bad Gateway",
        REGISTRY_ERROR,
        "go.podman.io/image (podman; CRI-O's copy path)",
        "any",
        "https://github.com/fedora-copr/copr/issues/3655",
    ),
    PullMessage(
        "copying system image from manifest list: reading blob sha256:0fad6af3b320efdfaa2844cef4"
        "d70b9316d0d9221a1dd7412a646ffd707ccbec: fetching blob: received unexpected HTTP status:"
        " 500 Internal Server Error",
        REGISTRY_ERROR,
        "go.podman.io/image (podman; CRI-O's copy path)",
        "any",
        "https://github.com/usememos/memos/issues/4373",
    ),
    PullMessage(
        "unable to pull image: Error reading blob sha256:8ee29e426c26c79e7ba03ccc8bbc7fe99db00ff"
        "cbccb679d9c643b5546d8dc8a: Invalid status code returned when fetching blob 504",
        REGISTRY_ERROR,
        "containers/image (podman 0.9; CRI-O's copy path)",
        "any",
        "https://github.com/containers/podman/issues/1612 (nvcr.io)",
    ),
    PullMessage(
        "failed to fetch anonymous token: 504 Gateway Time-out",
        REGISTRY_ERROR,
        "containerd 1.4 (AKS)",
        "any",
        "https://github.com/containerd/containerd/issues/5588 (a TLS-inspecting firewall)",
    ),
    PullMessage(
        "failed to resolve image: docker.io/library/app:v1: unexpected status from HEAD request "
        "to https://registry-1.docker.io/v2/library/app/manifests/v1: 503 Service Unavailable",
        REGISTRY_ERROR,
        "containerd 2.1+",
        "any",
        "(code) containerd v2.3.4 core/transfer/local/pull.go:62 around core/remotes/errors/"
        "errors.go:43 (resolver.go's unexpectedResponseErr)",
    ),
    PullMessage(
        "reading signatures: downloading signatures for sha256:0123456789abcdef in quay.io/org/"
        "app: received unexpected HTTP status: 500 Internal Server Error",
        REGISTRY_ERROR,
        "CRI-O (signature lookaside)",
        "any",
        "(code) go.podman.io/image copy/sign.go:65 around docker/docker_client.go:1187 and "
        "distribution_error.go:44; issue 21's signature-read 500",
    ),
    # -- issue 21: no manifest for the node's platform -----------------------------------------
    PullMessage(
        'Failed to pull image "ghcr.io/kubewarden/kubewarden-controller:latest": rpc error: code '
        '= NotFound desc = failed to pull and unpack image "ghcr.io/kubewarden/kubewarden-'
        'controller:latest": no match for platform in manifest: not found',
        NO_PLATFORM,
        "containerd",
        "1.28+",
        "https://github.com/kubewarden/adm-controller/issues/1378 (index: arm64 only)",
        EVENT,
    ),
    PullMessage(
        "no matching manifest for linux/amd64 in the manifest list entries: no match for "
        "platform in manifest: not found",
        NO_PLATFORM,
        "docker (containerd image store)",
        "any",
        "https://github.com/python-pillow/Pillow/pull/9440 (a ppc64le-only image)",
    ),
    PullMessage(
        "failed to create LLB definition: no match for platform in manifest sha256:4691cba88ac48"
        "7820a395e741810ec7f0fac46e64ce8f7bae21cbc4527ed8362: not found",
        NO_PLATFORM,
        "containerd (BuildKit)",
        "any",
        "https://github.com/docker-library/official-images/issues/11021 (images/image.go form)",
    ),
    PullMessage(
        "no match for current platform linux/arm/v7 in manifest sha256:32efb15cbb8a46f4b564857e5"
        "34fd4c26a4a15813885f91b1a95b5758fea3fd5: not found",
        NO_PLATFORM,
        "containerd 1.2",
        "any",
        "https://github.com/containerd/containerd/pull/2410 (the text it introduced)",
    ),
    PullMessage(
        'rpc error: code = NotFound desc = failed to pull and unpack image "192.0.2.10:5000/team/'
        'arm-only:v1": no match for platform in manifest: not found',
        NO_PLATFORM,
        "containerd 1.6.20",
        "1.20.2",
        "(code) containerd v1.6.20 images/handlers.go:311 under pkg/cri/server/image_pull.go",
    ),
    PullMessage(
        'choosing image instance: no image found in image index for architecture "amd64", '
        'variant "", OS "linux"',
        NO_PLATFORM,
        "CRI-O",
        "any",
        "(code) go.podman.io/image internal/manifest/oci_index.go:257 under internal/image/"
        "oci_index.go:18",
    ),
    PullMessage(
        'choosing image instance: no image found in manifest list for architecture "arm64", '
        'variant "v8", OS "linux"',
        NO_PLATFORM,
        "CRI-O",
        "any",
        "(code) go.podman.io/image internal/manifest/docker_schema2_list.go:164",
    ),
    # -- issue 21, recorded here: skopeo 1.9.3 (containers/image 5.23, the pull code CRI-O
    # vendors) through tests/support/registry_faults.py's RegistryFront before a real
    # docker-registry (tests/harness/test_registry_faults.py) -----------------------------------
    PullMessage(
        "initializing source docker://127.0.0.1:39295/team/app:v1: reading manifest v1 in "
        "127.0.0.1:39295/team/app: received unexpected HTTP status: 503 Service Unavailable",
        REGISTRY_ERROR,
        "containers/image 5.23 (skopeo 1.9.3)",
        "any",
        "recorded: RegistryFault(r'/manifests/', status=503)",
    ),
    PullMessage(
        "initializing source docker://127.0.0.1:38873/team/app:v1: reading manifest v1 in "
        "127.0.0.1:38873/team/app: received unexpected HTTP status: 500 Internal Server Error",
        REGISTRY_ERROR,
        "containers/image 5.23 (skopeo 1.9.3)",
        "any",
        "recorded: RegistryFault(r'/manifests/', status=500)",
    ),
    PullMessage(
        "reading blob sha256:1e93cf090ac787e2248b4e962d9496cd6ac868a58825a9ee0e318221969db529: "
        "Error fetching blob: invalid status code from registry 502 (Bad Gateway)",
        REGISTRY_ERROR,
        "containers/image 5.23 (skopeo 1.9.3)",
        "any",
        "recorded: RegistryFault(r'/blobs/', status=502)",
    ),
    PullMessage(
        "reading blob sha256:1e93cf090ac787e2248b4e962d9496cd6ac868a58825a9ee0e318221969db529: "
        "Error fetching blob: invalid status code from registry 504 (Gateway Timeout)",
        REGISTRY_ERROR,
        "containers/image 5.23 (skopeo 1.9.3)",
        "any",
        "recorded: RegistryFault(r'/blobs/', status=504)",
    ),
    PullMessage(
        "writing blob: happened during read: unexpected EOF",
        DAMAGED,
        "containers/image 5.23 (skopeo 1.9.3)",
        "any",
        "recorded: RegistryFault(r'/blobs/', cut_after=16): its Content-Length, then 16 bytes",
    ),
    PullMessage(
        "writing blob: happened during read: Digest did not match, expected sha256:1e93cf090ac7"
        "87e2248b4e962d9496cd6ac868a58825a9ee0e318221969db529, got sha256:a4fb8eec5356b7aefff2d3"
        "31391149c450f29b46e73d9687edfc8aa0ece6af24",
        DAMAGED,
        "containers/image 5.23 (skopeo 1.9.3)",
        "any",
        "recorded: RegistryFault(r'/blobs/', truncate_to=16): 16 bytes, announced as such",
    ),
    PullMessage(
        "choosing an image from manifest list docker://127.0.0.1:38271/team/elsewhere:v1: no "
        'image found in image index for architecture amd64, variant "", OS linux',
        NO_PLATFORM,
        "containers/image 5.23 (skopeo 1.9.3)",
        "any",
        "recorded: write_platform_index (arm64 only) pulled on amd64",
    ),
    # -- issue 21: texts whose cause no rule names: never a verdict on the credentials ---------
    PullMessage(
        'failed to pull and unpack image "*": failed to unpack image on snapshotter overlayfs: '
        'failed to prepare extraction snapshot "extract-814557379-Dsfj sha256:c6d5b1be87babc93'
        'b410ae6b3277222290ca1269dad532524f8d66e6ad6eba87": failed to stat parent: stat /var/lib/'
        "containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/112/fs: no such file or "
        "directory",
        UNKNOWN,
        "containerd 1.2.4",
        "1.12.3",
        "https://github.com/containerd/containerd/issues/3369 (the node's snapshot store)",
    ),
    PullMessage(
        "failed to register layer: rename /var/lib/docker/image/overlay/layerdb/tmp/layer-"
        "714872967 /var/lib/docker/image/overlay/layerdb/sha256/be0afd7c222710fd2d083bf77227b6"
        "07cb57490f9b9b0b74c91402c49f2eaef6: directory not empty",
        UNKNOWN,
        "docker (dockershim)",
        "1.2.4",
        "https://github.com/kubernetes/kubernetes/issues/28826",
    ),
    PullMessage(
        "failed to register layer: write /usr/local/lib/python3.9/dist-packages/sklearn/"
        "ensemble/_gradient_boosting.cpython-39-x86_64-linux-gnu.so: input/output error",
        UNKNOWN,
        "docker 28",
        "any",
        "https://github.com/jeroenjanssens/data-science-at-the-command-line/issues/153",
    ),
    # -- issue 21: aggregates the kubelet joined, cut short or mixing an anonymous attempt -----
    PullMessage(
        '[failed to pull and unpack image "H/team/app:a": failed to resolve reference "H/team/'
        'app:a": pulling from host H failed with status code [manifests a]: 401 Unauthorized, '
        'failed to pull and unpack image "H/team/app:a": failed to resolve reference "H/te',
        AUTH,
        "containerd 1.6.20",
        "1.20.2",
        "(code) real-node.md's 401 twice, joined by utilerrors.NewAggregate and cut mid-word",
    ),
    PullMessage(
        '[failed to pull and unpack image "H/team/app:a": failed to resolve reference "H/team/'
        'app:a": pulling from host H failed with status code [manifests a]: 401 Unauthor',
        AUTH,
        "containerd 1.6.20",
        "1.20.2",
        "(code) real-node.md's 401 as the first error of an aggregate cut before its bracket",
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
