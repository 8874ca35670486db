"""JavaScript's numbers as the seed meets them: ``parseFloat``, ``isFinite``, ``1 * value``, printing.

Checked against node 20 (tests/differential/test_js_node.py keeps checking).
"""
from __future__ import annotations

import math
import re
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1

# StrWhiteSpaceChar: WhiteSpace (incl. every Zs character and the BOM) and LineTerminator.
JS_WHITESPACE = ("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                 "\u2028\u2029\u202f\u205f\u3000\ufeff")

_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_NON_DECIMAL = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")
_PARSE_FLOAT_START = re.compile(r"[+-]?(?:Infinity|[0-9]|\.[0-9])")
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def to_number(text: str) -> float:
    """``Number(text)`` / ``1 * text`` for a string: NaN when it is not a StringNumericLiteral."""
    body = text.strip(JS_WHITESPACE)
    if not body:
        return 0.0
    if _DECIMAL.fullmatch(body):
        return float(body)  # Python's float() rounds correctly and knows "Infinity"
    if _NON_DECIMAL.fullmatch(body):
        try:
            return float(int(body[2:], {"x": 16, "o": 8, "b": 2}[body[1].lower()]))
        except OverflowError:
            return math.inf
    return math.nan


def parse_float_is_nan(text: str) -> bool:
    """Whether ``parseFloat(text)`` is NaN, i.e. no decimal literal starts the trimmed text."""
    return _PARSE_FLOAT_START.match(text.lstrip(JS_WHITESPACE)) is None


def is_numeric(value: Any) -> bool:
    """The seed's ``isNumeric(n)``: ``!isNaN(parseFloat(n)) && isFinite(n)`` for strings and numbers."""
    if isinstance(value, str):
        return not parse_float_is_nan(value) and math.isfinite(to_number(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _finite(value)
    raise TypeError(f"is_numeric() is only defined here for strings and numbers, not {type(value).__name__}")


def numeric_value(text: str) -> float | None:
    """``1 * text`` where the seed's ``isNumeric(text)`` holds, else None: both tests in one pass.

    Extracted fields are mostly plain decimals ("200", "0.023"), read without the general
    StringNumericLiteral grammar.
    """
    if _PLAIN_DECIMAL.fullmatch(text):
        number = float(text)
        return number if math.isfinite(number) else None  # hundreds of digits: Infinity, not numeric
    if parse_float_is_nan(text):
        return None
    number = to_number(text)
    return number if math.isfinite(number) else None


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the double range is Infinity in JS
        return False


def format_number(value: int | float) -> str:
    """``JSON.stringify`` of a number: shortest round-trip digits in JS layout; non-finite -> ``null``.

    Python's repr has the same digits (shortest round trip, ties to the closer value) and differs
    only in layout: it writes 1e-4 <= |x| < 1e16 positionally with a ``.0`` on integers, and uses
    exponents with two digits at least elsewhere; JS writes 1e-6 <= |x| < 1e21 positionally.
    """
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return str(value)
        try:
            value = float(value)  # JSON.parse reads every number as a double
        except OverflowError:
            return "null"
    if not math.isfinite(value):
        return "null"
    if value == 0:
        return "0"  # also -0
    text = repr(value)
    e = text.find("e")
    if e < 0:  # 1e-4 <= |x| < 1e16: the same text, less an integer's ".0"
        return text[:-2] if text.endswith(".0") else text
    exponent = int(text[e + 1:])
    if exponent >= 21 or exponent <= -7:
        return text[:e] + ("e+" if exponent > 0 else "e-") + str(abs(exponent))
    sign = ""
    if text[0] == "-":
        sign, text, e = "-", text[1:], e - 1
    digits = text[:e].replace(".", "")  # d.ddd: the shortest digits, first one not 0
    if exponent > 0:  # 1e16 <= |x| < 1e21 (at most 17 digits): an integer, padded with zeros
        return sign + digits + "0" * (exponent + 1 - len(digits))
    return sign + "0." + "0" * (-exponent - 1) + digits  # 1e-6 <= |x| < 1e-4
