"""CloudWatch Logs subscription payloads in every form users have them, both directions.

Forms read: the Lambda event ``{"awslogs": {"data": "<base64 gzip>"}}``, the decoded payload
JSON, the bare base64 string, gzip bytes, one record per line (JSONL) or one pretty-printed
document (or array of them) per file, plain or ``.gz``, or stdin.  Decoding is the seed
handler's (``Buffer`` base64, gunzip, UTF-8 with U+FFFD for bad bytes, ``JSON.parse``), so what
the transform sees is what the Lambda saw; the schema is checked by ``efklab.cloudwatch.schema``
(whose LogEvent and Payload are re-exported here).
"""
from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

from efklab.cloudwatch.schema import CONTROL_MESSAGE, DATA_MESSAGE, LogEvent, Payload, js_type, payload_from_json
from efklab.errors import InputError, PayloadError
from efklab.js.jsontext import parse_json
from efklab.model import Reject

GZIP_MAGIC = b"\x1f\x8b"
_BASE64_JUNK = re.compile(r"[^A-Za-z0-9+/\-_=]")
_BASE64_SPACE = re.compile(r"[ \t\r\n\f\v]+")


# --------------------------------------------------------------------------- decoding


def decode_payload(raw: bytes | str | Mapping[str, Any], *, source: str | None = None,
                   position: int | None = None) -> Payload:
    """Any single form of a payload -> Payload; PayloadError (with source/position) if unusable."""
    if isinstance(raw, Mapping):
        return _from_record(raw, source, position)
    if isinstance(raw, (bytes, bytearray, memoryview)):
        data = bytes(raw)
        if data[:2] == GZIP_MAGIC:
            return _from_record(_parse_payload_text(_gunzip(data, "input", source, position), source, position),
                                source, position)
        text = data.decode("utf-8", "replace")
    elif isinstance(raw, str):
        text = raw
    else:
        raise PayloadError(f"cannot decode a payload from {type(raw).__name__}", source=source, position=position)
    body = text.strip(" \t\r\n")
    if body.startswith("{"):  # parsed as is, so error columns match the line
        return _from_record(_parse_json(text, "record", source, position), source, position)
    if body.startswith("H4sI"):  # base64 of the gzip magic: a bare awslogs.data value
        data = _base64(body, "input", source, position)
        return _from_record(_parse_payload_text(_gunzip(data, "input", source, position), source, position),
                            source, position)
    raise PayloadError(_not_json(body), source=source, position=position)


def _not_json(body: str) -> str:
    if not body:
        return "empty record"
    if "\ufffd" in body[:64] or any(ord(c) < 32 and c not in "\t\n\r" for c in body[:64]):
        return "binary data, not a JSON record or base64 gzip payload"
    return f"not a JSON object, Lambda event or base64 gzip payload (starts with {body[:20]!r})"


def _from_record(record: Mapping[str, Any], source: str | None, position: int | None) -> Payload:
    """A Lambda event or a decoded payload object -> Payload."""
    if "awslogs" in record:
        awslogs = record["awslogs"]
        if not isinstance(awslogs, Mapping) or not isinstance(awslogs.get("data"), str):
            raise PayloadError("awslogs.data must be a base64 string", source=source, position=position)
        data = _base64(awslogs["data"], "awslogs.data", source, position)
        record = _parse_payload_text(_gunzip(data, "awslogs.data", source, position), source, position)
    return payload_from_json(record, source=source, position=position)


def _base64(text: str, what: str, source: str | None, position: int | None) -> bytes:
    """Base64 as node's ``Buffer`` reads it: whitespace skipped, url-safe letters, padding optional."""
    try:
        return base64.b64decode(text, validate=True)  # the usual, canonical form
    except (binascii.Error, ValueError):
        pass
    compact = _BASE64_SPACE.sub("", text)
    junk = _BASE64_JUNK.search(compact)
    if junk is not None:
        raise PayloadError(
            f"{what} is not base64 (character {junk.group()!r} at offset {junk.start()})",
            source=source, position=position,
        )
    data = compact.split("=", 1)[0].replace("-", "+").replace("_", "/").encode("ascii")
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadError(f"{what} is not base64 ({exc})", source=source, position=position) from exc


def _gunzip(data: bytes, what: str, source: str | None, position: int | None) -> bytes:
    if data[:2] != GZIP_MAGIC:
        raise PayloadError(
            f"{what} is not gzip data (starts with bytes {data[:4].hex() or 'nothing'}, expected 1f8b)",
            source=source, position=position,
        )
    try:
        return gzip.decompress(data)
    except EOFError as exc:
        raise PayloadError(f"{what} is truncated gzip data (unexpected end of file)", source=source,
                           position=position) from exc
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise PayloadError(f"{what} is corrupt gzip data ({exc})", source=source, position=position) from exc


def _parse_payload_text(data: bytes, source: str | None, position: int | None) -> Mapping[str, Any]:
    """``JSON.parse(buffer.toString('utf8'))``, as the seed's handler does."""
    return _parse_json(data.decode("utf-8", "replace"), "payload", source, position)


def _parse_json(text: str, what: str, source: str | None, position: int | None) -> Mapping[str, Any]:
    try:
        value = parse_json(text)
    except RecursionError as exc:
        raise PayloadError(f"{what} JSON nests too deeply", source=source, position=position) from exc
    except ValueError as exc:
        raise PayloadError(f"{what} is not valid JSON ({_json_reason(exc)})", source=source, position=position) from exc
    if not isinstance(value, dict):
        raise PayloadError(f"{what} must be a JSON object, got {js_type(value)}", source=source, position=position)
    return value


def _json_reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return str(exc)


# --------------------------------------------------------------------------- records of a file


def iter_records(path: str, lines: Iterator[tuple[int, bytes]]) -> Iterator[Payload | Reject]:
    """The records of one file's ``(line number, bytes)``: a Payload, or a Reject saying where and why.

    A file whose first line is a lone ``{`` or ``[`` is read as pretty-printed JSON documents;
    otherwise one record a line.  An InputError while reading (a broken gzip stream) ends the
    file with a Reject.
    """
    try:
        for lineno, line in lines:
            stripped = line.strip()
            if not stripped:
                continue
            if stripped in (b"{", b"["):
                yield from _iter_documents(path, lineno, line, lines)
                return
            break
        else:
            return
        yield _record(line, path, lineno)
        for lineno, line in lines:
            if line.strip():
                yield _record(line, path, lineno)
    except InputError as exc:
        yield Reject("input", exc.reason, exc.source, exc.position)


def _record(line: bytes, path: str, lineno: int) -> Payload | Reject:
    try:
        return decode_payload(line, source=path, position=lineno)
    except PayloadError as exc:
        return Reject("payload", exc.reason, path, lineno)


def _iter_documents(path: str, first: int, line: bytes,
                    rest: Iterator[tuple[int, bytes]]) -> Iterator[Payload | Reject]:
    """Pretty-printed JSON: documents one after another, or one array of them."""
    text = b"\n".join([line, *(more for _, more in rest)]).decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    pos = 0

    def lineno_at(offset: int) -> int:
        return first + text.count("\n", 0, offset)

    def skip(offset: int) -> int:
        while offset < len(text) and text[offset] in " \t\r\n":
            offset += 1
        return offset

    in_array = text.lstrip().startswith("[")
    pos = skip(text.index("[") + 1) if in_array else skip(0)
    while pos < len(text):
        if in_array and text[pos] == "]":
            pos = skip(pos + 1)
            if pos < len(text):
                yield Reject("payload", "unexpected data after the closing ']'", path, lineno_at(pos))
            return
        try:
            value, end = decoder.raw_decode(text, pos)
            if not isinstance(value, dict):
                raise PayloadError(f"record must be a JSON object, got {js_type(value)}")
            strict = parse_json(text[pos:end])  # JS-strict reading of exactly this document
            yield decode_payload(strict, source=path, position=lineno_at(pos))
        except json.JSONDecodeError as exc:
            yield Reject("payload", f"not valid JSON ({exc.msg})", path, lineno_at(exc.pos))
            return  # no way to find the next document reliably
        except (PayloadError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, PayloadError) else f"not valid JSON ({exc})"
            yield Reject("payload", reason, path, lineno_at(pos))
            if not isinstance(exc, PayloadError):
                return
        pos = skip(end)
        if in_array:
            if pos < len(text) and text[pos] == ",":
                pos = skip(pos + 1)
            elif pos < len(text) and text[pos] != "]":
                yield Reject("payload", "expected ',' or ']' between array elements", path, lineno_at(pos))
                return


# --------------------------------------------------------------------------- encoding


def encode_event(event: LogEvent) -> dict[str, Any]:
    """A LogEvent as it appears in the payload JSON."""
    out: dict[str, Any] = {"id": event.id, "timestamp": event.timestamp, "message": event.message}
    if event.extracted_fields is not None:
        out["extractedFields"] = event.extracted_fields
    return out


def encode_payload(p: Payload) -> dict[str, Any]:
    """The decoded JSON form, fields in CloudWatch's order (events that broke the schema are not kept)."""
    out: dict[str, Any] = {
        "messageType": p.message_type,
        "owner": p.owner,
        "logGroup": p.log_group,
        "logStream": p.log_stream,
        "subscriptionFilters": list(p.subscription_filters),
        "logEvents": [encode_event(e) for e in p.log_events],
    }
    if p.policy_level is not None:
        out["policyLevel"] = p.policy_level
    return out


def payload_json(p: Payload | Mapping[str, Any]) -> str:
    """Compact JSON text of a payload, as CloudWatch writes it (UTF-8 as is)."""
    obj = encode_payload(p) if isinstance(p, Payload) else p
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:  # lone surrogates only survive as escapes
        return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def to_lambda_event(p: Payload | Mapping[str, Any]) -> dict[str, Any]:
    """``{"awslogs": {"data": base64(gzip(json))}}``, deterministic (gzip mtime 0)."""
    data = gzip.compress(payload_json(p).encode("utf-8"), mtime=0)
    return {"awslogs": {"data": base64.b64encode(data).decode("ascii")}}


def lambda_event_json(p: Payload | Mapping[str, Any]) -> str:
    """A Lambda event as one compact line of JSON (what ``--lambda-events`` files hold)."""
    return json.dumps(to_lambda_event(p), separators=(",", ":"))


__all__ = [
    "CONTROL_MESSAGE",
    "DATA_MESSAGE",
    "LogEvent",
    "Payload",
    "decode_payload",
    "encode_event",
    "encode_payload",
    "iter_records",
    "lambda_event_json",
    "payload_from_json",
    "payload_json",
    "to_lambda_event",
]
