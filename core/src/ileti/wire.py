"""Strict cattrs converters for a plugin's wire models.

A plugin describes a gateway's requests and answers as attrs classes and
converts them with cattrs. Out of the box cattrs is lenient in ways that turn
junk into values: ``str`` accepts anything (``str({...})``), ``int`` accepts
``True`` and ``"12"`` and truncates ``1.5``, ``bool`` accepts any value, a
list is built from a dict's keys or a string's characters, and a model whose
fields all have defaults is built from a string. :func:`strict_converter`
gives the converter every plugin starts from instead:

==============  ==========================================================
type            read only from
==============  ==========================================================
``str``         a string
``int``         an integer (never a boolean)
``bool``        a boolean
``Decimal``     a finite number: an integer, a float, a ``Decimal`` or
                numeric text (never a boolean)
``list[T]``     a list
a model         a dict (a JSON object, a parsed XML element)
==============  ==========================================================

with each model's fields renamed to their wire names both ways. Keys an answer
has beyond the model's are ignored (gateways add fields); a missing required
one fails. A type error raises ``TypeError``, a bad value ``ValueError``, both
inside cattrs' grouped errors (a plugin turns them into ``MalformedResponse``).

Where a gateway's document says otherwise, the plugin says so on top, by
type, with ``scalars`` (for instance :func:`text_or_number` where numbers
arrive as JSON numbers or as text), or registers its own hooks on the
converter returned (an XML gateway's element order, a hand-written hook on a
hot path).

cattrs is imported on first use, not when this module is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, get_args, get_origin

import attrs

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "StructureHook",
    "strict_converter",
    "text_or_number",
    "whole_number_or_text",
]

#: how a converter reads one scalar type: ``hook(value, type) -> value``
StructureHook = Callable[[Any, Any], Any]

_WHOLE = re.compile(r"\s*-?[0-9]+\s*")


def _str(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _int(value: Any, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {type(value).__name__}")
    return value


def _bool(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _decimal(value: Any, _: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"expected a number, got {str(value)[:20]!r}") from None
    if not number.is_finite():
        raise ValueError("expected a finite number")
    return number


def text_or_number(value: Any, _: Any = str) -> str:
    """A ``str`` hook for gateways that send some texts as JSON numbers: text,
    or an integer read as its digits (never a boolean or a float)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _str(value, str)


def whole_number_or_text(value: Any, _: Any = int) -> int:
    """An ``int`` hook for gateways that send numbers as text: an integer, or
    text of decimal digits with an optional ``-`` (surrounding blanks ignored)."""
    if isinstance(value, str):
        if not _WHOLE.fullmatch(value):
            raise ValueError(f"expected a whole number, got {value[:20]!r}")
        return int(value)
    return _int(value, int)


def _is_list(type_: Any) -> bool:
    return get_origin(type_) is list


def strict_converter(
    renames: Mapping[type[Any], Mapping[str, str]] = MappingProxyType({}),
    *,
    scalars: Mapping[type[Any], StructureHook] = MappingProxyType({}),
    omit_if_default: Mapping[type[Any], Collection[str]] = MappingProxyType({}),
    field_hooks: Mapping[type[Any], Mapping[str, StructureHook]] = MappingProxyType({}),
) -> cattrs.Converter:
    """A converter that reads only what the module's table allows.

    Args:
        renames: for each wire model (an attrs class), field name -> wire
            name, used both to read and to write it. A model listed with no
            renames (or only in the other arguments) keeps its field names
            and is still read from objects only; a model not listed at all
            is converted by cattrs' defaults (the strict scalars still apply).
        scalars: a gateway's own reading of a scalar type, in place of the
            strict one (e.g. ``{str: text_or_number}``).
        omit_if_default: for a model, the fields left out of a written
            request while they hold their default.
        field_hooks: for a model, how one field is read where the gateway
            writes it its own way (a quirk of one answer).
    """
    import cattrs
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    conv = cattrs.Converter()
    hooks: dict[type[Any], StructureHook] = {
        str: _str,
        int: _int,
        bool: _bool,
        Decimal: _decimal,
        **scalars,
    }
    for type_, hook in hooks.items():
        conv.register_structure_hook(type_, hook)

    def structure_list(value: Any, type_: Any) -> list[Any]:
        # cattrs would iterate a dict's keys or a string's characters
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        (item,) = get_args(type_) or (Any,)
        return [conv.structure(v, item) for v in value]

    conv.register_structure_hook_func(_is_list, structure_list)
    models: dict[type[Any], Mapping[str, str]] = {
        **{cls: {} for cls in (*field_hooks, *omit_if_default)},
        **renames,
    }
    for cls, names in models.items():
        if not attrs.has(cls):
            raise TypeError(f"{cls!r} is not an attrs class")
        named = set(names) | set(omit_if_default.get(cls, ())) | set(field_hooks.get(cls, {}))
        unknown = named - {f.name for f in attrs.fields(cls)}
        if unknown:
            raise ValueError(f"{cls.__name__} has no field(s) {sorted(unknown)}")

    def is_model(type_: Any) -> bool:
        return isinstance(type_, type) and type_ in models

    # hooks made on first use, so that a model may hold another in any order
    def reader(cls: type[Any]) -> StructureHook:
        names, own = models[cls], field_hooks.get(cls, {})
        fields: dict[str, Any] = {
            f.name: override(rename=names.get(f.name), struct_hook=own.get(f.name))
            for f in attrs.fields(cls)
            if f.name in names or f.name in own
        }
        return _objects_only(make_dict_structure_fn(cls, conv, **fields))

    def writer(cls: type[Any]) -> Callable[[Any], Any]:
        names, omit = models[cls], frozenset(omit_if_default.get(cls, ()))
        fields: dict[str, Any] = {
            f.name: override(rename=names.get(f.name), omit_if_default=f.name in omit)
            for f in attrs.fields(cls)
            if f.name in names or f.name in omit
        }
        return make_dict_unstructure_fn(cls, conv, **fields)

    conv.register_structure_hook_factory(is_model, reader)
    conv.register_unstructure_hook_factory(is_model, writer)
    return conv


def _objects_only(structure: StructureHook) -> StructureHook:
    """A model is read from an object only (``"ok"`` is not a ``Status``): a
    dict, as JSON and xmltodict give it (a plain type check: cheap on every answer)."""

    def checked(value: Any, cls: Any) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        return structure(value, cls)

    return checked
