"""Training fixtures: a database of its own, real coach + scoring services, and small real datasets (CMU mocap)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import grpc
import pytest

from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from kataforge.scoring.v1 import scoring_pb2_grpc
from services.kit.config import replace
from services.kit.db import migrate
from services.kit.paths import CMU_KARATE as CMU
from testkit import training_jobs
from testkit.loopback import free_port
from testkit.principals import COACH_USER
from testkit.training_jobs import as_, cmu_documents


@pytest.fixture(scope="session", autouse=True)
def _callers(edge_credentials):
    """The credentials training_jobs.as_() mints with."""
    training_jobs.CALLERS["credentials"] = edge_credentials


@pytest.fixture(scope="session")
async def training_db(pg_url) -> str:
    """A database of this package's own on the session's server: no other suite's runner sees its jobs."""
    return await new_database(pg_url, "training")


async def new_database(pg_url: str, prefix: str) -> str:
    """The URL of a new, empty database on the server of pg_url."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def datasets(tmp_path_factory) -> Path:
    """A datasets root: small/ (7 real repetitions of 2 techniques), empty/, junk/, one/ (1 technique),
    bad_mocap/ and zero_units/ (malformed ASF skeletons), and escape -> a folder outside the root."""
    root = tmp_path_factory.mktemp("datasets")
    small = root / "small"
    small.mkdir()
    docs = cmu_documents()
    for i, doc in enumerate(docs):
        (small / f"{doc['technique']}_{i}.json").write_text(json.dumps(doc))
    (root / "empty").mkdir()
    (root / "junk").mkdir()
    (root / "junk" / "kick.json").write_text('{"frames": "not a list"}')
    (root / "one").mkdir()
    for i, doc in enumerate(d for d in docs if d["technique"] == "front_kick"):
        (root / "one" / f"kick_{i}.json").write_text(json.dumps(doc))
    # Malformed motion capture (each once crashed the check worker): a bone "name" without a value, a zero
    # length unit. The motion file is the real one.
    skeleton = (CMU / "135.asf").read_text()
    for name, text in (("bad_mocap", skeleton.replace("name lhipjoint", "name", 1)),
                       ("zero_units", skeleton.replace("length 0.45", "length 0", 1))):
        (root / name).mkdir()
        (root / name / "135.asf").write_text(text)
        os.symlink(CMU / "135_04.amc", root / name / "135_04.amc")
    outside = tmp_path_factory.mktemp("outside")
    (outside / "kick.json").write_text(json.dumps(docs[0]))
    os.symlink(outside, root / "escape")
    return root


@pytest.fixture(scope="session")
def training_settings(base_settings, training_db, datasets, tmp_path_factory):
    return replace(base_settings, database_url=training_db, datasets_root=str(datasets),
                   checkpoints_root=str(tmp_path_factory.mktemp("checkpoints")),
                   model_dir=str(tmp_path_factory.mktemp("models")), training_max_epochs=500,
                   coach_addr=f"127.0.0.1:{free_port()}", scoring_addr=f"127.0.0.1:{free_port()}",
                   pose_addr=f"127.0.0.1:{free_port()}")


@pytest.fixture(scope="session")
async def coach_service(training_settings, start_service):
    from services.coach.main import build
    running = await start_service(build(training_settings), training_settings)
    yield running
    await running.stop()


class ScoringProcess:
    """The scoring service in this process, restartable on the same ports and database."""

    def __init__(self, settings, start_service) -> None:
        self.settings, self._start, self.running = settings, start_service, None

    async def start(self) -> None:
        from services.scoring.main import build
        self.running = await self._start(build(self.settings), self.settings)

    async def stop(self) -> None:
        if self.running is not None:
            await self.running.stop()
            self.running = None


@pytest.fixture(scope="session")
async def scoring(training_settings, start_service, coach_service):
    process = ScoringProcess(training_settings, start_service)
    await process.start()
    yield process
    await process.stop()


@pytest.fixture(scope="session")
async def channels(training_settings, coach_service, scoring):
    scoring_channel = grpc.aio.insecure_channel(training_settings.scoring_addr)
    coach_channel = grpc.aio.insecure_channel(training_settings.coach_addr)
    yield scoring_pb2_grpc.ScoringServiceStub(scoring_channel), coach_pb2_grpc.CoachServiceStub(coach_channel)
    await scoring_channel.close()
    await coach_channel.close()


@pytest.fixture
def stub(channels) -> scoring_pb2_grpc.ScoringServiceStub:
    return channels[0]


@pytest.fixture
async def coach_id(channels) -> str:
    """A fresh coach owned by COACH_USER."""
    cid = f"c_{uuid.uuid4().hex[:10]}"
    await channels[1].CreateCoach(coach_pb2.CreateCoachRequest(coach=coach_pb2.Coach(
        id=cid, name="Sensei Test", style="karate", techniques=["front_kick", "roundhouse"])),
        metadata=await as_(COACH_USER, "coach"))
    return cid


@pytest.fixture(scope="session")
async def db(training_db):
    conn = await asyncpg.connect(training_db, server_settings={"search_path": "scoring"})
    yield conn
    await conn.close()


@pytest.fixture(scope="module")
async def store_db(pg_url) -> str:
    """A fresh database with the scoring schema, and no scoring service (so no runner) on it."""
    url = await new_database(pg_url, "training_store")
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn, "scoring", "services.scoring.migrations")
    finally:
        await conn.close()
    return url


@pytest.fixture(scope="module")
async def pool(store_db):
    pool = await asyncpg.create_pool(store_db, min_size=2, max_size=10, server_settings={"search_path": "scoring"})
    yield pool
    await pool.close()


