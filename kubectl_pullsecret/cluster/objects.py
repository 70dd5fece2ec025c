"""From Kubernetes API JSON to the diagnosis' plain facts. Pure; tolerant of missing fields.

Objects come from whoever can write to a namespace, so every field is type-checked and
anything unexpected becomes an empty value rather than an exception.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from kubectl_pullsecret.cluster.workloads import WorkloadKind
from kubectl_pullsecret.kubelet.admission import ServiceAccountFacts
from kubectl_pullsecret.kubelet.docker_config import (
    PULL_SECRET_TYPES,
    DecodedSecret,
    decode_secret,
    key_userinfo,
)
from kubectl_pullsecret.kubelet.messages import PodEvent, parse_time
from kubectl_pullsecret.kubelet.pod import (
    ContainerSpec,
    ContainerStatus,
    ImageVolumeSpec,
    PodFacts,
    SecretFetch,
    SecretStatus,
)
from kubectl_pullsecret.verdicts.facts import Workload

_CONTAINER_KINDS = (
    ("initContainers", "initContainerStatuses"),
    ("containers", "containerStatuses"),
    ("ephemeralContainers", "ephemeralContainerStatuses"),
)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def names_of(references: Any) -> tuple[str, ...]:
    """imagePullSecrets-style [{name: ...}] lists, empty names kept (the kubelet skips them)."""
    return tuple(_str(_dict(r).get("name")) for r in _list(references))


def pod_facts(pod: dict[str, Any]) -> PodFacts:
    metadata, spec, status = (
        _dict(pod.get("metadata")),
        _dict(pod.get("spec")),
        _dict(pod.get("status")),
    )
    containers: list[ContainerSpec] = []
    statuses: list[ContainerStatus] = []
    mounts: dict[str, list[str]] = {}  # volume name -> containers that mount it
    for spec_key, status_key in _CONTAINER_KINDS:
        for container in _list(spec.get(spec_key)):
            container = _dict(container)
            name = _str(container.get("name"))
            containers.append(
                ContainerSpec(
                    name,
                    _str(container.get("image")),
                    spec_key,
                    _str(container.get("imagePullPolicy")),
                )
            )
            for mount in _list(container.get("volumeMounts")):
                volume = _str(_dict(mount).get("name"))
                if volume and name not in mounts.setdefault(volume, []):
                    mounts[volume].append(name)
        for item in _list(status.get(status_key)):
            item = _dict(item)
            state = _dict(item.get("state"))
            waiting, terminated = _dict(state.get("waiting")), _dict(state.get("terminated"))
            statuses.append(
                ContainerStatus(
                    name=_str(item.get("name")),
                    kind=spec_key,
                    waiting_reason=_str(waiting.get("reason")),
                    waiting_message=_str(waiting.get("message")),
                    running="running" in state,
                    terminated_reason=_str(terminated.get("reason"))
                    or ("Completed" if terminated else ""),
                )
            )
    owner = controller_of(pod)
    return PodFacts(
        namespace=_str(metadata.get("namespace")),
        name=_str(metadata.get("name")),
        uid=_str(metadata.get("uid")),
        phase=_str(status.get("phase")),
        service_account=_str(spec.get("serviceAccountName"))
        or _str(spec.get("serviceAccount"))
        or "default",
        pull_secret_names=names_of(spec.get("imagePullSecrets")),
        containers=tuple(containers),
        statuses=tuple(statuses),
        owner_kind=_str(owner.get("kind")),
        owner_name=_str(owner.get("name")),
        owner_api_version=_str(owner.get("apiVersion")),
        template_hash=_str(_dict(metadata.get("labels")).get("pod-template-hash")),
        image_volumes=_image_volumes(spec, mounts),
        node_name=_str(spec.get("nodeName")),
        created=_str(metadata.get("creationTimestamp")),
    )


def _image_volumes(
    spec: dict[str, Any], mounts: dict[str, list[str]]
) -> tuple[ImageVolumeSpec, ...]:
    """`spec.volumes[].image` (KEP-4639): pulled with the Pod's secrets, like a container."""
    volumes: list[ImageVolumeSpec] = []
    for volume in _list(spec.get("volumes")):
        volume = _dict(volume)
        image = volume.get("image")
        if not isinstance(image, dict):
            continue
        name = _str(volume.get("name"))
        volumes.append(
            ImageVolumeSpec(
                name,
                _str(image.get("reference")),
                _str(image.get("pullPolicy")),
                tuple(mounts.get(name, ())),
            )
        )
    return tuple(volumes)


def label_selector(selector: Any) -> str:
    """A LabelSelector ({matchLabels, matchExpressions}) as the string the API takes."""
    terms = [f"{k}={v}" for k, v in _dict(_dict(selector).get("matchLabels")).items()]
    for expression in _list(_dict(selector).get("matchExpressions")):
        expression = _dict(expression)
        key, operator = _str(expression.get("key")), _str(expression.get("operator"))
        values = ",".join(_str(v) for v in _list(expression.get("values")))
        terms.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": key,
                "DoesNotExist": f"!{key}",
            }.get(operator, "")
        )
    return ",".join(t for t in terms if t)


def controller_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The ownerReference marked `controller: true`, or {}."""
    references = _list(_dict(obj.get("metadata")).get("ownerReferences"))
    return next((_dict(o) for o in references if _dict(o).get("controller")), {})


def _at(obj: Any, path: tuple[str, ...]) -> dict[str, Any]:
    for key in path:
        obj = _dict(obj).get(key)
    return _dict(obj)


def workload_facts(kind: WorkloadKind, obj: dict[str, Any]) -> Workload:
    """A workload object as the verdicts need it: its template, size and update strategy."""
    metadata, spec, status = (
        _dict(obj.get("metadata")),
        _dict(obj.get("spec")),
        _dict(obj.get("status")),
    )
    namespace, name = _str(metadata.get("namespace")), _str(metadata.get("name"))
    if kind.kind == "DaemonSet":
        replicas: int | None = _int(status.get("desiredNumberScheduled"))
    elif kind.kind == "Job":
        replicas = sum(_int(status.get(k)) for k in ("active", "succeeded", "failed")) or None
    elif kind.kind == "CronJob":
        replicas = None  # its Pods belong to its Jobs
    elif "replicas" in status:
        replicas = _int(status.get("replicas"))
    else:
        replicas = _int(spec["replicas"]) if "replicas" in spec else 1
    strategy = _str(_dict(spec.get("updateStrategy") or spec.get("strategy")).get("type"))
    if not strategy and kind.kind in ("StatefulSet", "DaemonSet"):
        strategy = "RollingUpdate"
    template = _at(obj, kind.template_path[:-1]).get(kind.template_path[-1])
    template_facts = pod_facts(
        {"metadata": {"namespace": namespace, "name": name}, "spec": _dict(template).get("spec")}
    )
    selector = label_selector(spec.get("selector"))
    return Workload(
        kind.kind,
        namespace,
        name,
        replicas,
        strategy,
        template_facts,
        selector,
        kind.template_path,
    )


def pod_event(event: dict[str, Any]) -> PodEvent:
    involved = _dict(event.get("involvedObject"))
    series = _dict(event.get("series"))
    last_seen = (
        _str(series.get("lastObservedTime"))
        or _str(event.get("lastTimestamp"))
        or _str(event.get("eventTime"))
        or _str(event.get("firstTimestamp"))
        or _str(_dict(event.get("metadata")).get("creationTimestamp"))
    )
    return PodEvent(
        reason=_str(event.get("reason")),
        message=_str(event.get("message")),
        type=_str(event.get("type")),
        field_path=_str(involved.get("fieldPath")),
        count=_int(event.get("count")) or _int(series.get("count")) or 1,
        last_seen=last_seen,
    )


def event_target(event: dict[str, Any]) -> tuple[str, str, str]:
    """(namespace, name, uid) of the Pod an event is about."""
    involved = _dict(event.get("involvedObject"))
    namespace = _str(involved.get("namespace")) or _str(
        _dict(event.get("metadata")).get("namespace")
    )
    return namespace, _str(involved.get("name")), _str(involved.get("uid"))


def written_at(obj: dict[str, Any]) -> str:
    """When an object was last written: its creation, or the latest managedFields entry."""
    metadata = _dict(obj.get("metadata"))
    times = [_str(metadata.get("creationTimestamp"))]
    times += [_str(_dict(entry).get("time")) for entry in _list(metadata.get("managedFields"))]
    moments = [(moment, text) for text in times if text and (moment := parse_time(text))]
    return max(moments)[1] if moments else ""


def secret_fetch(name: str, secret: dict[str, Any]) -> SecretFetch:
    secret_type = _str(secret.get("type"))
    data, broken = decode_secret_data(_dict(secret.get("data")))
    data_key = PULL_SECRET_TYPES.get(secret_type)
    written = written_at(secret)
    if data_key in broken:
        error = f"the {data_key} value is not valid base64"
        decoded = DecodedSecret(secret_type, data_key, used=True, error=error)
        return SecretFetch(name, SecretStatus.FOUND, decoded, written=written)
    return SecretFetch(name, SecretStatus.FOUND, decode_secret(secret_type, data), written=written)


def service_account_facts(name: str, account: dict[str, Any]) -> ServiceAccountFacts:
    annotations = _dict(_dict(account.get("metadata")).get("annotations"))
    return ServiceAccountFacts(
        name,
        SecretStatus.FOUND,
        names_of(account.get("imagePullSecrets")),
        tuple((str(k), v) for k, v in annotations.items() if isinstance(v, str)),
    )


def decode_secret_data(data: Mapping[str, object] | None) -> tuple[dict[str, bytes], list[str]]:
    """Base64-decode a Secret's `data` as the API returns it; report keys that fail."""
    decoded: dict[str, bytes] = {}
    broken: list[str] = []
    for key, value in (data or {}).items():
        if not isinstance(value, str):
            broken.append(str(key))
            continue
        try:
            # Go's base64 (behind []byte in JSON) skips \r and \n: kustomize folds long values.
            compact = value.replace("\r", "").replace("\n", "")
            decoded[str(key)] = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            broken.append(str(key))
    return decoded, broken


def sensitive_values(secret: dict[str, Any]) -> list[str]:
    """Everything in a Secret that must never be printed: raw values and decoded passwords."""
    values: list[str] = []
    data = _dict(secret.get("data"))
    values.extend(v for v in data.values() if isinstance(v, str))
    decoded_data, _ = decode_secret_data(data)
    decoded = decode_secret(_str(secret.get("type")), decoded_data)
    for entry in decoded.entries:
        values.append(entry.password)
        values.extend(key_secrets(entry.key))
    for raw in decoded_data.values():
        values.extend(_auth_fields(raw))
    return [v for v in values if len(v) >= 4]


def key_secrets(key: str) -> list[str]:
    """The userinfo of a registry key written as a URL (https://user:password@host/)."""
    userinfo = key_userinfo(key)
    return [userinfo, userinfo.partition(":")[2]] if userinfo else []


def _auth_fields(raw: bytes) -> list[str]:
    return re.findall(r'"auth"\s*:\s*"([^"]+)"', raw.decode("utf-8", "replace"), flags=re.I)
