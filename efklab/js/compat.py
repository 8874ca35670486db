"""The JavaScript semantics the seed Lambda relies on, reproduced exactly (one import for all).

Numbers (``efklab.js.numbers``), JSON (``efklab.js.jsontext``) and dates (``efklab.js.dates``); every
function was checked against node 20 and the differential tests keep checking it.
"""
from __future__ import annotations

from efklab.js.dates import (
    MAX_TIME_MS,
    MS_PER_DAY,
    civil_from_days,
    iso_timestamp,
    iso_year,
    time_clip,
    two_digits,
    utc_date,
)
from efklab.js.jsontext import (
    MAX_ARRAY_INDEX,
    JsonScanner,
    JsonSyntaxError,
    encode_plain,
    fix_surrogates,
    is_array_index,
    is_plain,
    parse_json,
    property_order,
    quote,
    quote_raw,
    stringify,
)
from efklab.js.numbers import JS_WHITESPACE, MAX_SAFE_INTEGER, format_number, is_numeric, parse_float_is_nan, to_number

__all__ = [
    "JS_WHITESPACE",
    "MAX_ARRAY_INDEX",
    "MAX_SAFE_INTEGER",
    "MAX_TIME_MS",
    "MS_PER_DAY",
    "JsonScanner",
    "JsonSyntaxError",
    "civil_from_days",
    "encode_plain",
    "fix_surrogates",
    "format_number",
    "is_array_index",
    "is_numeric",
    "is_plain",
    "iso_timestamp",
    "iso_year",
    "parse_float_is_nan",
    "parse_json",
    "property_order",
    "quote",
    "quote_raw",
    "stringify",
    "time_clip",
    "to_number",
    "two_digits",
    "utc_date",
]
