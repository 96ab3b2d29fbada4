"""Just enough Kubernetes protobuf to read the bodies kubectl's typed clients send.

`kubectl create namespace|deployment|configmap|secret|service` and `kubectl auth
can-i|whoami` POST `application/vnd.kubernetes.protobuf` and never fall back to JSON.
A body is the magic "k8s\\0" and a runtime.Unknown (typeMeta=1, raw=2); `raw` is the
object, decoded here with a small schema (field numbers from k8s.io/api generated.proto)
into the JSON shape the rest of the simulator uses. Fields not in the schema are
dropped. Responses stay JSON: those clients accept both.
"""

from __future__ import annotations

from typing import Any

MAGIC = b"k8s\x00"

# Field kinds: "str", "int" (zero dropped), "int0" (zero kept: pointer fields such as
# replicas), "bool", "bytes" (base64 in JSON), a message name, [kind] for repeated,
# ("map", kind) for map<string, kind>.
META = ("metadata", "ObjectMeta")
SCHEMA: dict[str, dict[int, tuple[str, Any]]] = {
    "ObjectMeta": {1: ("name", "str"), 2: ("generateName", "str"), 3: ("namespace", "str"),
                   11: ("labels", ("map", "str")), 12: ("annotations", ("map", "str"))},
    "Namespace": {1: META, 2: ("spec", "NamespaceSpec")},
    "NamespaceSpec": {1: ("finalizers", ["str"])},
    "ConfigMap": {1: META, 2: ("data", ("map", "str")), 3: ("binaryData", ("map", "bytes")),
                  4: ("immutable", "bool")},
    "Secret": {1: META, 2: ("data", ("map", "bytes")), 3: ("type", "str"), 4: ("stringData", ("map", "str")),
               5: ("immutable", "bool")},
    "Service": {1: META, 2: ("spec", "ServiceSpec")},
    "ServiceSpec": {1: ("ports", ["ServicePort"]), 2: ("selector", ("map", "str")), 3: ("clusterIP", "str"),
                    4: ("type", "str"), 5: ("externalIPs", ["str"]), 7: ("sessionAffinity", "str"),
                    11: ("externalName", "str"), 18: ("clusterIPs", ["str"])},
    "ServicePort": {1: ("name", "str"), 2: ("protocol", "str"), 3: ("port", "int"),
                    4: ("targetPort", "IntOrString"), 5: ("nodePort", "int")},
    "Deployment": {1: META, 2: ("spec", "DeploymentSpec")},
    "DeploymentSpec": {1: ("replicas", "int0"), 2: ("selector", "LabelSelector"),
                       3: ("template", "PodTemplateSpec"), 4: ("strategy", "DeploymentStrategy"),
                       5: ("minReadySeconds", "int"), 6: ("revisionHistoryLimit", "int0"),
                       7: ("paused", "bool"), 9: ("progressDeadlineSeconds", "int0")},
    "DeploymentStrategy": {1: ("type", "str")},
    "LabelSelector": {1: ("matchLabels", ("map", "str")), 2: ("matchExpressions", ["LabelSelectorRequirement"])},
    "LabelSelectorRequirement": {1: ("key", "str"), 2: ("operator", "str"), 3: ("values", ["str"])},
    "PodTemplateSpec": {1: META, 2: ("spec", "PodSpec")},
    "Pod": {1: META, 2: ("spec", "PodSpec")},
    "PodSpec": {2: ("containers", ["Container"]), 3: ("restartPolicy", "str"),
                4: ("terminationGracePeriodSeconds", "int0"), 6: ("dnsPolicy", "str"),
                7: ("nodeSelector", ("map", "str")), 8: ("serviceAccountName", "str"),
                20: ("initContainers", ["Container"])},
    "Container": {1: ("name", "str"), 2: ("image", "str"), 3: ("command", ["str"]), 4: ("args", ["str"]),
                  5: ("workingDir", "str"), 6: ("ports", ["ContainerPort"]), 7: ("env", ["EnvVar"]),
                  14: ("imagePullPolicy", "str"), 16: ("stdin", "bool"), 18: ("tty", "bool")},
    "ContainerPort": {1: ("name", "str"), 3: ("containerPort", "int"), 4: ("protocol", "str")},
    "EnvVar": {1: ("name", "str"), 2: ("value", "str")},
    "SelfSubjectAccessReview": {1: META, 2: ("spec", "SelfSubjectAccessReviewSpec")},
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes"),
                                    2: ("nonResourceAttributes", "NonResourceAttributes")},
    "ResourceAttributes": {1: ("namespace", "str"), 2: ("verb", "str"), 3: ("group", "str"),
                           4: ("version", "str"), 5: ("resource", "str"), 6: ("subresource", "str"),
                           7: ("name", "str")},
    "NonResourceAttributes": {1: ("path", "str"), 2: ("verb", "str")},
    "SelfSubjectRulesReview": {1: META, 2: ("spec", "SelfSubjectRulesReviewSpec")},
    "SelfSubjectRulesReviewSpec": {1: ("namespace", "str")},
    "SelfSubjectReview": {1: META},
}
# Messages whose presence matters even when empty (e.g. `can-i` with only a verb).
KEEP_EMPTY = {"ResourceAttributes", "NonResourceAttributes", "SelfSubjectAccessReviewSpec"}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def fields(data: bytes) -> list[tuple[int, Any]]:
    """The (field number, value) pairs of one message, in order."""
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.append((number, value))
    return out


def _scalar(kind: str, value: Any) -> Any:
    import base64

    if kind == "str":
        return value.decode()
    if kind in ("int", "int0"):
        return value - (1 << 64) if value >= 1 << 63 else value
    if kind == "bool":
        return bool(value)
    if kind == "bytes":
        return base64.b64encode(value).decode()
    if kind == "IntOrString":
        parts = dict(fields(value))
        return parts.get(3, b"").decode() if parts.get(1) == 1 else parts.get(2, 0)
    return decode_message(kind, value)


def _empty(kind: Any, value: Any) -> bool:
    if kind in ("int0",) or kind in KEEP_EMPTY:
        return False
    return value in ("", 0, False, {}, [], None)


def decode_message(name: str, data: bytes) -> dict:
    schema = SCHEMA[name]
    out: dict[str, Any] = {}
    for number, raw in fields(data):
        if number not in schema:
            continue
        key, kind = schema[number]
        if isinstance(kind, list):
            out.setdefault(key, []).append(_scalar(kind[0], raw))
        elif isinstance(kind, tuple):  # map entry: key=1, value=2
            entry = dict(fields(raw))
            out.setdefault(key, {})[entry.get(1, b"").decode()] = _scalar(kind[1], entry.get(2, b""))
        else:
            value = _scalar(kind, raw)
            if not _empty(kind, value):
                out[key] = value
    return out


def decode_object(body: bytes) -> dict:
    """A protobuf-encoded object (with its envelope) as a JSON-shaped dict."""
    if not body.startswith(MAGIC):
        raise ValueError("not a Kubernetes protobuf envelope")
    envelope = dict(fields(body[len(MAGIC):]))
    type_meta = dict(fields(envelope.get(1, b"")))
    api_version, kind = type_meta.get(1, b"").decode(), type_meta.get(2, b"").decode()
    if kind not in SCHEMA:
        raise ValueError(f"kubesim cannot read protobuf {kind or 'objects'}")
    obj = {"apiVersion": api_version, "kind": kind}
    obj.update(decode_message(kind, envelope.get(2, b"")))
    obj.setdefault("metadata", {})
    return obj
