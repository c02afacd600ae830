"""The store's client: ``TrainingDataStore`` (asyncio) and its synchronous twin ``SyncTrainingDataStore``.

Publishing is a plain XADD of the record's ``data`` field to its kind's stream (contract section 2);
a batch is one pipelined round trip. Exports stream from the HTTP API (see ``export``).
"""

import asyncio
import functools
from typing import Any, List, Optional

import redis
import redis.asyncio

from . import export, search, versions
from .config import Settings
from .records import Record, RecordMethods


class _Batch(RecordMethods):
    """Records validated as they are added, published together in one pipelined round trip."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self.max_entry_bytes = settings.max_entry_bytes
        self._records: List[Record] = []
        self.entry_ids: List[str] = []  # the stream entry ids, in the order added, once sent

    def _submit(self, record: Record) -> None:
        self._records.append(record)

    def __len__(self) -> int:
        return len(self._records)

    def _take(self) -> List[Record]:
        records, self._records = self._records, []
        return records


class AsyncBatch(_Batch):
    def __init__(self, store: "TrainingDataStore"):
        super().__init__(store.settings)
        self._store = store

    async def send(self) -> List[str]:
        """Publishes the records added since the last send; returns their entry ids."""
        ids = await self._store._publish(self._take())
        self.entry_ids.extend(ids)
        return ids

    async def __aenter__(self) -> "AsyncBatch":
        return self

    async def __aexit__(self, error_type, error, traceback) -> None:
        if error_type is None:
            await self.send()


class SyncBatch(_Batch):
    def __init__(self, store: "SyncTrainingDataStore"):
        super().__init__(store.settings)
        self._store = store

    def send(self) -> List[str]:
        """Publishes the records added since the last send; returns their entry ids."""
        ids = self._store._publish(self._take())
        self.entry_ids.extend(ids)
        return ids

    def __enter__(self) -> "SyncBatch":
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        if error_type is None:
            self.send()


class _Exports:
    """Export arguments shared by both twins; ``_run`` runs the blocking download."""

    settings: Settings

    def _export_rows(self, data_type, output_path, format, start_date, end_date, filters, limit):
        return self._run(export.export_rows, self.settings, data_type, output_path, format, start_date,
                         end_date, filters, limit)

    def _export_dataset(self, dataset, output_path, **options):
        return self._run(functools.partial(export.export_dataset, **options), self.settings, dataset, output_path)

    def _version_call(self, function, *args, **kwargs):
        return self._run(functools.partial(function, self.settings, *args, **kwargs))

    def _run(self, function, *args):
        raise NotImplementedError


class TrainingDataStore(_Exports):
    """The asyncio client. Every ``store_*`` coroutine validates its record (ValueError naming the
    field) and publishes it; it returns the stream entry id."""

    def __init__(self, settings: Optional[Settings] = None, **options: Any):
        self.settings = settings or Settings(**options)
        self.max_entry_bytes = self.settings.max_entry_bytes
        self._redis = redis.asyncio.Redis.from_url(self.settings.redis_url, decode_responses=True)

    class _Methods(RecordMethods):
        """RecordMethods whose _submit gives the publishing coroutine, awaited by the store's methods."""

        def __init__(self, store):
            self._store = store
            self.max_entry_bytes = store.max_entry_bytes

        def _submit(self, record):
            return self._store._publish_one(record)

    def _methods(self) -> "_Methods":
        return TrainingDataStore._Methods(self)

    async def _publish_one(self, record: Record) -> str:
        return await self._redis.xadd(self.settings.streams[record.kind.id], {"data": record.data})

    async def _publish(self, records: List[Record]) -> List[str]:
        if not records:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for record in records:
                pipe.xadd(self.settings.streams[record.kind.id], {"data": record.data})
            return list(await pipe.execute())

    def batch(self) -> AsyncBatch:
        """``async with store.batch() as batch: batch.store_agent_event(...)``: validated as added, sent in
        one pipelined round trip when the block ends (not when it raises)."""
        return AsyncBatch(self)

    async def export_for_training(self, data_type: str, output_path: str, start_date=None, end_date=None,
                                  filters=None, format: str = "jsonl", limit: Optional[int] = None
                                  ) -> export.ExportResult:
        """Rows of one kind (events, tasks, tool_executions, workflows, messages, feedback) into a file,
        JSON lines by default. ``start_date`` inclusive, ``end_date`` as a date includes that day;
        ``filters`` on the kind's text columns (a list means any of)."""
        return await self._export_rows(data_type, output_path, format, start_date, end_date, filters, limit)

    async def export_to_csv(self, data_type: str, output_path: str, start_date=None, end_date=None,
                            filters=None, limit: Optional[int] = None) -> export.ExportResult:
        """As ``export_for_training``, as CSV (RFC 4180, header row)."""
        return await self._export_rows(data_type, output_path, "csv", start_date, end_date, filters, limit)

    async def export_dataset(self, dataset: str, output_path: str, *, format: Optional[str] = None,
                             metadata: bool = False, split: Optional[str] = None, validation_fraction=None,
                             test_fraction=None, split_seed=None, start_date=None, end_date=None, filters=None,
                             limit: Optional[int] = None, max_tokens: Optional[int] = None,
                             tokenizer: Optional[str] = None, dedup: Optional[str] = None) -> export.ExportResult:
        """A training dataset: ``conversations`` (OpenAI chat lines, or ``format="messages"`` for TRL) or
        ``trajectories`` (ATIF, one line per task), with the dataset's filters (``filters={"task_status":
        "completed", "min_score": "correctness:0.8"}``) and deterministic split. ``max_tokens`` leaves out
        longer lines (counted with ``tokenizer``: ``o200k_base``, the service's default, or ``cl100k_base``);
        ``dedup`` (``exact`` or ``near``, conversations) leaves out duplicates."""
        return await self._export_dataset(dataset, output_path, format=format, metadata=metadata, split=split,
                                          validation_fraction=validation_fraction, test_fraction=test_fraction,
                                          split_seed=split_seed, start_date=start_date, end_date=end_date,
                                          filters=filters, limit=limit, max_tokens=max_tokens, tokenizer=tokenizer,
                                          dedup=dedup)

    async def create_version(self, name: str, dataset: str, parameters=None) -> dict:
        """Freezes a dataset's answer (contract 6.4): ``parameters`` are the dataset's query parameters
        (text, numbers, booleans or dates, or a list of them; not ``after``). Returns the manifest,
        ``status`` ``building``; the store checks the parameters at once (``ExportRequestError``)."""
        return await self._version_call(versions.create_version, name, dataset, parameters)

    async def get_version(self, version_id) -> dict:
        return await self._version_call(versions.get_version, version_id)

    async def wait_for_version(self, version_id, timeout: float = 600.0) -> dict:
        """The manifest once ``ready``; ``VersionFailedError`` when failed, ``TimeoutError`` after ``timeout`` s."""
        return await self._version_call(versions.wait_for_version, version_id, timeout)

    async def download_version(self, version_id, path: str) -> versions.VersionDownload:
        """The version's bytes into ``path``, SHA-256 checked; resumes from ``<path>.part`` with ``Range``."""
        return await self._version_call(versions.download_version, version_id, path)

    async def list_versions(self, name: Optional[str] = None, limit: Optional[int] = None, after=None) -> dict:
        """One page, newest first: ``{"versions": [...], "next_after": ...}``."""
        return await self._version_call(versions.list_versions, name, limit, after)

    async def delete_version(self, version_id, token: Optional[str] = None) -> None:
        """Needs the ``admin`` scope: ``token=`` an admin token, else the settings' token."""
        await self._version_call(versions.delete_version, version_id, token)

    async def search_conversations(self, q: Optional[str] = None, like: Optional[str] = None, k: Optional[int] = None,
                                   **filters: Any) -> list:
        """Semantic search (contract 10): conversations ranked by meaning, see ``search.search_conversations``."""
        return await self._version_call(search.search_conversations, q, like, k, **filters)

    async def _run(self, function, *args):
        # http.client and file writes block: a worker thread keeps the event loop free.
        return await asyncio.to_thread(function, *args)

    async def close(self) -> None:
        await self._redis.close()
        await self._redis.connection_pool.disconnect()

    async def __aenter__(self) -> "TrainingDataStore":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()


# The publishing methods as real coroutine functions (inspect.iscoroutinefunction is true), with the
# signatures and documentation of RecordMethods.
for _name in ("store_agent_event", "store_agent_task", "store_tool_execution", "store_workflow_data",
              "store_message", "store_feedback"):
    def _bind(name=_name):
        builder = getattr(RecordMethods, name)

        @functools.wraps(builder)
        async def method(self, *args, **kwargs):
            return await builder(self._methods(), *args, **kwargs)
        return method
    setattr(TrainingDataStore, _name, _bind())


class SyncTrainingDataStore(RecordMethods, _Exports):
    """The synchronous twin: the same methods, blocking, for code without an event loop."""

    def __init__(self, settings: Optional[Settings] = None, **options: Any):
        self.settings = settings or Settings(**options)
        self.max_entry_bytes = self.settings.max_entry_bytes
        self._redis = redis.Redis.from_url(self.settings.redis_url, decode_responses=True)

    def _submit(self, record: Record) -> str:
        return self._redis.xadd(self.settings.streams[record.kind.id], {"data": record.data})

    def _publish(self, records: List[Record]) -> List[str]:
        if not records:
            return []
        with self._redis.pipeline(transaction=False) as pipe:
            for record in records:
                pipe.xadd(self.settings.streams[record.kind.id], {"data": record.data})
            return list(pipe.execute())

    def batch(self) -> SyncBatch:
        """``with store.batch() as batch: batch.store_agent_event(...)``: one pipelined round trip."""
        return SyncBatch(self)

    def export_for_training(self, data_type: str, output_path: str, start_date=None, end_date=None,
                            filters=None, format: str = "jsonl", limit: Optional[int] = None) -> export.ExportResult:
        return self._export_rows(data_type, output_path, format, start_date, end_date, filters, limit)

    def export_to_csv(self, data_type: str, output_path: str, start_date=None, end_date=None, filters=None,
                      limit: Optional[int] = None) -> export.ExportResult:
        return self._export_rows(data_type, output_path, "csv", start_date, end_date, filters, limit)

    def export_dataset(self, dataset: str, output_path: str, *, format: Optional[str] = None,
                       metadata: bool = False, split: Optional[str] = None, validation_fraction=None,
                       test_fraction=None, split_seed=None, start_date=None, end_date=None, filters=None,
                       limit: Optional[int] = None) -> export.ExportResult:
        return self._export_dataset(dataset, output_path, format=format, metadata=metadata, split=split,
                                    validation_fraction=validation_fraction, test_fraction=test_fraction,
                                    split_seed=split_seed, start_date=start_date, end_date=end_date,
                                    filters=filters, limit=limit)

    def create_version(self, name: str, dataset: str, parameters=None) -> dict:
        return self._version_call(versions.create_version, name, dataset, parameters)

    def get_version(self, version_id) -> dict:
        return self._version_call(versions.get_version, version_id)

    def wait_for_version(self, version_id, timeout: float = 600.0) -> dict:
        return self._version_call(versions.wait_for_version, version_id, timeout)

    def download_version(self, version_id, path: str) -> versions.VersionDownload:
        return self._version_call(versions.download_version, version_id, path)

    def list_versions(self, name: Optional[str] = None, limit: Optional[int] = None, after=None) -> dict:
        return self._version_call(versions.list_versions, name, limit, after)

    def delete_version(self, version_id, token: Optional[str] = None) -> None:
        self._version_call(versions.delete_version, version_id, token)

    def search_conversations(self, q: Optional[str] = None, like: Optional[str] = None, k: Optional[int] = None,
                             **filters: Any) -> list:
        """Semantic search (contract 10): conversations ranked by meaning, see ``search.search_conversations``."""
        return self._version_call(search.search_conversations, q, like, k, **filters)

    def _run(self, function, *args):
        return function(*args)

    def close(self) -> None:
        self._redis.close()

    def __enter__(self) -> "SyncTrainingDataStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def get_training_data_store(**overrides: Any) -> TrainingDataStore:
    """The asyncio client configured from TRAINING_STORE_REDIS_URL, TRAINING_STORE_URL and
    TRAINING_STORE_TOKEN (keyword arguments override them)."""
    return TrainingDataStore(Settings.from_env(**overrides))


def get_sync_training_data_store(**overrides: Any) -> SyncTrainingDataStore:
    """The synchronous twin, configured as ``get_training_data_store``."""
    return SyncTrainingDataStore(Settings.from_env(**overrides))
