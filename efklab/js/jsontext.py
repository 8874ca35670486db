"""JSON as JavaScript does it: ``JSON.parse`` strictness, ``JSON.stringify`` output, property order.

Python's json accepts NaN/Infinity and prints floats, integer-like keys and lone surrogates its
own way; everything here prints what ``JSON.stringify`` prints.  orjson does the common case
fast; whatever it refuses goes to the exact stdlib path.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring as _quote  # the C implementation when available
from typing import Any

from efklab.js.numbers import MAX_SAFE_INTEGER, format_number

try:  # orjson parses and prints 2-4x faster; whatever it refuses goes to the exact stdlib path
    import orjson as _orjson
except ImportError:  # pragma: no cover - a declared dependency, but the core works without it
    _orjson = None  # type: ignore[assignment]

MAX_ARRAY_INDEX = 2**32 - 2  # property keys up to this are "integer-like" and sort first
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]{0,9}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonSyntaxError(ValueError):
    """Text that ``JSON.parse`` would refuse (Python's json accepts a few things JS does not)."""


def _reject_constant(name: str) -> Any:
    raise JsonSyntaxError(f"Unexpected token '{name[0]}' ({name} is not JSON)")


def _lenient_int(text: str) -> int | float:
    """Integers past Python's digit limit: JS reads them as doubles (usually Infinity)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


_c_encoder: Callable[[Any, int], Iterable[str]]  # (value, indent level 0) -> the JSON text in pieces
try:  # the C encoder json.dumps uses, without its per-call setup
    from _json import make_encoder as _make_encoder

    # ``default`` is never called: plain values hold only JSON types
    _c_encoder = _make_encoder(None, json.JSONEncoder().default, _quote, None, ":", ",", False, False, True)
except ImportError:  # pragma: no cover - CPython always has _json
    _iterencode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).iterencode

    def _py_encoder(value: Any, _indent_level: int) -> Iterable[str]:
        return _iterencode(value)

    _c_encoder = _py_encoder

_STRICT = json.JSONDecoder(parse_constant=_reject_constant)
_STRICT_LONG = json.JSONDecoder(parse_constant=_reject_constant, parse_int=_lenient_int)


def parse_json(text: str) -> Any:
    """``JSON.parse(text)``: raises ValueError where JS throws SyntaxError (RecursionError when too deep)."""
    if _orjson is not None:
        try:
            return _orjson.loads(text)  # strict RFC 8259; lone surrogates, 1e400 and deep nesting fall through
        except ValueError:
            pass
    try:
        return _STRICT.decode(text)
    except ValueError as exc:
        if "digits" not in str(exc) or isinstance(exc, json.JSONDecodeError):
            raise
        return _STRICT_LONG.decode(text)


class JsonScanner:
    """``JSON.parse`` that also reports whether the value needs JS-specific printing.

    A value is *plain* when it has no fractional/exponent numbers, no integers beyond 2**53 and
    no integer-like object keys: then :func:`encode_plain` (orjson, or the C encoder) prints it
    exactly as ``JSON.stringify`` does.  One scanner per thread (its flag is state).
    """

    _INT_KEY = re.compile(r'"[0-9]+"\s*:')

    def __init__(self) -> None:
        self.exotic = False
        self._decoder = json.JSONDecoder(
            parse_float=self._on_float, parse_int=self._on_int, parse_constant=_reject_constant
        )
        # JSONDecoder.__init__ sets scan_once (the C scanner); the stubs do not declare it
        self._scan_once: Callable[[str, int], tuple[Any, int]] = self._decoder.scan_once  # type: ignore[attr-defined]

    def _on_float(self, text: str) -> float:
        self.exotic = True
        return float(text)

    def _on_int(self, text: str) -> int | float:
        if len(text) > 15:
            self.exotic = True
            return _lenient_int(text)
        return int(text)

    def scan(self, text: str) -> tuple[Any, bool]:
        """Parse ``text`` strictly (as ``JSON.parse``); return the value and whether it is plain."""
        if _orjson is not None:
            try:
                value = _orjson.loads(text)
                return value, is_plain(value)
            except (ValueError, RecursionError):
                pass  # let the exact parser decide
        self.exotic = False
        start = len(text) - len(text.lstrip(" \t\n\r"))
        try:
            value, end = self._scan_once(text, start)
        except StopIteration as exc:
            raise json.JSONDecodeError("Expecting value", text, exc.value) from None
        if end != len(text) and text[end:].strip(" \t\n\r"):
            raise json.JSONDecodeError("Extra data", text, end)
        return value, not self.exotic and self._INT_KEY.search(text) is None


def is_plain(value: Any) -> bool:
    """No floats, no integers beyond 2**53, no array-index keys: prints the same in Python and JS."""
    if type(value) is dict:
        for key, item in value.items():
            if key and "0" <= key[0] <= "9" and is_array_index(key):
                return False
            kind = type(item)
            if kind is str or item is None or kind is bool:
                continue
            if kind is int:
                if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    continue
                return False
            if kind is float or not is_plain(item):
                return False
        return True
    if type(value) is list:
        for item in value:
            kind = type(item)
            if kind is str or item is None or kind is bool:
                continue
            if kind is int:
                if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    continue
                return False
            if kind is float or not is_plain(item):
                return False
        return True
    kind = type(value)
    return (kind is str or value is None or kind is bool
            or (kind is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER))


def encode_plain(value: Any) -> str:
    """Compact JSON of a plain value (see :func:`is_plain`), identical to ``JSON.stringify`` for it."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value).decode("utf-8")  # refuses lone surrogates, so none in its output
        except TypeError:
            pass
    return fix_surrogates("".join(_c_encoder(value, 0)))


def encode_plain_utf8(value: Any) -> bytes:
    """:func:`encode_plain` in UTF-8 (orjson's bytes as they are)."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value)
        except TypeError:
            pass
    return encode_plain(value).encode("utf-8")


def is_array_index(key: str) -> bool:
    """Whether ``key`` is a canonical array index, which JS enumerates first, in numeric order."""
    return _ARRAY_INDEX.fullmatch(key) is not None and int(key) <= MAX_ARRAY_INDEX


def property_order(obj: dict[str, Any]) -> list[str]:
    """The keys of a JS object in enumeration order: array indices ascending, then insertion order."""
    keys = list(obj)
    indices = [k for k in keys if "0" <= k[:1] <= "9" and is_array_index(k)]
    if not indices:
        return keys
    first = set(indices)
    indices.sort(key=int)
    return indices + [k for k in keys if k not in first]


def stringify(value: Any) -> str:
    """``JSON.stringify(value)`` for a parsed-JSON value (dict/list/str/int/float/bool/None).

    orjson prints the whole value once :func:`js_ready` has replaced what it would print
    differently; lone surrogates (which orjson refuses) and nesting beyond orjson's limit take
    the exact Python walk.  ``value`` is never modified.
    """
    text = _orjson_text(value)
    return stringify_exact(value) if text is None else text.decode("utf-8")


def stringify_utf8(value: Any) -> bytes:
    """:func:`stringify` in UTF-8, as orjson prints it (no text object in between)."""
    text = _orjson_text(value)
    return stringify_exact(value).encode("utf-8") if text is None else text


def _orjson_text(value: Any) -> bytes | None:
    """orjson's UTF-8 of ``value`` made JS-exact by :func:`js_ready`; None where only the exact walk can print it."""
    if _orjson is not None:
        try:
            ready = js_ready(value)
            return _orjson.dumps(value if ready is None else ready)
        except (TypeError, RecursionError):  # the exact walk prints it or raises the same kind of error
            pass
    return None


def stringify_exact(value: Any) -> str:
    """:func:`stringify` by a walk in Python (the reference its orjson route is checked against)."""
    parts: list[str] = []
    _stringify_into(value, parts.append)
    return fix_surrogates("".join(parts))


def orjson_prints_as_js(x: float) -> bool:
    """Whether orjson's text of the double ``x`` is ``JSON.stringify``'s (Number::toString).

    Both print the shortest round-trip digits.  They differ only where JS writes an integral
    value below 1e21 without a fraction or exponent (orjson: ``5.0``, ``1e+16``), for
    1e-6 <= |x| < 1e-5 (JS: ``0.000001``, orjson: ``1e-6``) and for -0; both print Infinity as
    null (NaN, which JSON.parse never yields, is answered False).  The walks below inline this test.
    """
    if x >= 1e-5 or x <= -1e-5:
        return not x.is_integer() or x >= 1e21 or x <= -1e21
    return 0 < x < 1e-6 or -1e-6 < x < 0


def _float_text(x: float) -> Any:
    """What orjson prints in place of a double it would misprint (see :func:`orjson_prints_as_js`)."""
    if -MAX_SAFE_INTEGER <= x <= MAX_SAFE_INTEGER and x.is_integer():
        return int(x)  # also -0 -> 0
    return _orjson.Fragment(format_number(x))


def js_ready(value: Any) -> Any:
    """``value`` with everything orjson would print unlike ``JSON.stringify`` replaced, or None if nothing is.

    Floats orjson misprints and integers past 2**53 become the exact text (an orjson Fragment);
    objects with array-index keys are rebuilt in JS property order.  Containers are copied only
    where something changes.  TypeError for anything that is not a JSON value.
    """
    kind = type(value)
    if kind is dict:
        return _ready_dict(value)
    if kind is list:
        return _ready_list(value)
    if kind is str or kind is bool or value is None:
        return None
    if kind is int:
        return None if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else _orjson.Fragment(format_number(value))
    if kind is float:
        return None if orjson_prints_as_js(value) else _float_text(value)
    return _ready_other(value)


def _ready_other(value: Any) -> Any:
    """Subclasses and tuples, as :func:`_stringify_into` reads them (what orjson is to print)."""
    if isinstance(value, str):
        return value  # orjson prints str subclasses as str
    if isinstance(value, (int, float)):
        return _orjson.Fragment(format_number(value))
    if isinstance(value, dict):
        plain = dict(value)
        ready = _ready_dict(plain)
        return plain if ready is None else ready
    if isinstance(value, (list, tuple)):
        items = list(value)
        ready_items = _ready_list(items)
        return items if ready_items is None else ready_items
    raise TypeError(f"not a JSON value: {type(value).__name__}")


# _ready_dict and _ready_list are one loop written twice (items vs enumerate): the hot path of
# every document that is not plain, so the common cases are tested inline, without calls.

def _in_js_order(obj: dict[str, Any]) -> bool:
    """Whether the keys already come in JS order: array indices first, ascending (``{"0": …, "id": …}``)."""
    last = -1
    for key in obj:
        if "0" <= key[:1] <= "9" and is_array_index(key):
            index = int(key)
            if index <= last:
                return False
            last = index
        else:
            last = MAX_ARRAY_INDEX  # an index after a name is out of order
    return True


def _ready_dict(obj: dict[str, Any]) -> dict[str, Any] | None:
    out: dict[str, Any] | None = None
    new: Any
    checked = reorder = False
    for key, item in obj.items():
        if not checked and key and "0" <= key[0] <= "9":
            checked = True
            reorder = not _in_js_order(obj)
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                continue
            new = _orjson.Fragment(format_number(item))
        elif kind is float:
            if item >= 1e-5 or item <= -1e-5:
                if not item.is_integer() or item >= 1e21 or item <= -1e21:
                    continue
            elif 0 < item < 1e-6 or -1e-6 < item < 0:
                continue
            new = _float_text(item)
        elif kind is dict:
            new = _ready_dict(item)
            if new is None:
                continue
        elif kind is list:
            new = _ready_list(item)
            if new is None:
                continue
        else:
            new = _ready_other(item)
        if out is None:
            out = dict(obj)
        out[key] = new
    if reorder:  # (a key that is not a string makes orjson raise TypeError)
        source = obj if out is None else out
        return {key: source[key] for key in property_order(source)}
    return out


def _ready_list(items: list[Any]) -> list[Any] | None:
    out: list[Any] | None = None
    new: Any
    for i, item in enumerate(items):
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                continue
            new = _orjson.Fragment(format_number(item))
        elif kind is float:
            if item >= 1e-5 or item <= -1e-5:
                if not item.is_integer() or item >= 1e21 or item <= -1e21:
                    continue
            elif 0 < item < 1e-6 or -1e-6 < item < 0:
                continue
            new = _float_text(item)
        elif kind is dict:
            new = _ready_dict(item)
            if new is None:
                continue
        elif kind is list:
            new = _ready_list(item)
            if new is None:
                continue
        else:
            new = _ready_other(item)
        if out is None:
            out = list(items)
        out[i] = new
    return out


def _stringify_into(value: Any, emit: Callable[[str], Any]) -> None:
    if isinstance(value, str):
        emit(quote_raw(value))
    elif value is None:
        emit("null")
    elif value is True:
        emit("true")
    elif value is False:
        emit("false")
    elif isinstance(value, (int, float)):
        emit(format_number(value))
    elif isinstance(value, dict):
        emit("{")
        first = True
        for key in property_order(value):
            if not first:
                emit(",")
            first = False
            emit(quote_raw(key))
            emit(":")
            _stringify_into(value[key], emit)
        emit("}")
    elif isinstance(value, (list, tuple)):
        emit("[")
        for i, item in enumerate(value):
            if i:
                emit(",")
            _stringify_into(item, emit)
        emit("]")
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")


def fix_surrogates(text: str) -> str:
    """Well-formed ``JSON.stringify``: pair adjacent surrogates, write lone ones as ``\\udXXX``.

    Python keeps a lone surrogate from ``"\\ud800"`` as a code point; JS strings are UTF-16, so
    a raw high surrogate followed by an escaped low one is a real character there.
    """
    if _LONE_SURROGATE.search(text) is None:
        return text
    paired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", paired)


def quote(text: str) -> str:
    """``JSON.stringify(string)``."""
    return fix_surrogates(quote_raw(text))


def quote_raw(text: str) -> str:
    """The JSON string literal of ``text`` with any lone surrogates left raw (see :func:`fix_surrogates`)."""
    if _orjson is not None:
        try:
            return _orjson.dumps(text).decode("utf-8")  # same escapes as JSON.stringify, much faster
        except TypeError:  # surrogates: only the stdlib keeps them
            pass
    return _quote(text)
