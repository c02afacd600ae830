"""Validation before publishing, with the store's own rules.

Mirrors ``record/EntryParser.java``, ``record/Timestamps.java`` and the kind rules
(``kind/MessageRule.java``, ``kind/FeedbackRule.java``) for the ``data`` encoding the client
publishes, so that a record the store would dead-letter is refused at the call site with a
``ValueError`` naming the field, and a record it accepts is never refused here.
"""

import json
import math
import re
import unicodedata
from decimal import Decimal
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Mapping, Optional

from .kinds import (DATA_FIELD, FEEDBACK_TARGET_KINDS, MESSAGE_ROLES, OCCURRED_AT, FieldType,
                    Kind)

# The store's JSON limits (EntryParser.MAX_JSON_DEPTH, MAX_NUMBER_CHARS) and entry size limit
# (training-store.delivery.max-entry-bytes).
MAX_JSON_DEPTH = 1_000
MAX_NUMBER_CHARS = 1_000
DEFAULT_MAX_ENTRY_BYTES = 1_048_576

_NUMBER_LIMIT = 10 ** MAX_NUMBER_CHARS  # the smallest integer with more digits than the store reads
_LONG_MIN, _LONG_MAX = -(2 ** 63), 2 ** 63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Timestamps.LATEST: 9999-12-31T23:59:59.999999Z.
_LATEST_SECOND = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
_LATEST_MILLIS = int((_LATEST_SECOND - _EPOCH).total_seconds()) * 1000 + 999

# java.time's ISO_OFFSET_DATE_TIME (case-insensitive; seconds and 1-9 fraction digits optional;
# offset Z or +HH:MM[:SS]); only 4-digit years can be in the stored range 1970..9999.
_ISO_OFFSET_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)")
# java.math.BigDecimal's syntax (Java's digits are Unicode decimal digits, as Python's \d).
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def encode_record(kind: Kind, fields: Mapping[str, Any], attributes: Optional[Mapping[str, Any]] = None,
                  max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES) -> str:
    """Validates one record and returns the text of its ``data`` field.

    ``fields`` maps the kind's field names (and ``occurred_at``) to values, None meaning "not
    sent"; ``attributes`` are the fields the kind does not name, kept in the row's ``attributes``.
    Raises ValueError naming the field when the store would refuse the record.
    """
    document: Dict[str, Any] = {}
    stored_text: Dict[str, str] = {}
    depth = 1
    for field in kind.fields:
        value = fields.get(field.name)
        if value is None:
            continue
        if field.type is FieldType.TEXT:
            stored_text[field.name] = _text(field.name, value)
        elif field.type is FieldType.JSON:
            depth = max(depth, _json_value(field.name, value))
        elif field.type is FieldType.JSON_ARRAY:
            if not isinstance(value, (list, tuple)):
                raise ValueError(f"Field '{field.name}' must be a JSON array (a list), but is {_describe(value)}.")
            depth = max(depth, _json_value(field.name, value))
        elif field.type is FieldType.INTEGER:
            _integer(field.name, value)
        elif field.type is FieldType.NUMBER:
            _number(field.name, value)
        document[field.name] = value
    occurred_at = fields.get(OCCURRED_AT)
    if occurred_at is not None:
        document[OCCURRED_AT] = timestamp(occurred_at)
    for name, value in (attributes or {}).items():
        if not isinstance(name, str):
            raise ValueError(f"Attribute names must be text, but {name!r} is {_describe(name)}.")
        _storable_text("attributes", name)
        if name == OCCURRED_AT or kind.field(name) is not None:
            raise ValueError(f"Attribute '{name}' is a field of {kind.id}: pass it as the argument {name}=, "
                             "not in attributes.")
        depth = max(depth, _json_value(name, value))
        document[name] = value
    _check_required(kind, fields, stored_text)
    _check_kind_rule(kind, fields, stored_text)
    text = encode_json(document, depth)
    size = len(DATA_FIELD) + len(text.encode("utf-8"))
    if size > max_entry_bytes:
        raise ValueError(f"The record is {size:,} bytes, over the limit of {max_entry_bytes:,} bytes "
                         "(training-store.delivery.max-entry-bytes): split the record, or store large "
                         "content elsewhere and send a reference.")
    return text


# Deeper than this, the record is encoded without recursion: json.dumps recurses once per level and
# would hit Python's recursion limit below the store's 1,000 levels when called from deep in a stack.
_RECURSIVE_ENCODING_DEPTH = 100


def encode_json(document: Dict[str, Any], depth: Optional[int] = None) -> str:
    """Compact JSON text of a record (its nesting depth, when already known, saves a walk)."""
    if (_depth(document) if depth is None else depth) <= _RECURSIVE_ENCODING_DEPTH:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    out = []
    pending: list = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, _Literal):
            out.append(item.text)
        elif isinstance(item, dict):
            parts: list = [_Literal("{")]
            for i, (key, value) in enumerate(item.items()):
                parts += [_Literal(("," if i else "") + json.dumps(key, ensure_ascii=False) + ":"), value]
            pending.extend(reversed(parts + [_Literal("}")]))
        elif isinstance(item, (list, tuple)):
            parts = [_Literal("[")]
            for i, value in enumerate(item):
                parts += [_Literal(",")] if i else []
                parts.append(value)
            pending.extend(reversed(parts + [_Literal("]")]))
        else:
            out.append(json.dumps(item, ensure_ascii=False, allow_nan=False))
    return "".join(out)


class _Literal:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _depth(value: Any) -> int:
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, (list, tuple)):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item)
    return deepest


def _check_required(kind: Kind, fields: Mapping[str, Any], stored_text: Mapping[str, str]) -> None:
    for field in kind.fields:
        if not field.required:
            continue
        if fields.get(field.name) is None:
            raise ValueError(f"Field '{field.name}' is required for {kind.id} but is missing: add it.")
        if not field.may_be_empty and _java_blank(stored_text.get(field.name, "x")):
            raise ValueError(f"Field '{field.name}' is required for {kind.id} but is empty: add it.")


def _check_kind_rule(kind: Kind, fields: Mapping[str, Any], stored_text: Mapping[str, str]) -> None:
    if kind.id == "messages":
        role = stored_text["role"]
        if role not in MESSAGE_ROLES:
            raise ValueError(f"Field 'role' must be one of system, user, assistant or tool, but is {role!r}.")
        calls_tools = bool(fields.get("tool_calls"))
        if stored_text["content"] == "" and not (role == "assistant" and calls_tools):
            raise ValueError("Field 'content' is empty: only an assistant message that calls tools "
                             "(non-empty 'tool_calls') may have empty content.")
    elif kind.id == "feedback":
        target_kind = stored_text["target_kind"]
        if target_kind not in FEEDBACK_TARGET_KINDS:
            raise ValueError(f"Field 'target_kind' must be one of {', '.join(FEEDBACK_TARGET_KINDS)}, "
                             f"but is {target_kind!r}.")
        label = stored_text.get("label")
        if fields.get("value") is None and (label is None or _java_blank(label)):
            raise ValueError("Feedback needs a 'value' (a number) or a 'label' (text), or both; this record "
                             "has neither: add one.")


def _text(name: str, value: Any) -> str:
    """A text field: text, or a number or boolean kept as its text (never an object or array)."""
    if isinstance(value, str):
        _storable_text(name, value)
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        _json_value(name, value)
        return repr(value)
    raise ValueError(f"Field '{name}' must be text, but is {_describe(value)}.")


def _integer(name: str, value: Any) -> None:
    """I: a whole number a Java long holds, or text holding one."""
    if isinstance(value, int) and not isinstance(value, bool):
        if _LONG_MIN <= value <= _LONG_MAX:
            return
    elif isinstance(value, str):
        _storable_text(name, value)
        trimmed = _java_trim(value)
        if _INTEGER.fullmatch(trimmed) and _LONG_MIN <= int(trimmed) <= _LONG_MAX:
            return
    raise ValueError(f"Field '{name}' must be a whole number, but is {value!r}.")


def _number(name: str, value: Any) -> None:
    """N: a finite number a double holds, as a number or text holding one; NaN, infinities, and
    numbers beyond a double's range (1e400, or 1e-400, which would silently become 0) are refused."""
    shown = repr(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"Field '{name}' must be a finite number (a JSON number or text holding one, such as "
                         f"0.75, -3 or 1e-3), but is {_describe(value)}.")
    if isinstance(value, str):
        _storable_text(name, value)
        trimmed = _java_trim(value)
        if not trimmed or len(trimmed) > MAX_NUMBER_CHARS or not _DECIMAL.fullmatch(trimmed):
            raise ValueError(f"Field '{name}' must be a finite number (a JSON number or text holding one, such "
                             f"as 0.75, -3 or 1e-3), but is {shown}.")
        exact = Decimal(trimmed)
        exact_zero = exact == 0
        number = float(exact)
    elif isinstance(value, int):
        if abs(value) >= _NUMBER_LIMIT:
            raise ValueError(f"Field '{name}' holds a number longer than {MAX_NUMBER_CHARS:,} digits (the store's "
                             "JSON limit).")
        exact_zero = value == 0
        number = _to_double(value)
    else:
        if not math.isfinite(value):
            raise ValueError(f"Field '{name}' must be a finite number (a JSON number or text holding one, such "
                             f"as 0.75, -3 or 1e-3), but is {shown}.")
        exact_zero = value == 0
        number = value
    if math.isinf(number) or (number == 0 and not exact_zero):
        raise ValueError(f"Field '{name}' is {shown}, outside the range of a double (about 4.9e-324 to 1.8e308 "
                         "in magnitude): send a number within it.")


def _to_double(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf


def timestamp(value: Any) -> Any:
    """``occurred_at`` as the store reads it: an aware datetime, ISO-8601 text with an offset or Z,
    or epoch milliseconds (int or text), between 1970 and 9999. Returns what is sent."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"Field 'occurred_at' must carry a timezone (the store needs an offset), but "
                             f"{value.isoformat()} is naive: use datetime.now(timezone.utc).")
        utc = value.astimezone(timezone.utc)
        if not _EPOCH <= utc <= _LATEST_SECOND.replace(microsecond=999999):
            raise _bad_timestamp(value.isoformat())
        return utc.isoformat(timespec="microseconds").replace("+00:00", "Z")
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= _LATEST_MILLIS:
            return value
        raise _bad_timestamp(repr(value))
    if isinstance(value, str):
        _storable_text(OCCURRED_AT, value)
        if _parse_timestamp(value):
            return value
        raise _bad_timestamp(repr(value))
    if isinstance(value, date):
        raise ValueError(f"Field 'occurred_at' must be an instant (a datetime with a timezone), not the date {value}.")
    raise _bad_timestamp(_describe(value))


def _parse_timestamp(text: str) -> bool:
    value = _java_trim(text)
    if value and value.isdecimal():
        return 0 <= int(value) <= _LATEST_MILLIS
    match = _ISO_OFFSET_DATE_TIME.fullmatch(value)
    if not match:
        return False
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m, off_s = match.groups()
    try:
        offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0), seconds=int(off_s or 0))
        if offset > timedelta(hours=18) or int(off_m or 0) > 59 or int(off_s or 0) > 59:
            return False
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                         tzinfo=timezone(-offset if sign == "-" else offset))
        utc = local.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return False
    nanos = int((fraction or "").ljust(9, "0"))
    if utc < _EPOCH:
        return False
    return utc < _LATEST_SECOND or (utc == _LATEST_SECOND and nanos <= 999_999_000)


def _bad_timestamp(shown: str) -> ValueError:
    return ValueError("Field 'occurred_at' must be an ISO-8601 instant with an offset or Z (e.g. "
                      "2026-01-31T12:00:00.123Z), an aware datetime, or epoch milliseconds between 1970 and "
                      f"9999, but is {shown}.")


def _json_value(field: str, value: Any) -> int:
    """A JSON value the store reads and PostgreSQL stores: JSON types only, finite numbers of at
    most 1,000 digits, nesting within 1,000 levels (the record itself is the first), text without
    NUL characters or surrogates. Walked without recursion, so any depth is refused cleanly."""
    pending = [(value, 2)]  # depth a container directly in the record has
    deepest = 1
    while pending:
        item, depth = pending.pop()
        kind = type(item)
        if kind is str:  # the common cases first, by exact type
            if _UNSTORABLE.search(item):
                _storable_text(field, item)
            continue
        if kind is bool or item is None or (kind is int and -_LONG_MAX < item < _LONG_MAX):
            continue
        if isinstance(item, (dict, list, tuple)):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"Field '{field}' nests deeper than {MAX_JSON_DEPTH:,} levels (the store's JSON "
                                 "limit, the record itself counting as the first).")
            if isinstance(item, dict):
                for key, child in item.items():
                    if type(key) is not str and not isinstance(key, str):
                        raise ValueError(f"Field '{field}' has the key {key!r}: JSON object keys must be text.")
                    if _UNSTORABLE.search(key):
                        _storable_text(field, key)
                    pending.append((child, depth + 1))
            else:
                pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _storable_text(field, item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) >= _NUMBER_LIMIT:
                raise ValueError(f"Field '{field}' holds a number longer than {MAX_NUMBER_CHARS:,} digits (the "
                                 "store's JSON limit): send it as a string.")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"Field '{field}' holds {item!r}, which JSON cannot represent: send a finite "
                                 "number, null or a string.")
        else:
            raise ValueError(f"Field '{field}' holds {_describe(item)}, which is not a JSON value (use dict, list, "
                             "str, int, float, bool or None).")
    return deepest


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable_text(field: str, text: str) -> None:
    """Text PostgreSQL stores: no NUL character, no surrogate code point (not valid Unicode)."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return
    if found.group() == "\x00":
        raise ValueError(f"Field '{field}' contains a NUL character (\\u0000), which PostgreSQL cannot store: "
                         "remove it.")
    raise ValueError(f"Field '{field}' contains a UTF-16 surrogate ({found.group()!r}), which is not valid "
                     "Unicode: fix its encoding.")


def _java_trim(text: str) -> str:
    """String.trim(): strips every character up to U+0020, no more (unlike str.strip())."""
    return text.strip("".join(chr(c) for c in range(0x21)))


def _java_blank(text: str) -> bool:
    """String.isBlank(): empty or only Character.isWhitespace characters."""
    return all(_java_whitespace(char) for char in text)


def _java_whitespace(char: str) -> bool:
    if char in "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f":
        return True
    # Unicode space, line and paragraph separators, but not the non-breaking ones.
    return unicodedata.category(char) in ("Zs", "Zl", "Zp") and char not in "\u00a0\u2007\u202f"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a JSON object (dict)"
    if isinstance(value, (list, tuple)):
        return "a JSON array (list)"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return f"a {type(value).__name__}"
