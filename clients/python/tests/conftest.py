"""The test session's store: the packaged service (target/quarkus-app/quarkus-run.jar, built by
Maven beforehand; this session builds nothing) started on a free port with its own stream keys,
consumer group and token, against the machine's PostgreSQL and Redis; stopped at the end, always.

Everything a test creates carries the session's prefix (ids, agent ids, stream keys), and only
those rows and keys are deleted afterwards: the database and Redis may be shared.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import pytest
import redis

CLIENT_DIR = Path(__file__).resolve().parents[1]
REPO = CLIENT_DIR.parents[1]
# TRAINING_STORE_JAR runs the suite against another build of the store.
JAR = Path(os.environ.get("TRAINING_STORE_JAR") or REPO / "target" / "quarkus-app" / "quarkus-run.jar")
sys.path.insert(0, str(CLIENT_DIR))

from training_store import Settings  # noqa: E402
from training_store.kinds import KINDS  # noqa: E402

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379")
PSQL = ["psql", "-h", os.environ.get("PGHOST", "localhost"), "-U", os.environ.get("PGUSER", "postgres"),
        "-d", os.environ.get("PGDATABASE", "postgres"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"]
READY_TIMEOUT_S = 180
STORE_TIMEOUT_S = 60

TABLES = {kind: f"training_data.training_{kind}" for kind in KINDS}


@dataclass
class Service:
    run: str  # prefix of everything this session creates
    url: str
    token: str
    streams: Dict[str, str]
    dead_letter: str
    process: subprocess.Popen
    log_path: Path
    admin_token: str  # export+ingest+admin: deletes versions

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def settings(self, **overrides) -> Settings:
        values = dict(redis_url=REDIS_URL, url=self.url, token=self.token, streams=self.streams)
        values.update(overrides)
        return Settings(**values)

    def env(self) -> Dict[str, str]:
        """The environment get_training_data_store() reads, pointing at this service."""
        env = dict(os.environ, TRAINING_STORE_REDIS_URL=REDIS_URL, TRAINING_STORE_URL=self.url,
                   TRAINING_STORE_TOKEN=self.token, PYTHONPATH=str(CLIENT_DIR))
        for kind, key in self.streams.items():
            env[f"TRAINING_STORE_STREAMS_{kind.upper()}"] = key
        return env

    def get(self, path: str, params=(), gzip: bool = False) -> bytes:
        """One HTTP GET, read whole: the reference the client's files are compared with."""
        query = urllib.parse.urlencode(list(params))
        request = urllib.request.Request(f"{self.url}{path}?{query}", headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def sql(script: str, **variables: str) -> List[dict]:
    """Runs SQL through psql, values bound as psql variables (:'name'); returns rows of a query
    written as ``SELECT row_to_json(t) FROM (...) t``."""
    command = list(PSQL)
    for name, value in variables.items():
        command += ["-v", f"{name}={value}"]
    result = subprocess.run(command, input=script, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"psql failed: {result.stderr.strip()}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def rows(kind: str, where: str, columns: str = "*", **variables: str) -> List[dict]:
    return sql(f"SELECT row_to_json(t) FROM (SELECT {columns} FROM {TABLES[kind]} WHERE {where}) t;", **variables)


def wait_for_rows(kind: str, where: str, count: int = 1, **variables: str) -> List[dict]:
    """Polls until the store has committed ``count`` rows matching ``where``."""
    deadline = time.monotonic() + STORE_TIMEOUT_S
    while True:
        found = rows(kind, where, **variables)
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, f"{kind}: {len(found)} rows for {where} {variables} after {STORE_TIMEOUT_S}s"
            return found
        time.sleep(0.1)


def wait_until(condition, what: str):
    deadline = time.monotonic() + STORE_TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(service: Service) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"the store exited with {service.process.returncode}:\n{service.log_tail()}")
        try:
            with urllib.request.urlopen(f"{service.url}/q/health/ready", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the store was not ready within {READY_TIMEOUT_S}s:\n{service.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _delete_created(service: Service) -> None:
    """Deletes the rows and keys of this session only (prefix, or this session's stream keys)."""
    prefix = service.run + "%"
    sql(f"""
        DELETE FROM {TABLES['events']} WHERE event_id LIKE :'p' OR agent_id LIKE :'p';
        DELETE FROM {TABLES['tasks']} WHERE task_id LIKE :'p';
        DELETE FROM {TABLES['tool_executions']} WHERE execution_id LIKE :'p';
        DELETE FROM {TABLES['workflows']} WHERE workflow_id LIKE :'p';
        DELETE FROM {TABLES['messages']} WHERE message_id LIKE :'p' OR conversation_id LIKE :'p';
        DELETE FROM {TABLES['feedback']} WHERE feedback_id LIKE :'p' OR target_id LIKE :'p';
        DELETE FROM training_data.dataset_versions WHERE name LIKE :'p';
    """, p=prefix)


@pytest.fixture(scope="session")
def service():
    if not JAR.is_file():
        raise RuntimeError(f"{JAR} is missing: build it first with ./mvnw -B -q package -DskipTests")
    if shutil.which("psql") is None:
        raise RuntimeError("psql is missing: the tests read rows back with it (apt-get install postgresql-client)")
    run = "pyc" + secrets.token_hex(4)
    streams = {kind: f"{run}:{kind}" for kind in KINDS}
    port = _free_port()
    token = secrets.token_hex(16)
    admin_token = secrets.token_hex(16)
    env = dict(os.environ,
               QUARKUS_HTTP_PORT=str(port),
               TRAINING_STORE_GROUP=run,
               TRAINING_STORE_CONSUMER_NAME=run,
               TRAINING_STORE_TOKENS=f"{token}:export+ingest,{admin_token}:export+ingest+admin",
               TRAINING_STORE_STREAMS_DEAD_LETTER=f"{run}:dead-letter",
               TRAINING_STORE_BATCH_BLOCK="500ms",
               # Tests read back the entries they published (XRANGE); the keys are deleted at the end.
               TRAINING_STORE_TRIM_ENABLED="false",
               # The database may be shared with newer builds of the store that added migrations
               # this jar does not know: their indexes and tables are no concern of these tests.
               QUARKUS_FLYWAY_IGNORE_MIGRATION_PATTERNS="*:future")
    for kind, key in streams.items():
        env[f"TRAINING_STORE_STREAMS_{kind.upper()}"] = key
    log_dir = Path(tempfile.mkdtemp(prefix=f"{run}-"))
    log_path = log_dir / "store.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(["java", "-Xmx384m", "-jar", str(JAR)], cwd=log_dir, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    svc = Service(run, f"http://127.0.0.1:{port}", token, streams, f"{run}:dead-letter", process, log_path,
                  admin_token)
    try:
        _wait_ready(svc)
        yield svc
    finally:
        _stop(process)
        try:
            _delete_created(svc)
        finally:
            client = redis.Redis.from_url(REDIS_URL)
            client.delete(*streams.values(), svc.dead_letter)
            client.close()
            shutil.rmtree(log_dir, ignore_errors=True)


@pytest.fixture
def ids(service, request):
    """A prefix unique to one test, under the session's prefix."""
    return f"{service.run}-{request.node.name[:40]}-{secrets.token_hex(2)}"


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    client.close()


def dead_letters(service: Service, redis_client) -> list:
    return redis_client.xrange(service.dead_letter)
