"""Dataset versions through the client: created, waited for, downloaded byte for byte equal to the
dataset's GET at creation (SHA-256 checked), resumed with Range from a partial file and after cuts,
listed, deleted with the admin token only."""

import asyncio
import hashlib
import secrets

import pytest

from training_store import (ExportError, ExportRequestError, SyncTrainingDataStore, TrainingDataStore,
                            VersionFailedError)
from conftest import sql, wait_for_rows
from proxy import CuttingProxy

CONVERSATIONS = 120


@pytest.fixture(scope="module")
def agent(service):
    """One agent's conversations, big enough for a download of several hundred kilobytes."""
    agent = f"{service.run}-versions-{secrets.token_hex(2)}"
    with SyncTrainingDataStore(service.settings()) as store, store.batch() as batch:
        for c in range(CONVERSATIONS):
            conversation = f"{agent}-c{c:04}"
            batch.store_message(conversation_id=conversation, role="user", content=f"Q{c} {secrets.token_hex(1000)}",
                                seq=1, agent_id=agent, message_id=f"{conversation}-1")
            batch.store_message(conversation_id=conversation, role="assistant", content=f"A{c}", seq=2,
                                agent_id=agent, message_id=f"{conversation}-2")
    wait_for_rows("messages", "agent_id = :'a'", 2 * CONVERSATIONS, columns="message_id", a=agent)
    return agent


@pytest.fixture(scope="module")
def version(service, agent):
    """A ready version of the agent's conversations and the dataset's GET answer it must equal."""
    with SyncTrainingDataStore(service.settings()) as store:
        created = store.create_version(f"{agent} sft", "conversations", {"agent_id": [agent], "split": "train"})
        expected = service.get("/api/v1/datasets/conversations", [("agent_id", agent), ("split", "train")])
        ready = store.wait_for_version(created["id"], timeout=60)
    return ready, expected


def test_create_answers_building_then_ready_with_the_hash_of_the_datasets_bytes(service, agent, version):
    manifest, expected = version
    assert expected.count(b"\n") > 50
    assert manifest["name"] == f"{agent} sft" and manifest["dataset"] == "conversations"
    assert manifest["parameters"] == {"agent_id": [agent], "split": "train"}
    assert manifest["lines"] == expected.count(b"\n") and manifest["bytes"] == len(expected)
    assert manifest["sha256"] == hashlib.sha256(expected).hexdigest()


def test_download_equals_the_datasets_get(service, version, tmp_path):
    manifest, expected = version
    path = tmp_path / "deep" / "v.jsonl"
    with SyncTrainingDataStore(service.settings()) as store:
        result = store.download_version(manifest["id"], str(path))
    assert path.read_bytes() == expected
    assert (result.bytes, result.sha256, result.resumed_from, result.resumes) == (
        len(expected), manifest["sha256"], 0, 0)
    assert not (tmp_path / "deep" / "v.jsonl.part").exists()


def test_download_resumes_from_a_partial_file_with_a_range(service, version, tmp_path):
    manifest, expected = version
    path = tmp_path / "v.jsonl"
    have = len(expected) // 3
    (tmp_path / "v.jsonl.part").write_bytes(expected[:have])
    with CuttingProxy(service.port, cuts=[None]) as proxy:
        result = asyncio.run(_download_async(service.settings(url=proxy.url), manifest["id"], str(path)))
    assert path.read_bytes() == expected and result.resumed_from == have
    downloads = [r for r in proxy.requests if b"/lines" in r]
    assert len(downloads) == 1 and f"range: bytes={have}-".encode() in downloads[0].lower()
    assert b" 206 " in proxy.response_heads[-1]


def test_cut_download_resumes_with_ranges_and_ends_equal(service, version, tmp_path):
    manifest, expected = version
    path = tmp_path / "v.jsonl"
    # Connection 0 is the manifest; the two downloads after it are cut, the third passes.
    with CuttingProxy(service.port, cuts=[None, 60_000, 90_000]) as proxy:
        with SyncTrainingDataStore(service.settings(url=proxy.url)) as store:
            result = store.download_version(manifest["id"], str(path))
    assert path.read_bytes() == expected
    assert result.resumes == 2 and proxy.cut_connections == 2
    downloads = [r.lower() for r in proxy.requests if b"/lines" in r]
    assert len(downloads) == 3 and b"range:" not in downloads[0]
    assert all(b"range: bytes=" in r for r in downloads[1:])


def test_a_partial_file_that_is_not_the_version_fails_the_hash_and_is_removed(service, version, tmp_path):
    manifest, expected = version
    path = tmp_path / "v.jsonl"
    part = tmp_path / "v.jsonl.part"
    part.write_bytes(b"x" * 100)
    with SyncTrainingDataStore(service.settings()) as store:
        with pytest.raises(ExportError, match="SHA-256"):
            store.download_version(manifest["id"], str(path))
        assert not part.exists() and not path.exists()
        # Downloading again starts afresh and succeeds.
        store.download_version(manifest["id"], str(path))
    assert path.read_bytes() == expected


def test_a_complete_partial_file_is_checked_and_renamed_without_a_request(service, version, tmp_path):
    manifest, expected = version
    path = tmp_path / "v.jsonl"
    (tmp_path / "v.jsonl.part").write_bytes(expected)
    with CuttingProxy(service.port, cuts=[None]) as proxy:
        with SyncTrainingDataStore(service.settings(url=proxy.url)) as store:
            result = store.download_version(manifest["id"], str(path))
    assert path.read_bytes() == expected and result.resumed_from == len(expected)
    assert not [r for r in proxy.requests if b"/lines" in r]


def test_list_filters_by_name_newest_first_and_pages(service, agent):
    name = f"{agent} list {secrets.token_hex(2)}"
    with SyncTrainingDataStore(service.settings()) as store:
        ids = [store.create_version(name, "conversations", {"agent_id": agent})["id"] for _ in range(3)]
        first = store.list_versions(name=name, limit=2)
        second = store.list_versions(name=name, limit=2, after=first["next_after"])
        for version_id in ids:
            store.wait_for_version(version_id, timeout=60)
    assert [v["id"] for v in first["versions"]] == ids[::-1][:2]
    assert [v["id"] for v in second["versions"]] == ids[:1] and second["next_after"] is None


def test_delete_needs_the_admin_token(service, agent, tmp_path):
    with SyncTrainingDataStore(service.settings()) as store:
        version_id = store.create_version(f"{agent} delete", "conversations", {"agent_id": agent})["id"]
        store.wait_for_version(version_id, timeout=60)
        with pytest.raises(ExportRequestError) as refused:
            store.delete_version(version_id)
        assert refused.value.status == 403
        store.delete_version(version_id, token=service.admin_token)
        with pytest.raises(ExportRequestError) as gone:
            store.get_version(version_id)
        assert gone.value.status == 404
    assert sql("SELECT row_to_json(t) FROM (SELECT count(*) AS n FROM training_data.dataset_version_chunks "
               "WHERE version_id = :'v') t;", v=version_id) == [{"n": 0}]


def test_bad_requests_are_refused_with_the_stores_reason(service, agent):
    with SyncTrainingDataStore(service.settings()) as store:
        with pytest.raises(ExportRequestError, match="after") as after:
            store.create_version(f"{agent} bad", "conversations", {"after": "x"})
        assert after.value.status == 400
        with pytest.raises(ExportRequestError) as unknown:
            store.create_version(f"{agent} bad", "no-such-dataset", {})
        assert unknown.value.status in (400, 404)
        with pytest.raises(ExportRequestError) as split:
            store.create_version(f"{agent} bad", "conversations", {"split": "everything"})
        assert split.value.status == 400 and "split" in str(split.value)
        with pytest.raises(ValueError, match="parameter 'agent_id'"):
            store.create_version(f"{agent} bad", "conversations", {"agent_id": {"nested": 1}})
        with pytest.raises(ValueError, match="version id"):
            store.download_version("../lines", "x")
        with pytest.raises(ExportRequestError) as missing:
            store.wait_for_version("999999999999", timeout=1)
        assert missing.value.status == 404


def test_wait_for_a_failed_version_raises_with_the_reason(service, agent):
    """A version marked failed (as the sweep marks an interrupted build) is never served."""
    with SyncTrainingDataStore(service.settings()) as store:
        version_id = store.create_version(f"{agent} failed", "conversations", {"agent_id": agent})["id"]
        store.wait_for_version(version_id, timeout=60)
        sql("UPDATE training_data.dataset_versions SET status = 'failed', error = 'build interrupted: test' "
            "WHERE version_id = :'v';", v=version_id)
        with pytest.raises(VersionFailedError, match="build interrupted: test"):
            store.wait_for_version(version_id, timeout=5)
        with pytest.raises(VersionFailedError):
            store.download_version(version_id, "never-written.jsonl")


async def _download_async(settings, version_id, path):
    async with TrainingDataStore(settings) as store:
        return await store.download_version(version_id, path)
