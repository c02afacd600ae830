"""get_training_data_store() and its twin are configured by the environment, overridable by arguments."""

import asyncio

import pytest

from training_store import Settings, get_sync_training_data_store, get_training_data_store


def test_reads_the_three_variables_and_the_services_stream_keys(monkeypatch):
    monkeypatch.setenv("TRAINING_STORE_REDIS_URL", "redis://redis.example:6380/2")
    monkeypatch.setenv("TRAINING_STORE_URL", "https://store.example:8443")
    monkeypatch.setenv("TRAINING_STORE_TOKEN", "t0k3n")
    monkeypatch.setenv("TRAINING_STORE_STREAMS_EVENTS", "agents:events")
    monkeypatch.setenv("TRAINING_STORE_DELIVERY_MAX_ENTRY_BYTES", "2048")
    store = get_training_data_store()
    assert (store.settings.redis_url, store.settings.url, store.settings.token) == \
           ("redis://redis.example:6380/2", "https://store.example:8443", "t0k3n")
    assert store.settings.streams["events"] == "agents:events"
    assert store.settings.streams["tasks"] == "training:tasks"  # the contract's default
    assert store.settings.max_entry_bytes == 2048
    asyncio.run(store.close())
    sync = get_sync_training_data_store(token="other", streams={"feedback": "fb"})
    assert sync.settings.token == "other" and sync.settings.streams["feedback"] == "fb"
    sync.close()


def test_defaults_without_environment(monkeypatch):
    for name in ("TRAINING_STORE_REDIS_URL", "TRAINING_STORE_URL", "TRAINING_STORE_TOKEN",
                 "TRAINING_STORE_DELIVERY_MAX_ENTRY_BYTES", *(f"TRAINING_STORE_STREAMS_{kind.upper()}" for kind in
                                                               ("events", "tasks", "tool_executions", "workflows",
                                                                "messages", "feedback"))):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert (settings.redis_url, settings.url, settings.token) == ("redis://localhost:6379", "http://localhost:8080",
                                                                  None)
    assert settings.streams == {"events": "training:events", "tasks": "training:tasks",
                                "tool_executions": "training:tool_executions", "workflows": "training:workflows",
                                "messages": "training:messages", "feedback": "training:feedback"}


def test_unknown_kind_in_streams_is_refused():
    with pytest.raises(ValueError, match="runs"):
        Settings(streams={"runs": "x"})
