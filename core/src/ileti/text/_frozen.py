"""Frozen value classes written out by hand: what ``@attrs.frozen`` made of
the text models, without importing attrs (16 ms of every ``ileti segments``
start, and as much again to build the classes).

A subclass lists its fields in ``__slots__`` (constructor fields first, in
order, then the ones its ``__init__`` derives) and sets them in its
``__init__`` with :func:`object.__setattr__`. It gets what attrs gave it:
equality and hashing on the constructor fields (less ``_unhashed_``), a repr
in attrs' form, ``__match_args__``, no assignment (attrs'
``FrozenInstanceError``, an ``AttributeError``), pickling and copying, and an
``__attrs_attrs__`` built with attrs on first use, so that ``attrs.fields``,
``attrs.has``, ``attrs.evolve`` and ``attrs.asdict`` still see an attrs class.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: ``ileti segments`` imports this module
if TYPE_CHECKING:
    from typing import Any, ClassVar


def _frozen_error() -> AttributeError:
    from attrs.exceptions import FrozenInstanceError

    return FrozenInstanceError()


class _AttrsFields:
    """``__attrs_attrs__``: the fields as attrs describes them, made on first
    use from an attrs class of the same fields and defaults, then kept."""

    def __get__(self, obj: object, owner: type[Frozen]) -> Any:
        import inspect

        import attrs

        params = inspect.signature(owner).parameters
        body: dict[str, Any] = {"__annotations__": {}, "__module__": owner.__module__}
        for name in owner._state_:
            body["__annotations__"][name] = owner.__annotations__.get(name, "object")
            param = params.get(name)
            if param is None:  # derived by __init__
                body[name] = attrs.field(init=False, eq=False, repr=False)
            else:
                default = param.default
                body[name] = attrs.field(
                    default=attrs.NOTHING if default is param.empty else default,
                    hash=name not in owner._unhashed_,
                )
        mirror: Any = attrs.frozen(type(owner.__name__, (), body))
        fields = mirror.__attrs_attrs__
        type.__setattr__(owner, "__attrs_attrs__", fields)
        return fields


class Frozen:
    __slots__ = ()
    #: constructor fields left out of the hash (still compared)
    _unhashed_: ClassVar[frozenset[str]] = frozenset()
    #: constructor fields, in order: compared, hashed and shown (set per class)
    __match_args__: ClassVar[tuple[str, ...]] = ()
    #: the constructor fields in the hash
    _hashed_: ClassVar[tuple[str, ...]] = ()
    #: every field, derived ones too: what pickling and copying carry
    _state_: ClassVar[tuple[str, ...]] = ()
    __attrs_attrs__: ClassVar[Any] = _AttrsFields()

    def __init_subclass__(cls) -> None:
        code = cls.__init__.__code__  # not inspect's signature: 4 ms of imports
        names = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
        type.__setattr__(cls, "__match_args__", names)
        cls._hashed_ = tuple(n for n in names if n not in cls._unhashed_)
        cls._state_ = tuple(n for n in vars(cls)["__slots__"] if n != "__weakref__")

    def __setattr__(self, name: str, value: object) -> None:
        raise _frozen_error()

    def __delattr__(self, name: str) -> None:
        raise _frozen_error()

    def _values(self, names: tuple[str, ...]) -> tuple[object, ...]:
        return tuple([getattr(self, name) for name in names])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        names = self.__match_args__
        return self._values(names) == other._values(names)

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash((self.__class__, *self._values(self._hashed_)))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__match_args__)
        return f"{self.__class__.__qualname__}({shown})"

    def __getstate__(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self._state_}

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
