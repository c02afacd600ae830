"""Dataset versions (contract section 6.4): a dataset's answer frozen once, cited by id and SHA-256,
fetched byte for byte later.

``download_version`` writes to ``<path>.part`` and resumes from its size with ``Range: bytes=<size>-``,
within one call after a cut connection and across calls after a crash (the ``.part`` file stays
behind for the next call). The file is renamed to ``path`` only when its SHA-256 equals the manifest's.

Plain ``http.client`` (standard library); the asynchronous client runs these in a worker thread.
"""

import hashlib
import http.client
import json
import os
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .export import ExportError, ExportRequestError, _Cut, _body, _date_param, _refuse, _text

VERSIONS = "/api/v1/datasets/versions"
POLL_SECONDS = 0.5
HASH_BLOCK = 1 << 20


class VersionFailedError(ExportError):
    """The version's build failed; the store's reason is the message, the manifest is ``manifest``."""

    def __init__(self, manifest: Dict[str, Any]):
        super().__init__(f"Version {manifest['id']} failed: {manifest.get('error')}")
        self.manifest = manifest


@dataclass(frozen=True)
class VersionDownload:
    path: str
    bytes: int
    sha256: str  # checked against the manifest's
    resumed_from: int  # bytes already in <path>.part when the call began (0: a fresh download)
    resumes: int  # cuts resumed within this call


def create_version(settings, name: str, dataset: str, parameters: Optional[Dict[str, Any]] = None
                   ) -> Dict[str, Any]:
    """``POST /api/v1/datasets/versions``: the new version's manifest (``status`` ``building``)."""
    if not isinstance(name, str):
        raise ValueError(f"name must be text, not {type(name).__name__}.")
    body = {"name": name, "dataset": dataset, "parameters": _parameters(parameters or {})}
    for attempt in range(1, settings.export_attempts + 1):
        try:
            return _json(settings, "POST", VERSIONS, body=body)
        except _Busy as busy:  # the replica builds its most versions at once; no queue: wait and retry
            if attempt == settings.export_attempts:
                raise ExportError(f"{busy} (tried {attempt} times)", 429) from None
            time.sleep(busy.retry_after)


def get_version(settings, version_id) -> Dict[str, Any]:
    """A version's manifest."""
    return _json(settings, "GET", f"{VERSIONS}/{_id(version_id)}")


def wait_for_version(settings, version_id, timeout: float = 600.0) -> Dict[str, Any]:
    """Polls the manifest until the version is ``ready`` and returns it; raises
    ``VersionFailedError`` when it failed, ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        manifest = get_version(settings, version_id)
        if manifest["status"] == "ready":
            return manifest
        if manifest["status"] == "failed":
            raise VersionFailedError(manifest)
        if time.monotonic() >= deadline:
            raise TimeoutError(f"Version {version_id} is still {manifest['status']} after {timeout:g} s.")
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def list_versions(settings, name: Optional[str] = None, limit: Optional[int] = None, after=None
                  ) -> Dict[str, Any]:
    """One page, newest first: ``{"versions": [...], "next_after": <id or None>}``; pass
    ``after=page["next_after"]`` for the older ones."""
    query = [(key, _text(key, value)) for key, value in (("name", name), ("limit", limit), ("after", after))
             if value is not None]
    return _json(settings, "GET", VERSIONS + ("?" + urllib.parse.urlencode(query) if query else ""))


def delete_version(settings, version_id, token: Optional[str] = None) -> None:
    """``DELETE``: needs a token with the ``admin`` scope (``token=``, else the settings' token)."""
    _json(settings, "DELETE", f"{VERSIONS}/{_id(version_id)}", token=token)


def download_version(settings, version_id, path: str) -> VersionDownload:
    """The version's bytes into ``path``, checked against the manifest's SHA-256."""
    manifest = get_version(settings, version_id)
    if manifest["status"] == "failed":
        raise VersionFailedError(manifest)
    if manifest["status"] != "ready":
        raise ExportRequestError(f"Version {manifest['id']} is still {manifest['status']}: wait_for_version first.",
                                 409)
    size, expected = manifest["bytes"], manifest["sha256"]
    target = os.path.abspath(os.fspath(path))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    part = target + ".part"
    digest = hashlib.sha256()
    with open(part, "ab+") as out:
        have = out.tell()
        if have > size:  # not a prefix of this version: start again
            out.truncate(0)
            have = 0
        out.seek(0)
        while block := out.read(HASH_BLOCK):
            digest.update(block)
        resumed_from = have
        resumes = 0
        failures = 0
        while have < size:
            try:
                have = _fetch_into(settings, manifest["id"], have, out, digest)
                failures = 0
            except _Cut as cut:
                written = out.tell()
                failures = 0 if written > have else failures + 1
                have = written
                if failures >= settings.export_attempts:
                    raise ExportError(f"The download of version {manifest['id']} was cut {failures} times in a "
                                      f"row without progress ({cut}); {have} of {size} bytes are in {part}: "
                                      f"call download_version again to resume.") from None
                resumes += 1
                time.sleep(min(0.2 * 2 ** failures, 5.0) if failures else 0)
        out.flush()
        os.fsync(out.fileno())
    actual = digest.hexdigest()
    if actual != expected:
        os.unlink(part)
        raise ExportError(f"The bytes of version {manifest['id']} have SHA-256 {actual}, the manifest says "
                          f"{expected}: the partial file was removed; download again.")
    os.replace(part, target)
    return VersionDownload(target, size, actual, resumed_from, resumes)


def _fetch_into(settings, version_id: str, start: int, out, digest) -> int:
    """One request from ``start``: appends what arrives to ``out`` (and the digest); returns the new size."""
    headers = {"Accept-Encoding": "gzip"}
    if start:
        headers["Range"] = f"bytes={start}-"  # the store answers a range uncompressed
    connection, response = _open(settings, "GET", f"{VERSIONS}/{version_id}/lines", headers=headers)
    try:
        if response.status not in (200, 206):
            _refuse(response)  # a 429 or 502-504 raises _Cut: retried
        if start and response.status != 206:
            raise ExportError(f"Asked for version {version_id} from byte {start}, the store answered "
                              f"{response.status} without Content-Range.")
        for data in _body(response, "version"):
            out.write(data)
            digest.update(data)
        return out.tell()
    finally:
        connection.close()


def _json(settings, method: str, path: str, body=None, token: Optional[str] = None):
    payload = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    try:
        connection, response = _open(settings, method, path, headers, payload, token)
    except _Cut as cut:
        raise ExportError(f"{method} {path}: {cut}") from None
    try:
        if response.status == 429:
            raise _Busy(response)
        if response.status >= 300:
            _refuse(response)
        data = response.read()
        return json.loads(data) if data else None
    except _Cut as cut:  # a 429 or 502-504: the caller decides whether to try again
        raise ExportError(f"{method} {path}: {cut}") from None
    finally:
        connection.close()


class _Busy(ExportError):
    """429: the store asks to try again after Retry-After seconds."""

    def __init__(self, response: http.client.HTTPResponse):
        try:
            reason = json.loads(response.read(65536))["error"]
        except (ValueError, KeyError, TypeError):
            reason = response.reason
        super().__init__(f"The store answered 429: {reason}", 429)
        retry_after = response.getheader("Retry-After", "")
        self.retry_after = min(float(retry_after), 30.0) if retry_after.isdigit() else 1.0


def _open(settings, method: str, path: str, headers: Dict[str, str], body: Optional[bytes] = None,
          token: Optional[str] = None) -> Tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    token = token or settings.token
    if not token:
        raise ExportRequestError("No API token: set TRAINING_STORE_TOKEN (a token with the export scope from the "
                                 "store's TRAINING_STORE_TOKENS) or pass token=.")
    url = urllib.parse.urlsplit(settings.url)
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.hostname, url.port, timeout=settings.export_timeout)
    try:
        connection.request(method, url.path.rstrip("/") + path, body=body, headers={
            **headers, "Authorization": f"Bearer {token}", "Connection": "close"})
        return connection, connection.getresponse()
    except (OSError, http.client.HTTPException) as e:
        connection.close()
        raise _Cut(f"request failed: {e}") from None


def _parameters(parameters: Dict[str, Any]) -> Dict[str, Any]:
    """The dataset's query parameters as the store takes them: text, or a list of texts (any of);
    numbers and booleans become their text, dates ISO-8601."""
    if not isinstance(parameters, dict):
        raise ValueError(f"parameters must be a dict of the dataset's query parameters, not "
                         f"{type(parameters).__name__}.")
    return {name: [_value(name, v) for v in value] if isinstance(value, (list, tuple)) else _value(name, value)
            for name, value in parameters.items()}


def _value(name: str, value) -> str:
    from datetime import date
    if isinstance(value, date):
        return _date_param(name, value)
    return _text(name, value)


def _id(version_id) -> str:
    text = str(version_id)
    if not text.isdigit():
        raise ValueError(f"A version id is a number (the manifest's 'id'), not {version_id!r}.")
    return text


__all__: List[str] = ["VersionFailedError", "VersionDownload", "create_version", "get_version", "wait_for_version",
                      "list_versions", "delete_version", "download_version"]
