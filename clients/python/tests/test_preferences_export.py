"""export_dataset("preferences") and dataset_summary: GET /api/v1/datasets/preferences and its
/summary (contract 6.3), pairs in bytewise order of their identity, resumed with after=<identity>."""

import asyncio
import json
import secrets

import pytest

from training_store import ExportRequestError, SyncTrainingDataStore, TrainingDataStore
from conftest import wait_for_rows
from proxy import CuttingProxy

GROUPS = 40


@pytest.fixture(scope="module")
def agent(service):
    """GROUPS pairs of sibling conversations (the same question, two answers), each conversation
    scored by a reward, and a correction on the first answer of every pair."""
    agent = f"{service.run}-pref-{secrets.token_hex(2)}"
    with SyncTrainingDataStore(service.settings()) as store, store.batch() as batch:
        for g in range(GROUPS):
            question = f"Question {g}: {secrets.token_hex(96)}"
            for side, reward in (("a", 0.2), ("b", 0.9)):
                conversation = f"{agent}-g{g:02}-{side}"
                batch.store_message(conversation_id=conversation, role="user", content=question, agent_id=agent,
                                    seq=1, message_id=f"{conversation}-m1")
                batch.store_message(conversation_id=conversation, role="assistant", agent_id=agent, seq=2,
                                    content=f"Answer {side} to {g}, ünïcödé ✓", message_id=f"{conversation}-m2")
                batch.store_feedback(target_kind="conversation", target_id=conversation, name="reward", value=reward,
                                     source="tests", feedback_id=f"{conversation}-reward")
            batch.store_feedback(target_kind="message", target_id=f"{agent}-g{g:02}-a-m2", name="correctness", value=0,
                                 source="human", feedback_id=f"{agent}-g{g:02}-fix",
                                 correction={"content": f"The right answer to {g}."})
    wait_for_rows("messages", "agent_id = :'a'", 4 * GROUPS, columns="message_id", a=agent)
    wait_for_rows("feedback", "feedback_id LIKE :'p'", 3 * GROUPS, columns="feedback_id", p=f"{agent}-%")
    return agent


def export(settings, path, **options):
    async def run():
        async with TrainingDataStore(settings) as store:
            return await store.export_dataset("preferences", str(path), **options)
    return asyncio.run(run())


def test_corrections_and_ranked_pairs_equal_the_http_dataset(service, agent, tmp_path):
    path = tmp_path / "preferences.jsonl"
    result = export(service.settings(), path, format="trl", score="reward", margin=0.5,
                    pairs=["corrections", "ranked"], filters={"agent_id": agent})
    expected = service.get("/api/v1/datasets/preferences", [("format", "trl"), ("score", "reward"), ("margin", "0.5"),
                                                             ("pairs", "corrections"), ("pairs", "ranked"),
                                                             ("agent_id", agent)])
    assert path.read_bytes() == expected and result.rows == 2 * GROUPS
    lines = [json.loads(line) for line in expected.splitlines()]
    assert all(set(line) == {"prompt", "chosen", "rejected"} for line in lines)
    assert {"role": "assistant", "content": "The right answer to 0."} in [line["chosen"][0] for line in lines]


def test_metadata_is_kept_when_asked_and_the_kto_format_is_passed_on(service, agent, tmp_path):
    path = tmp_path / "with-metadata.jsonl"
    export(service.settings(), path, metadata=True, filters={"agent_id": agent})
    expected = service.get("/api/v1/datasets/preferences", [("metadata", "true"), ("agent_id", agent)])
    assert path.read_bytes() == expected
    first = json.loads(expected.splitlines()[0])
    assert first["metadata"]["id"] == f"correction:{agent}-g00-fix"

    kto = tmp_path / "kto.jsonl"
    result = export(service.settings(), kto, format="kto", score="reward", threshold=0.5, filters={"agent_id": agent})
    expected = service.get("/api/v1/datasets/preferences", [("format", "kto"), ("score", "reward"),
                                                             ("threshold", "0.5"), ("agent_id", agent)])
    assert kto.read_bytes() == expected and result.rows == 2 * GROUPS
    assert sorted(json.loads(line)["label"] for line in expected.splitlines()) == [False] * GROUPS + [True] * GROUPS


def test_cut_preferences_resume_after_the_last_pair_and_end_equal(service, agent, tmp_path):
    params = [("score", "reward"), ("agent_id", agent)]
    expected = service.get("/api/v1/datasets/preferences", params)
    path = tmp_path / "preferences.jsonl"
    with CuttingProxy(service.port, cuts=[3_000, 6_000]) as proxy:
        result = export(service.settings(url=proxy.url), path, score="reward", filters={"agent_id": agent})
    assert path.read_bytes() == expected
    assert result.resumes == 2 and result.rows == 2 * GROUPS
    assert all(b"after=" in request for request in proxy.requests[1:])


def test_the_summary_counts_pairs_as_the_http_summary_does(service, agent):
    with SyncTrainingDataStore(service.settings()) as store:
        summary = store.dataset_summary("preferences", score="reward", margin=0.5, filters={"agent_id": agent})
    expected = json.loads(service.get("/api/v1/datasets/preferences/summary", [("score", "reward"), ("margin", "0.5"),
                                                                               ("agent_id", agent)]))
    assert summary == expected
    assert summary["emitted"] == 2 * GROUPS and summary["pairs"] == {"corrections": GROUPS, "ranked": GROUPS}

    async def tied():
        async with TrainingDataStore(service.settings()) as store:
            return await store.dataset_summary("preferences", pairs="ranked", score="reward", margin=0.9,
                                               filters={"agent_id": agent})
    skipped = asyncio.run(tied())["skipped"]  # every reason, with 0 where none
    assert {reason: count for reason, count in skipped.items() if count} == {"tie": GROUPS}


def test_bad_preference_arguments_are_refused(service, agent, tmp_path):
    with pytest.raises(ExportRequestError, match="score"):
        export(service.settings(), tmp_path / "ranked.jsonl", pairs="ranked", filters={"agent_id": agent})
    assert not (tmp_path / "ranked.jsonl").exists()
    with SyncTrainingDataStore(service.settings()) as store:
        with pytest.raises(ValueError, match="preferences"):
            store.export_dataset("conversations", str(tmp_path / "c.jsonl"), score="reward")
        with pytest.raises(ValueError, match="preferences"):
            store.dataset_summary("nonsense")
        with pytest.raises(ValueError, match="argument of its own"):
            store.dataset_summary("preferences", filters={"margin": "1"})
