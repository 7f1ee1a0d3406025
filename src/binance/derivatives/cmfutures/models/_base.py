"""The base of every REST model: a msgspec Struct with the seed's pydantic-style helpers.

Decoding is validation: ``msgspec.json.decode(raw, type=Model)`` checks every type in one C
pass. On top of that the seed's model API is kept: construction by attribute name *or* wire
name (``Model(listen_key=..)`` == ``Model(listenKey=..)``), ``from_json``/``from_dict``,
``to_dict``/``to_json``/``to_str``, ``model_dump(by_alias=...)``, a ``repr`` like
``Model(listen_key='..')`` and a ``str`` like ``listen_key='..'``. Unknown keys are ignored.
Assignment is not validated (msgspec Structs are plain slots), unlike the reference's
``validate_assignment=True``.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

import msgspec

__all__ = ["SeedModel"]

_M = TypeVar("_M", bound="SeedModel")


class _SeedModelMeta(msgspec.StructMeta):
    """Accept wire names (``listenKey=``) as constructor keywords, like pydantic aliases."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            aliases: dict[str, str] = cls._wire_to_attr()  # type: ignore[attr-defined]
            if aliases:
                kwargs = {aliases.get(k, k): v for k, v in kwargs.items()}
        return super().__call__(*args, **kwargs)


class SeedModel(msgspec.Struct, metaclass=_SeedModelMeta, kw_only=True):
    """Base class; see the module docstring."""

    _alias_cache: ClassVar[dict[type, dict[str, str]]] = {}

    @classmethod
    def _wire_to_attr(cls) -> dict[str, str]:
        cached = SeedModel._alias_cache.get(cls)
        if cached is None:
            cached = {
                enc: attr
                for attr, enc in zip(
                    cls.__struct_fields__, cls.__struct_encode_fields__, strict=True
                )
                if enc != attr
            }
            SeedModel._alias_cache[cls] = cached
        return cached

    @classmethod
    def from_json(cls: type[_M], json_str: str | bytes) -> _M | None:
        """Decode a JSON document. Raises :class:`~..exceptions.ApiValueError` if it is not
        JSON or has the wrong shape."""
        from ..exceptions import ApiValueError

        try:
            return msgspec.json.decode(json_str, type=cls)
        except msgspec.DecodeError as exc:  # ValidationError is a DecodeError subclass
            raise ApiValueError(f"cannot decode {cls.__name__}: {exc}") from exc

    @classmethod
    def from_dict(cls: type[_M], obj: Any) -> _M | None:
        """Build from a dict keyed by wire or attribute names; ``None`` gives ``None``."""
        from ..exceptions import ApiValueError

        if obj is None:
            return None
        if isinstance(obj, cls):
            return obj
        if isinstance(obj, dict):
            attr_to_wire = {a: w for w, a in cls._wire_to_attr().items()}
            if attr_to_wire:
                obj = {attr_to_wire.get(k, k): v for k, v in obj.items()}
        try:
            return msgspec.convert(obj, type=cls)
        except msgspec.ValidationError as exc:
            raise ApiValueError(f"cannot build {cls.__name__}: {exc}") from exc

    def model_dump(self, *, by_alias: bool = False) -> dict[str, Any]:
        """Attribute values keyed by attribute names (or wire names with ``by_alias``)."""
        names = self.__struct_encode_fields__ if by_alias else self.__struct_fields__
        return {n: getattr(self, a) for n, a in zip(names, self.__struct_fields__, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict keyed by wire names, without ``None`` values (Decimal -> str)."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        return {k: v for k, v in out.items() if v is not None}

    def to_json(self) -> str:
        """``json.dumps(self.to_dict())``, as the reference does."""
        import json

        return json.dumps(self.to_dict())

    def to_str(self) -> str:
        """Pretty-printed ``model_dump(by_alias=True)``."""
        import pprint

        return pprint.pformat(self.model_dump(by_alias=True))

    def __str__(self) -> str:
        return " ".join(f"{a}={getattr(self, a)!r}" for a in self.__struct_fields__)
