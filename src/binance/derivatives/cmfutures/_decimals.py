"""The accepted range of decoded Decimal money and quantities, checked once after decoding.

msgspec decodes ``"NaN"``, ``"sNaN"``, ``"Infinity"`` and ``"1e100000000"`` into a
:class:`~decimal.Decimal` without complaint. None of them is a price, a quantity or a balance,
and each breaks something downstream: a signalling NaN cannot be hashed (event
de-duplication raises ``TypeError``), NaN compares unequal to itself (the mirror never
converges), and ``format(Decimal("1e100000000"), "f")`` writes 100 MB. So every Decimal of a
decoded event or REST model must be:

* finite (no NaN, sNaN or Infinity, of either sign), and
* of order of magnitude ``-30 <= x.adjusted() <= 30``: zero, or ``1e-30 <= abs(x) < 1e31``
  (a zero written ``0E-31`` or ``0E+31`` is out of range too).

Then the fixed-point text of a value is at most 32 characters longer than its digits, so
encoding never amplifies. Binance uses 8 to 10 decimal places and values far below 1e15.

Checking runs after decoding, with a function generated once per Struct class (straight-line
code over the fields that can hold a Decimal), so a typical event costs well under a
microsecond.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final, Union, get_args, get_origin

import msgspec

try:
    from types import UnionType
except ImportError:  # pragma: no cover - Python < 3.10 is not supported anyway
    UnionType = None  # type: ignore[assignment,misc]

__all__ = ["MAX_ADJUSTED", "MIN_ADJUSTED", "check_decimals", "decimal_problem"]

MAX_ADJUSTED: Final = 30
MIN_ADJUSTED: Final = -30


def decimal_problem(value: Decimal) -> str | None:
    """Why ``value`` is outside the accepted range, or None if it is fine."""
    if not value.is_finite():
        return f"{value} is not a finite number"
    magnitude = value.adjusted()
    if not MIN_ADJUSTED <= magnitude <= MAX_ADJUSTED:
        return (
            f"order of magnitude 1e{magnitude} is outside 1e{MIN_ADJUSTED}..1e{MAX_ADJUSTED}"
        )
    return None


def _compile(cls: type) -> Callable[[Any], bool] | None:
    """A function returning False when an instance of ``cls`` holds a Decimal out of range
    (straight-line code generated once per class), or None if ``cls`` holds no Decimal."""
    if cls in _checkers:
        return _checkers[cls]
    _checkers[cls] = None  # recursion guard for self-referencing Structs
    lines: list[str] = []
    env: dict[str, Any] = {"slow": _describe}
    # NaN and Infinity have adjusted() == 0, so is_finite() is only needed when it is 0
    bad = f"not ({MIN_ADJUSTED} <= (a := v.adjusted()) <= {MAX_ADJUSTED} and (a or v.is_finite()))"
    for field in msgspec.structs.fields(cls):
        name, annotation = field.name, field.type
        kind = _kind(annotation)
        if kind == "d":
            test = bad if field.required and annotation is Decimal else f"v is not None and {bad}"
            lines.append(f"    v = o.{name}\n    if {test}: return False")
        elif kind == "s":
            inner = _struct_of(annotation)
            check = _compile(inner) if inner is not None else None
            if check is not None:
                env[f"c_{name}"] = check
                lines.append(
                    f"    v = o.{name}\n    if v is not None and not c_{name}(v): return False"
                )
        elif kind == "q":
            item = _struct_of(annotation)
            if item is None:
                lines.append(f"    for v in o.{name} or ():\n        if {bad}: return False")
            else:
                check = _compile(item)
                if check is not None:
                    env[f"c_{name}"] = check
                    lines.append(
                        f"    for v in o.{name} or ():\n"
                        f"        if not c_{name}(v): return False"
                    )
        elif kind == "o":
            lines.append(f"    if slow(o.{name}, '') is not None: return False")
    if not lines:
        return None
    source = "def check(o):\n" + "\n".join(lines) + "\n    return True\n"
    exec(source, env)  # field names are Python identifiers of our own Struct classes
    function: Callable[[Any], bool] = env["check"]
    _checkers[cls] = function
    return function


def _struct_of(annotation: Any) -> type | None:
    """The Struct class in ``X``, ``X | None``, ``tuple[X, ...]`` or ``list[X]``."""
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    for arg in get_args(annotation):
        found = _struct_of(arg)
        if found is not None:
            return found
    return None


def _kind(annotation: Any) -> str | None:
    """"d" Decimal, "s" Struct, "q" sequence of Structs/Decimals, "o" anything else that may
    hold one (walked generically), None for fields that cannot (str, int, bool, Any...)."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    origin = get_origin(annotation)
    if origin is Union or (UnionType is not None and origin is UnionType):
        kinds = {_kind(a) for a in args} - {None}
        if not kinds:
            return None
        return kinds.pop() if len(kinds) == 1 else "o"
    if annotation is Decimal:
        return "d"
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return "s"
    if origin in (list, tuple) and args and args[-1] is not Ellipsis:
        return "q" if all(_kind(a) in ("d", "s") for a in args) else _nested(args)
    if origin in (list, tuple) and args:
        return "q" if _kind(args[0]) in ("d", "s") else _nested(args[:1])
    return _nested(args)


def _nested(args: Any) -> str | None:
    return "o" if any(_kind(a) is not None for a in args) else None


_checkers: dict[type, Callable[[Any], bool] | None] = {}


def check_decimals(obj: Any) -> str | None:
    """The first Decimal inside ``obj`` (a Decimal, Struct, list or tuple, nested) outside the
    accepted range, described with its wire path (``"o.z: sNaN is not a finite number"``);
    None when every Decimal is fine. Never raises."""
    cls = type(obj)
    try:
        check = _checkers[cls]
    except KeyError:
        check = _compile(cls) if issubclass(cls, msgspec.Struct) else _sequence_check
    if check is None or check(obj):
        return None
    return _describe(obj, "")


def _sequence_check(obj: Any) -> bool:
    if isinstance(obj, Decimal):
        return decimal_problem(obj) is None
    if isinstance(obj, (list, tuple)):
        return all(check_decimals(item) is None for item in obj)
    return True


def _describe(obj: Any, where: str) -> str | None:
    """The generic (slow) walk: the first bad Decimal with its wire path, or None."""
    if isinstance(obj, Decimal):
        problem = decimal_problem(obj)
        return f"{where or 'value'}: {problem}" if problem else None
    if isinstance(obj, msgspec.Struct):
        names = obj.__struct_fields__
        wires = getattr(obj, "__struct_encode_fields__", names)
        for name, wire in zip(names, wires, strict=True):
            value = getattr(obj, name)
            if value is None or type(value) in (str, int, bool, float):
                continue
            found = _describe(value, f"{where}.{wire}" if where else wire)
            if found:
                return found
        return None
    if isinstance(obj, (list, tuple)):
        for index, item in enumerate(obj):
            found = _describe(item, f"{where}[{index}]")
            if found:
                return found
    return None
