"""Just enough protobuf to read the access reviews `kubectl auth can-i` sends.

kubectl's typed clients POST `application/vnd.kubernetes.protobuf` bodies and do not
fall back to JSON, so the two review kinds are decoded here (field numbers from
k8s.io/api/authorization/v1). Responses can still be JSON: the client accepts both.
"""

from __future__ import annotations

MAGIC = b"k8s\x00"


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def fields(data: bytes) -> dict[int, list]:
    """Top-level fields of one message: {number: [int or bytes, ...]}."""
    out: dict[int, list] = {}
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
        out.setdefault(number, []).append(value)
    return out


def _text(msg: dict[int, list], number: int) -> str:
    values = msg.get(number)
    return values[-1].decode() if values else ""


def _message(msg: dict[int, list], number: int) -> dict[int, list] | None:
    values = msg.get(number)
    return fields(values[-1]) if values else None


def decode_review(body: bytes) -> dict:
    """A protobuf Self{SubjectAccess,SubjectRules,Subject}Review as its JSON form."""
    if not body.startswith(MAGIC):
        raise ValueError("not a Kubernetes protobuf envelope")
    unknown = fields(body[len(MAGIC):])
    type_meta = _message(unknown, 1) or {}
    kind = _text(type_meta, 2)
    raw = fields(unknown.get(2, [b""])[-1])
    spec = _message(raw, 2) or {}
    if kind == "SelfSubjectAccessReview":
        out_spec: dict = {}
        attrs = _message(spec, 1)
        if attrs is not None:
            names = ("namespace", "verb", "group", "version", "resource", "subresource", "name")
            out_spec["resourceAttributes"] = {n: _text(attrs, i) for i, n in enumerate(names, 1)}
        non_resource = _message(spec, 2)
        if non_resource is not None:
            out_spec["nonResourceAttributes"] = {"path": _text(non_resource, 1), "verb": _text(non_resource, 2)}
        return {"kind": kind, "apiVersion": "authorization.k8s.io/v1", "metadata": {}, "spec": out_spec}
    if kind == "SelfSubjectRulesReview":
        return {"kind": kind, "apiVersion": "authorization.k8s.io/v1", "metadata": {},
                "spec": {"namespace": _text(spec, 1)}}
    if kind == "SelfSubjectReview":
        return {"kind": kind, "apiVersion": "authentication.k8s.io/v1", "metadata": {}}
    raise ValueError(f"kubesim cannot read protobuf {kind or 'objects'}")
