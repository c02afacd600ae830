"""Semantic search through the client (contract 10): the session's store runs with search off (the
default), so this module starts a second store process on the same streams with search on; only this
module pays for it (model load, index)."""

import asyncio
import os
import secrets
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from training_store import ExportRequestError, SyncTrainingDataStore, TrainingDataStore
from conftest import JAR, Service, _free_port, _stop, _wait_ready, wait_for_rows

SEARCH_TIMEOUT_S = 120

CONVERSATIONS = {
    "bread-1": ("My sourdough loaf comes out flat and dense.", "Feed the starter until it doubles before baking."),
    "bread-2": ("The bread dough did not rise after two hours.", "Proof the yeast in lukewarm water first."),
    "pods-1": ("The pod is stuck in CrashLoopBackOff after deploying.", "Check kubectl logs --previous for the crash."),
    "pods-2": ("My Kubernetes container is OOMKilled every few minutes.", "Raise the memory limit in the pod spec."),
}


@pytest.fixture(scope="module")
def search_service(service):
    """A second store process with search on, sharing the session's streams, group and token."""
    port = _free_port()
    env = dict(os.environ, QUARKUS_HTTP_PORT=str(port), TRAINING_STORE_GROUP=service.run,
               TRAINING_STORE_CONSUMER_NAME=service.run + "-search", TRAINING_STORE_TOKENS=f"{service.token}:export+ingest",
               TRAINING_STORE_STREAMS_DEAD_LETTER=service.dead_letter, TRAINING_STORE_TRIM_ENABLED="false",
               TRAINING_STORE_SEARCH_ENABLED="true", TRAINING_STORE_SEARCH_POLL_INTERVAL="200ms",
               QUARKUS_FLYWAY_IGNORE_MIGRATION_PATTERNS="*:future")
    for kind, key in service.streams.items():
        env[f"TRAINING_STORE_STREAMS_{kind.upper()}"] = key
    log_dir = Path(tempfile.mkdtemp(prefix=f"{service.run}-search-"))
    log_path = log_dir / "store.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(["java", "-Xmx384m", "-jar", str(JAR)], cwd=log_dir, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    searching = Service(service.run, f"http://127.0.0.1:{port}", service.token, service.streams, service.dead_letter,
                        process, log_path, service.admin_token)
    try:
        _wait_ready(searching)
        yield searching
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def agent(service, search_service):
    agent = f"{service.run}-search-{secrets.token_hex(2)}"
    with SyncTrainingDataStore(service.settings()) as store, store.batch() as batch:
        for name, (user, assistant) in CONVERSATIONS.items():
            conversation = f"{agent}-{name}"
            batch.store_message(conversation_id=conversation, role="user", content=user, seq=1, agent_id=agent,
                                task_id=f"{agent}-{name[:4]}", message_id=f"{conversation}-u")
            batch.store_message(conversation_id=conversation, role="assistant", content=assistant, seq=2,
                                agent_id=agent, task_id=f"{agent}-{name[:4]}", message_id=f"{conversation}-a")
    wait_for_rows("messages", "agent_id = :'a'", 2 * len(CONVERSATIONS), columns="message_id", a=agent)
    with SyncTrainingDataStore(search_service.settings()) as store:
        deadline = time.monotonic() + SEARCH_TIMEOUT_S
        while len(store.search_conversations(q="anything", agent_id=agent, k=10)) < len(CONVERSATIONS):
            assert time.monotonic() < deadline, f"not all conversations searchable in {SEARCH_TIMEOUT_S}s"
            time.sleep(0.3)
    return agent


def test_search_by_text_ranks_conversations_by_meaning(search_service, agent):
    with SyncTrainingDataStore(search_service.settings()) as store:
        results = store.search_conversations(q="why won't my homemade loaf rise", agent_id=agent, k=4)
    assert {r["conversation_id"] for r in results[:2]} == {f"{agent}-bread-1", f"{agent}-bread-2"}
    assert all(set(r) >= {"conversation_id", "score", "message_id", "content"} for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_like_filters_and_k_async(search_service, agent):
    async def run():
        async with TrainingDataStore(search_service.settings()) as store:
            like = await store.search_conversations(like=f"{agent}-pods-1", agent_id=agent, k=3)
            one = await store.search_conversations(q="container crashes", agent_id=[agent], k=1)
            by_task = await store.search_conversations(q="container crashes", task_id=f"{agent}-brea", k=10)
            none = await store.search_conversations(q="container crashes", agent_id=agent, end_date="2000-01-01")
            return like, one, by_task, none

    like, one, by_task, none = asyncio.run(run())
    assert like[0]["conversation_id"] == f"{agent}-pods-2"
    assert f"{agent}-pods-1" not in {r["conversation_id"] for r in like}
    assert len(one) == 1 and one[0]["conversation_id"].startswith(f"{agent}-pods-")
    assert {r["conversation_id"] for r in by_task} == {f"{agent}-bread-1", f"{agent}-bread-2"}
    assert none == []


def test_bad_arguments_are_refused(search_service, agent):
    with SyncTrainingDataStore(search_service.settings()) as store:
        for kwargs in ({}, {"q": "x", "like": "y"}, {"q": "x", "k": 0}, {"q": "x", "k": 1001}, {"q": "x", "k": True}):
            with pytest.raises(ValueError):
                store.search_conversations(**kwargs)
        with pytest.raises(ExportRequestError, match="empty"):
            store.search_conversations(q="  ")
        with pytest.raises(ExportRequestError, match="no indexed message"):
            store.search_conversations(like=f"{agent}-no-such-conversation")


def test_a_store_without_search_says_how_to_enable_it(service):
    with SyncTrainingDataStore(service.settings()) as store:
        with pytest.raises(ExportRequestError, match="training-store.search.enabled=true"):
            store.search_conversations(q="bread")
