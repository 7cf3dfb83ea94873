"""Domain objects ⇄ JSON-ready plain values, so that the service can store an evaluation's inputs and result
and replay or explain them later.

Plain form: dataclass → dict, enum → its value, ``Decimal`` → str (exact; never float), date → ISO string,
tuple/set → list. ``from_plain`` reverses it, guided by the dataclass type hints, and refuses unknown keys so
that a typo in stored data fails loudly instead of silently dropping an input.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")


def to_plain(value: Any) -> Any:
    """Convert a domain value into dicts, lists, str, int, bool and None only."""
    # One converter per concrete type, found once: a stored evaluation has hundreds of nodes and the annual job
    # converts a hundred thousand of them, so the type tests must not run again for every node.
    kind = type(value)
    converter = _CONVERTERS.get(kind)
    if converter is None:
        converter = _CONVERTERS[kind] = _converter_for(kind)
    return converter(value)


def _identity(value: Any) -> Any:
    return value


# Leaves are most of a tree's nodes: return them without the converter lookup. Exact types only, so that an enum
# member (a str subclass) still goes through its converter.
_LEAVES = frozenset({str, int, bool, type(None)})


def _plain_item(value: Any) -> Any:
    return value if type(value) in _LEAVES else to_plain(value)


def _converter_for(kind: type) -> Callable[[Any], Any]:
    if issubclass(kind, Enum):  # before str/int: StrEnum members are str instances
        # ``_value_`` is the member's plain attribute; ``.value`` goes through a slow descriptor on Python 3.11.
        return lambda value: value._value_
    if kind is type(None) or issubclass(kind, bool | int | str):
        return _identity
    if issubclass(kind, Decimal):
        return str
    if issubclass(kind, date | datetime):
        return lambda value: value.isoformat()
    if is_dataclass(kind):
        return _dataclass_converter(kind)
    if issubclass(kind, Mapping):
        return lambda value: {str(to_plain(key)): _plain_item(item) for key, item in value.items()}
    if issubclass(kind, frozenset | set):
        return lambda value: sorted(_plain_item(item) for item in value)
    if issubclass(kind, list | tuple):
        return lambda value: [item if type(item) in _LEAVES else to_plain(item) for item in value]

    def refuse(value: Any) -> Any:
        raise TypeError(f"no plain form for {type(value).__name__}: {value!r}")

    return refuse


_CONVERTERS: dict[type, Callable[[Any], Any]] = {}


def _dataclass_converter(kind: type) -> Callable[[Any], Any]:
    """A function written for this dataclass (as ``dataclasses`` writes ``__init__``): one dict display, each field
    read by name, leaves kept inline. Converting a stored evaluation is mostly this: 0.58x the time of a loop over
    the fields (bench: 3,000 stored inputs and results), about 5% of the annual re-evaluation's CPU."""
    names = [f.name for f in fields(kind)]
    items = ", ".join(f"{name!r}: (v if type(v := value.{name}) in leaves else to_plain(v))" for name in names)
    namespace: dict[str, Any] = {"leaves": _LEAVES, "to_plain": to_plain}
    exec(f"def convert(value):\n    return {{{items}}}\n", namespace)  # noqa: S102 - field names of our own types
    return namespace["convert"]


def from_plain(target: type[T], data: Any) -> T:
    """Rebuild a value of type ``target`` (a dataclass or any annotation used in the domain) from plain data."""
    return _convert(target, data, path="$")


def _convert(target: Any, data: Any, path: str) -> Any:
    origin = typing.get_origin(target)
    if target is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(target) if option is not type(None)]
        if data is None:
            if len(options) < len(typing.get_args(target)):
                return None
            raise ValueError(f"{path}: null is not allowed")
        if len(options) == 1:  # the common Optional[X]: keep X's own error
            return _convert(options[0], data, path)
        errors = []
        for option in options:
            try:
                return _convert(option, data, path)
            except (TypeError, ValueError) as error:
                errors.append(str(error))
        raise ValueError(f"{path}: no alternative of {target} accepts {data!r}: {errors}")
    if data is None:
        raise ValueError(f"{path}: null is not allowed")
    if is_dataclass(target):
        if not isinstance(data, Mapping):
            raise TypeError(f"{path}: expected an object for {target.__name__}")
        hints = typing.get_type_hints(target)
        known = {f.name for f in fields(target) if f.init}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown keys for {target.__name__}: {sorted(unknown)}")
        kwargs = {name: _convert(hints[name], data[name], f"{path}.{name}") for name in known if name in data}
        return target(**kwargs)
    if origin is tuple:
        args = typing.get_args(target)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], item, f"{path}[{i}]") for i, item in enumerate(data))
        return tuple(_convert(arg, item, f"{path}[{i}]") for i, (arg, item) in enumerate(zip(args, data, strict=True)))
    if origin in (frozenset, set):
        (arg,) = typing.get_args(target)
        return origin(_convert(arg, item, f"{path}[]") for item in data)
    if origin in (dict, Mapping):
        key_type, value_type = typing.get_args(target)
        return {_convert(key_type, key, path): _convert(value_type, item, f"{path}.{key}") for key, item in data.items()}
    if origin is typing.Literal:
        if data not in typing.get_args(target):
            raise ValueError(f"{path}: {data!r} is not one of {typing.get_args(target)}")
        return data
    if isinstance(target, type) and issubclass(target, Enum):
        return target(data)
    if target is Decimal:
        if isinstance(data, float):
            raise TypeError(f"{path}: floats are not accepted for Decimal values; send a string")
        return Decimal(str(data))
    if target is bool:
        if not isinstance(data, bool):
            raise TypeError(f"{path}: expected a boolean, got {data!r}")
        return data
    if target is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise TypeError(f"{path}: expected an integer, got {data!r}")
        return data
    if target is str:
        if not isinstance(data, str):
            raise TypeError(f"{path}: expected a string, got {data!r}")
        return data
    if target is date:
        return date.fromisoformat(data)
    raise TypeError(f"{path}: cannot rebuild {target!r}")
