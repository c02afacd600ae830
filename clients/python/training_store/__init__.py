"""Python client of the training data store: publish agent records to its Redis Streams, export
rows and training datasets from its HTTP API.

    store = get_training_data_store()
    await store.store_agent_event(event_type="task_completed", agent_id="agent-123", payload={"result": "success"})
"""

from .client import (AsyncBatch, SyncBatch, SyncTrainingDataStore, TrainingDataStore,
                     get_sync_training_data_store, get_training_data_store)
from .config import Settings
from .export import ExportError, ExportRequestError, ExportResult
from .versions import VersionDownload, VersionFailedError

__all__ = [
    "TrainingDataStore", "SyncTrainingDataStore", "AsyncBatch", "SyncBatch", "Settings",
    "get_training_data_store", "get_sync_training_data_store",
    "ExportError", "ExportRequestError", "ExportResult", "VersionDownload", "VersionFailedError",
]
__version__ = "0.1.0"
