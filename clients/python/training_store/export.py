"""Exports streamed from the store's HTTP API to a file (contract sections 4 and 6).

The response is read as it arrives (chunked, gzip on the wire) and only complete records reach the
file. When the connection drops, the export resumes with ``after`` from the last complete record,
so the file ends with no gap and no duplicate. It is written to a temporary file next to
``output_path`` and renamed over it only when the export is complete: a cut export never leaves a
silently short file behind.

Plain ``http.client`` (standard library); the asynchronous client runs this in a worker thread.
"""

import csv
import http.client
import io
import json
import os
import secrets
import time
import urllib.parse
import zlib
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

Params = List[Tuple[str, str]]


class ExportError(RuntimeError):
    """The export could not be completed; nothing was written at the output path."""

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.status = status


class ExportRequestError(ExportError, ValueError):
    """The store refused the request (400, 401, 403, 404): its own reason is the message."""


@dataclass(frozen=True)
class ExportResult:
    path: str
    rows: int  # records written: rows of a row export (the CSV header not counted), lines of a dataset
    bytes: int  # size of the file
    resumes: int  # times the export was resumed after a dropped connection


@dataclass(frozen=True)
class Resume:
    """How records are cut from the stream and how the resume cursor is taken from the last one."""
    csv_header: bool  # CSV: the first record of every response is the header
    cursor: Callable[[bytes, Optional[bytes]], str]  # last record (and CSV header) -> value of `after`
    rewrite: Callable[[bytes], bytes] = lambda record: record  # what is written for a record


def row_cursor_jsonl(identity: str) -> Callable[[bytes, Optional[bytes]], str]:
    def cursor(record: bytes, header: Optional[bytes]) -> str:
        row = json.loads(record)
        return f"{row['occurred_at']}|{row[identity]}"
    return cursor


def row_cursor_csv(identity: str) -> Callable[[bytes, Optional[bytes]], str]:
    def cursor(record: bytes, header: Optional[bytes]) -> str:
        names = next(csv.reader(io.StringIO(header.decode("utf-8"), newline="")))
        row = dict(zip(names, next(csv.reader(io.StringIO(record.decode("utf-8"), newline="")))))
        return f"{row['occurred_at']}|{row[identity]}"
    return cursor


def json_line_cursor(key: str) -> Callable[[bytes, Optional[bytes]], str]:
    def cursor(record: bytes, header: Optional[bytes]) -> str:
        return json.loads(record)[key]
    return cursor


# A conversations or preferences line carries no identity unless metadata=true: the client always
# asks for metadata (the last member of the line: ChatLine.java, PreferenceDatasets.java) and, unless
# the caller wanted it, cuts it off, which leaves exactly the line the store sends without metadata.
# The metadata's first key is the line's identity: conversation_id, or id for preferences.
_IDENTITY_KEY = {"conversations": "conversation_id", "preferences": "id"}


def metadata_cursor(key: str) -> Callable[[bytes, Optional[bytes]], str]:
    """The line's cursor from its metadata, which the store writes last, starting with ``key``."""
    marker = b',"metadata":{"' + key.encode("ascii") + b'":'

    def cursor(record: bytes, header: Optional[bytes]) -> str:
        start = record.rindex(marker)
        return json.loads(record[start + len(b',"metadata":'):-2])[key]
    return cursor


def without_metadata(key: str) -> Callable[[bytes], bytes]:
    """The line as the store sends it without metadata=true: the metadata member cut off."""
    marker = b',"metadata":{"' + key.encode("ascii") + b'":'
    return lambda record: record[:record.rindex(marker)] + b"}\n"


class _Records:
    """Cuts a byte stream into complete records: JSON lines, or CSV records (CRLF outside quotes)."""

    def __init__(self, csv_records: bool):
        self._csv = csv_records
        self._pending = b""
        self._scanned = 0  # bytes of _pending already searched
        self._quotes = 0  # quotes in _pending[:_scanned]

    def feed(self, data: bytes) -> List[bytes]:
        self._pending += data
        records = []
        while True:
            if not self._csv:
                end = self._pending.find(b"\n", self._scanned)
                if end < 0:
                    self._scanned = len(self._pending)
                    return records
                end += 1
            else:
                crlf = self._pending.find(b"\r\n", self._scanned)
                if crlf < 0:
                    # Keep a trailing CR unscanned: its LF may come in the next piece.
                    scan_to = max(self._scanned, len(self._pending) - 1)
                    self._quotes += self._pending.count(b'"', self._scanned, scan_to)
                    self._scanned = scan_to
                    return records
                self._quotes += self._pending.count(b'"', self._scanned, crlf)
                self._scanned = crlf + 2
                if self._quotes % 2:
                    continue  # a line break inside a quoted field
                end = crlf + 2
            records.append(self._pending[:end])
            self._pending = self._pending[end:]
            self._scanned = 0
            self._quotes = 0

    def leftover(self) -> bytes:
        return self._pending


class _Cut(Exception):
    """The response ended before its end: resume."""


def download(base_url: str, token: Optional[str], path: str, params: Params, output_path: str,
             resume: Resume, limit: Optional[int] = None, timeout: float = 60.0,
             max_attempts: int = 6) -> ExportResult:
    if not token:
        raise ExportRequestError("No API token: set TRAINING_STORE_TOKEN (a token with the export scope from the "
                                 "store's TRAINING_STORE_TOKENS) or pass token=.")
    target = os.path.abspath(os.fspath(output_path))
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    # Beside the target, so the rename is atomic; created as open() would (mode 0666 less the umask).
    temp_path = os.path.join(directory, f".{os.path.basename(target)}.{secrets.token_hex(6)}.part")
    fd = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            rows, resumes = _stream_into(out, base_url, token, path, params, resume, limit, timeout, max_attempts)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(temp_path, target)
    except BaseException:
        try:
            os.unlink(temp_path)
        except FileNotFoundError:
            pass
        raise
    return ExportResult(target, rows, size, resumes)


def _stream_into(out, base_url: str, token: str, path: str, params: Params, resume: Resume,
                 limit: Optional[int], timeout: float, max_attempts: int) -> Tuple[int, int]:
    header: Optional[bytes] = None
    last: Optional[bytes] = None
    rows = 0
    resumes = 0
    failures = 0
    while True:
        query = list(params)
        if limit is not None:
            if rows >= limit and last is not None:
                return rows, resumes  # cut right after the last row asked for
            query.append(("limit", str(limit - rows)))
        if last is not None:
            query.append(("after", resume.cursor(last, header)))
        records = _Records(csv_records=resume.csv_header)
        first_of_response = True
        progressed = False
        try:
            for record in _response_records(base_url, token, path, query, timeout, records):
                if resume.csv_header and first_of_response:
                    first_of_response = False
                    if header is None:
                        header = record
                        out.write(record)
                    elif record != header:
                        raise ExportError("The CSV header changed between attempts of one export: the store was "
                                          "upgraded meanwhile; run the export again.")
                    continue
                out.write(resume.rewrite(record))
                last = record
                rows += 1
                progressed = True
            if records.leftover():
                raise ExportError("The export ended in the middle of a record: the store sent a record without "
                                  "its line end.")
            return rows, resumes
        except _Cut as cut:
            failures = 0 if progressed else failures + 1
            if failures >= max_attempts:
                raise ExportError(f"The export was cut {failures} times in a row without progress ({cut}); "
                                  f"{rows} rows had arrived. Nothing was written at the output path.") from None
            resumes += 1
            time.sleep(min(0.2 * 2 ** failures, 5.0) if failures else 0)


def _response_records(base_url: str, token: str, path: str, query: Params, timeout: float,
                      records: _Records):
    """Yields the complete records of one response; raises _Cut when it ends early."""
    url = urllib.parse.urlsplit(base_url)
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.hostname, url.port, timeout=timeout)
    try:
        try:
            connection.request("GET", url.path.rstrip("/") + path + "?" + urllib.parse.urlencode(query), headers={
                "Authorization": f"Bearer {token}",
                "Accept-Encoding": "gzip",
                "Connection": "close",
            })
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as e:
            raise _Cut(f"request failed: {e}") from None
        if response.status != 200:
            _refuse(response)
        for data in _body(response, "export"):
            yield from records.feed(data)
    finally:
        connection.close()


def _body(response: http.client.HTTPResponse, what: str):
    """Yields a response's bytes as they arrive, gunzipped when they come compressed; every byte
    that arrived before a cut is yielded first, then _Cut is raised (never a silently short body)."""
    gunzip = None
    if response.getheader("Content-Encoding", "").lower() == "gzip":
        gunzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
    while True:
        cut = None
        try:
            # read1: what has arrived, so that a cut loses no byte that came before it.
            data = response.read1(65536)
        except http.client.IncompleteRead as e:  # closed without the final chunk
            data, cut = e.partial, f"connection closed before the end of the {what}"
        except (OSError, http.client.HTTPException) as e:
            data, cut = b"", f"connection dropped: {type(e).__name__}: {e}"
        if not data and cut is None:
            break
        if gunzip is not None:
            try:
                data = gunzip.decompress(data)
            except zlib.error as e:
                raise _Cut(f"gzip stream broken: {e}") from None
        if data:
            yield data
        if cut is not None:
            raise _Cut(cut)
    if gunzip is not None and not gunzip.eof:
        raise _Cut("gzip stream ended without its trailer")


def _refuse(response: http.client.HTTPResponse) -> None:
    body = response.read(65536)
    try:
        reason = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        reason = body.decode("utf-8", "replace").strip() or response.reason
    if response.status in (429, 502, 503, 504):
        raise _Cut(f"HTTP {response.status}: {reason}")
    error = ExportRequestError if 400 <= response.status < 500 else ExportError
    raise error(f"The store answered {response.status}: {reason}", response.status)


def query_values(name: str, value) -> Sequence[Tuple[str, str]]:
    """One query parameter; a list or tuple means "any of" (the parameter repeated)."""
    values = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    return [(name, _text(name, v)) for v in values]


def _text(name: str, value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ValueError(f"Export parameter '{name}' must be text, a number or a boolean, not {type(value).__name__}.")


ROW_FORMATS = ("jsonl", "csv")
DATASETS = ("conversations", "trajectories", "preferences")
# Parameters of the preferences dataset only; the store answers 400 for any other it does not take.
_OWN = {"pairs": "preferences", "score": "preferences", "margin": "preferences", "threshold": "preferences"}


def export_rows(settings, data_type: str, output_path: str, format: str = "jsonl", start_date=None,
                end_date=None, filters=None, limit: Optional[int] = None) -> ExportResult:
    """``GET /api/v1/export/{data_type}`` into ``output_path``."""
    from .kinds import KINDS
    kind = KINDS.get(data_type)
    if kind is None:
        raise ValueError(f"Unknown data_type {data_type!r}: use one of {', '.join(KINDS)}.")
    if format not in ROW_FORMATS:
        raise ValueError(f"Unknown format {format!r} for a row export: use jsonl or csv.")
    params: Params = [("format", format)]
    if start_date is not None:
        params.append(("start_date", _date_param("start_date", start_date)))
    if end_date is not None:
        params.append(("end_date", _date_param("end_date", end_date)))
    params.extend(_filter_params(filters, reserved=("format", "from", "to", "start_date", "end_date", "limit",
                                                    "after")))
    cursor = row_cursor_csv(kind.identity) if format == "csv" else row_cursor_jsonl(kind.identity)
    return download(settings.url, settings.token, f"/api/v1/export/{kind.id}", params, output_path,
                    Resume(csv_header=format == "csv", cursor=cursor), _limit(limit), settings.export_timeout,
                    settings.export_attempts)


def export_dataset(settings, dataset: str, output_path: str, format: Optional[str] = None,
                   metadata: bool = False, split: Optional[str] = None, validation_fraction=None,
                   test_fraction=None, split_seed=None, start_date=None, end_date=None, filters=None,
                   limit: Optional[int] = None, max_tokens: Optional[int] = None, tokenizer: Optional[str] = None,
                   dedup: Optional[str] = None, pairs=None, score: Optional[str] = None, margin=None,
                   threshold=None) -> ExportResult:
    """``GET /api/v1/datasets/{dataset}`` into ``output_path``."""
    params = dataset_params(dataset, format=format, split=split, validation_fraction=validation_fraction,
                            test_fraction=test_fraction, split_seed=split_seed, start_date=start_date,
                            end_date=end_date, filters=filters, max_tokens=max_tokens, tokenizer=tokenizer,
                            dedup=dedup, pairs=pairs, score=score, margin=margin, threshold=threshold)
    if dataset in _IDENTITY_KEY:
        # The cursor is the line's identity, which only the metadata carries (see metadata_cursor).
        key = _IDENTITY_KEY[dataset]
        params.append(("metadata", "true"))
        resume = Resume(csv_header=False, cursor=metadata_cursor(key),
                        rewrite=(lambda record: record) if metadata else without_metadata(key))
    else:
        if metadata:
            raise ValueError("metadata applies to the conversations and preferences datasets; a trajectory "
                             "carries its own in 'extra'.")
        resume = Resume(csv_header=False, cursor=json_line_cursor("session_id"))
    return download(settings.url, settings.token, f"/api/v1/datasets/{dataset}", params, output_path, resume,
                    _limit(limit), settings.export_timeout, settings.export_attempts)


def dataset_summary(settings, dataset: str, limit: Optional[int] = None, explain: bool = False,
                    **options) -> dict:
    """``GET /api/v1/datasets/{dataset}/summary``: what ``export_dataset`` with the same arguments
    would emit, counted (lines, what was left out and why, splits, tokens; preferences: pairs)."""
    from .versions import _json
    params = dataset_params(dataset, **options)
    if _limit(limit) is not None:
        params.append(("limit", str(limit)))
    if explain:
        params.append(("explain", "true"))
    query = urllib.parse.urlencode(params)
    return _json(settings, "GET", f"/api/v1/datasets/{dataset}/summary" + (f"?{query}" if query else ""))


def dataset_params(dataset: str, format: Optional[str] = None, split: Optional[str] = None,
                   validation_fraction=None, test_fraction=None, split_seed=None, start_date=None, end_date=None,
                   filters=None, max_tokens: Optional[int] = None, tokenizer: Optional[str] = None,
                   dedup: Optional[str] = None, pairs=None, score: Optional[str] = None, margin=None,
                   threshold=None) -> Params:
    """A dataset's query parameters (not ``metadata``, ``limit``, ``after``: the caller's business)."""
    if dataset not in DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}: use conversations, trajectories or preferences.")
    options = (("format", format), ("split", split), ("validation_fraction", validation_fraction),
               ("test_fraction", test_fraction), ("split_seed", split_seed), ("max_tokens", max_tokens),
               ("tokenizer", tokenizer), ("dedup", dedup), ("pairs", pairs), ("score", score), ("margin", margin),
               ("threshold", threshold))
    params: Params = []
    for name, value in options:
        if value is None:
            continue
        if _OWN.get(name, dataset) != dataset:
            raise ValueError(f"'{name}' applies to the {_OWN[name]} dataset only.")
        params.extend(query_values(name, value))
    if start_date is not None:
        params.append(("from", _date_param("start_date", start_date)))
    if end_date is not None:
        params.append(("to", _date_param("end_date", end_date, whole_day=True)))
    params.extend(_filter_params(filters, reserved=("metadata", "limit", "after", "from", "to", "explain")
                                 + tuple(name for name, _ in options)))
    return params


def _filter_params(filters, reserved: Sequence[str]) -> Params:
    params: Params = []
    for name, value in (filters or {}).items():
        if name in reserved:
            raise ValueError(f"'{name}' is an argument of its own, not a filter: pass it as {name}=.")
        params.extend(query_values(name, value))
    return params


def _limit(limit: Optional[int]) -> Optional[int]:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a whole number of at least 0, not {limit!r}.")
    return limit


def _date_param(name: str, value, whole_day: bool = False) -> str:
    """A date or an instant; a date as the end of a dataset range includes that whole day, as
    end_date does for row exports."""
    from datetime import date, datetime, timedelta, timezone
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must carry a timezone, but {value.isoformat()} is naive.")
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, str) and whole_day and len(value) == 10:
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value  # the store explains what is wrong with it
    if isinstance(value, date):
        return (value + timedelta(days=1)).isoformat() if whole_day else value.isoformat()
    if isinstance(value, str):
        return value
    raise ValueError(f"{name} must be a date, an aware datetime or ISO-8601 text, not {type(value).__name__}.")
