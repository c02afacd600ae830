"""Where the store is: Redis for publishing, the HTTP API for exports, the stream keys."""

import os
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

from .kinds import KINDS
from .validation import DEFAULT_MAX_ENTRY_BYTES

DEFAULT_REDIS_URL = "redis://localhost:6379"
DEFAULT_URL = "http://localhost:8080"


@dataclass(frozen=True)
class Settings:
    redis_url: str = DEFAULT_REDIS_URL
    url: str = DEFAULT_URL
    token: Optional[str] = None
    # Stream key per kind; the contract's defaults unless overridden.
    streams: Mapping[str, str] = field(default_factory=dict)
    max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES
    # Seconds an export waits for the next bytes before it counts the connection as dropped.
    export_timeout: float = 60.0
    # Attempts in a row that bring no new record before an export gives up.
    export_attempts: int = 6

    def __post_init__(self):
        unknown = set(self.streams) - set(KINDS)
        if unknown:
            raise ValueError(f"Unknown kind(s) in streams: {', '.join(sorted(unknown))}; the kinds are "
                             f"{', '.join(KINDS)}.")
        object.__setattr__(self, "streams", {kind.id: self.streams.get(kind.id, kind.default_stream)
                                             for kind in KINDS.values()})

    @staticmethod
    def from_env(environ: Optional[Mapping[str, str]] = None, **overrides) -> "Settings":
        """TRAINING_STORE_REDIS_URL, TRAINING_STORE_URL, TRAINING_STORE_TOKEN; the stream keys and the entry
        size limit under the service's own names (TRAINING_STORE_STREAMS_EVENTS, ...,
        TRAINING_STORE_DELIVERY_MAX_ENTRY_BYTES), so one deployment setting points both."""
        env = os.environ if environ is None else environ
        streams: Dict[str, str] = {}
        for kind in KINDS:
            key = env.get(f"TRAINING_STORE_STREAMS_{kind.upper()}")
            if key:
                streams[kind] = key
        values = dict(
            redis_url=env.get("TRAINING_STORE_REDIS_URL") or DEFAULT_REDIS_URL,
            url=env.get("TRAINING_STORE_URL") or DEFAULT_URL,
            token=env.get("TRAINING_STORE_TOKEN") or None,
            streams=streams,
            max_entry_bytes=int(env.get("TRAINING_STORE_DELIVERY_MAX_ENTRY_BYTES") or DEFAULT_MAX_ENTRY_BYTES),
        )
        values.update({name: value for name, value in overrides.items() if value is not None})
        return Settings(**values)
