"""The emulated gateway's own DataContract XML reader and writer.

The plugin writes its requests and reads the answers with the codec in
:mod:`ileti_ekomesaj.wire`. If the emulator used that codec too, a wrong
namespace, member order or item name there would be read back as right and
no test could fail. So the emulator reads and writes XML here, from the
reference's rules, written out again and sharing no code or constant with
the plugin (a test checks that this module does not import ``wire``):

* the request's root is the operation, in the operations namespace; its
  members too; the members of a nested object (``Credential``, ``Sms``, a
  recipient) are in the types namespace, declared on the element that holds
  it (``d2p1``, ``d3p1``...);
* members are read in **ordinal alphabetical order**, as .NET's
  DataContractSerializer does without ``DataMember(Order)``: an element in
  another namespace, or out of that order, is skipped (its member is missing);
* list members hold items (``ToMsisdns``: ``ToMsisdn`` in the types
  namespace; ``ToGroups``: ``long`` in the serialization arrays namespace);
* ``i:nil="true"`` is a null; ``true``/``false`` are booleans.

Answers are written the same way: ``<{Operation}Response>`` in the operations
namespace, ``<ErrorResponse>`` in ServiceStack's, ServiceStack's
``ResponseStatus`` members in their declared order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

__all__ = ["OPERATIONS", "SERVICESTACK", "read_request", "write_document"]

OPERATIONS = "http://schemas.datacontract.org/2004/07/Ekomesaj.Operations"
_TYPES = "http://schemas.datacontract.org/2004/07/Ekomesaj.Types"
_ARRAYS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
SERVICESTACK = "http://schemas.servicestack.net/types"
_INSTANCE = "http://www.w3.org/2001/XMLSchema-instance"
_SEP = "|"
_NIL = f"{_INSTANCE}{_SEP}nil"
_DEEPEST = 16

#: list member -> (item element, its namespace)
_ITEMS: Mapping[str, tuple[str, str]] = {
    "ToMsisdns": ("ToMsisdn", _TYPES),
    "ToGroups": ("long", _ARRAYS),
    "Details": ("ReportDetail", _TYPES),
    "Errors": ("ResponseError", SERVICESTACK),
}
#: ServiceStack's ``ResponseStatus`` declares its members' order
_DECLARED = ("ErrorCode", "Message", "StackTrace", "Errors", "Meta")
_TURKEY = ZoneInfo("Europe/Istanbul")


def _rank(holder: str, name: str) -> tuple[int, str]:
    if holder == "ResponseStatus" and name in _DECLARED:
        return _DECLARED.index(name), ""
    return len(_DECLARED), name


def _members_ns(name: str) -> str:
    return SERVICESTACK if name == "ResponseStatus" else _TYPES


# ------------------------------------------------------------------ reading


def read_request(body: bytes, operation: str) -> dict[str, Any]:
    """A request document read as the gateway reads it; ``ValueError`` when it
    is not well-formed or not ``<{operation}>`` in the operations namespace."""
    import xmltodict

    try:
        parsed = xmltodict.parse(
            body,
            disable_entities=True,
            process_namespaces=True,
            namespace_separator=_SEP,
            strip_whitespace=False,
        )
    except Exception:  # expat errors, entities
        raise ValueError("not well-formed XML") from None
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise ValueError("not one XML document")
    ((qname, content),) = parsed.items()
    if qname != f"{OPERATIONS}{_SEP}{operation}":
        raise ValueError(f"expecting element {operation!r} from namespace {OPERATIONS!r}")
    data = _object(content, OPERATIONS, operation, 0)
    if data == "":
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"<{operation}> holds text instead of elements")
    return data


def _object(content: Any, ns: str, holder: str, depth: int) -> Any:
    if depth > _DEEPEST:
        raise ValueError("elements nested too deeply")
    if isinstance(content, list):  # written twice: the first is read, the rest is out of order
        content = content[0]
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if content.get(f"@{_NIL}") == "true":
        return None
    children = [(k, v) for k, v in content.items() if not k.startswith("@") and k != "#text"]
    if not children:
        text = content.get("#text")
        return text if isinstance(text, str) else ""
    found: dict[str, Any] = {}
    last: tuple[int, str] | None = None
    for qname, value in children:
        child_ns, _, name = qname.rpartition(_SEP)
        rank = _rank(holder, name)
        if child_ns != ns or (last is not None and rank <= last):
            continue  # skipped, as the serializer skips it
        last = rank
        if name in _ITEMS:
            found[name] = _items(value, _ITEMS[name][1], depth + 1)
        else:
            found[name] = _object(value, _members_ns(name), name, depth + 1)
    return found


def _items(content: Any, ns: str, depth: int) -> Any:
    if isinstance(content, list):
        content = content[0]
    if content is None or (isinstance(content, str) and not content.strip()):
        return []
    if not isinstance(content, dict):
        return content
    if content.get(f"@{_NIL}") == "true":
        return None
    out: list[Any] = []
    for qname, value in content.items():
        if qname.startswith("@") or qname == "#text":
            continue
        item_ns, _, name = qname.rpartition(_SEP)
        if item_ns != ns:
            continue
        for one in value if isinstance(value, list) else [value]:
            out.append(_object(one, ns, name, depth + 1))
    return out


# ------------------------------------------------------------------ writing


def write_document(root: str, body: Mapping[str, Any], *, namespace: str = OPERATIONS) -> str:
    """``body`` as the gateway's XML answer ``<root>`` in ``namespace``."""
    head = f"<{root} xmlns:i={quoteattr(_INSTANCE)} xmlns={quoteattr(namespace)}>"
    inner = _write_members(body, root, namespace, {namespace: ""}, 2)
    return f'<?xml version="1.0" encoding="utf-8"?>\n{head}{inner}</{root}>'


def _tag(prefix: str, name: str) -> str:
    return f"{prefix}:{name}" if prefix else name


def _write_members(
    obj: Mapping[str, Any], holder: str, ns: str, scope: dict[str, str], depth: int
) -> str:
    parts = []
    for name in sorted(obj, key=lambda n: _rank(holder, n)):
        parts.append(_write_member(_tag(scope[ns], name), name, obj[name], scope, depth))
    return "".join(parts)


def _opening(tag: str, ns: str, scope: dict[str, str], depth: int) -> tuple[str, dict[str, str]]:
    if ns in scope:
        return f"<{tag}>", scope
    prefix = f"d{depth}p1"
    return f"<{tag} xmlns:{prefix}={quoteattr(ns)}>", {**scope, ns: prefix}


def _write_member(tag: str, name: str, value: Any, scope: dict[str, str], depth: int) -> str:
    if value is None:
        return f'<{tag} i:nil="true"/>'
    if isinstance(value, Mapping):
        ns = _members_ns(name)
        opening, inner = _opening(tag, ns, scope, depth)
        return opening + _write_members(value, name, ns, inner, depth + 1) + f"</{tag}>"
    if isinstance(value, list):
        if not value:
            return f"<{tag}/>"
        item, ns = _ITEMS[name]
        opening, inner = _opening(tag, ns, scope, depth)
        item_tag = _tag(inner[ns], item)
        written = []
        for one in value:
            if isinstance(one, Mapping):
                members = _write_members(one, item, ns, inner, depth + 2)
                written.append(f"<{item_tag}>{members}</{item_tag}>")
            else:
                written.append(f"<{item_tag}>{_scalar(one)}</{item_tag}>")
        return opening + "".join(written) + f"</{tag}>"
    text = _scalar(value)
    return f"<{tag}/>" if text == "" else f"<{tag}>{text}</{tag}>"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(_TURKEY).isoformat()
    return escape(str(value)).replace("\r", "&#13;")
