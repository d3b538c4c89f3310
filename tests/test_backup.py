"""make backup / make restore: a populated ledger backed up, restored into a new database
and media folder, every table's row count and every file equal, verify_ledger passing; a
backup whose manifest does not match is refused and restores nothing."""

from __future__ import annotations

import os
import subprocess
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from tests.patrols.factories import build_grid, image_file, submit, transition, tree_data
from tests.pledges.factories import World

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent


def _url(name: str) -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgis://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{name}"


def _run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args],
        env={**os.environ, "DATABASE_URL": _url(connection.settings_dict["NAME"]), **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _counts(conninfo: str | None = None) -> dict[str, int]:
    tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed})
    if conninfo is None:
        with connection.cursor() as cursor:
            return {t: _count(cursor, t) for t in tables}
    with psycopg.connect(conninfo) as conn, conn.cursor() as cursor:
        return {t: _count(cursor, t) for t in tables}


def _count(cursor, table: str) -> int:
    cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - model table names
    return cursor.fetchone()[0]


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _drop(name: str) -> None:
    with psycopg.connect(_url("postgres").replace("postgis:", "postgresql:"), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_backup_restores_into_a_new_database_with_every_record_and_an_intact_ledger(tmp_path):
    g = build_grid()
    report, _ = submit(
        reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(), photos=[image_file()]
    )
    transition(report=report, action="confirm", by=g.staff)
    World()
    before = _counts()
    assert before["ledger_entry"] > 5 and before["patrols_reportphoto"] == 1

    made = _run("backup.sh", BACKUP_DIR=str(tmp_path), HOUHU_MEDIA_ROOT=str(settings.MEDIA_ROOT))
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip().splitlines()[-1])
    assert backup.is_file()

    target = f"houhu_restore_{uuid.uuid4().hex[:8]}"
    media = tmp_path / "restored-media"
    try:
        done = _run(
            "restore.sh", str(backup),
            RESTORE_DATABASE_URL=_url(target), RESTORE_MEDIA_ROOT=str(media),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "ledger intact" in done.stdout
        assert _counts(_url(target).replace("postgis:", "postgresql:")) == before
        assert _files(media) == _files(Path(settings.MEDIA_ROOT))
        assert any(f.startswith("patrols/") for f in _files(media))
        # Restoring again onto the now populated database is refused.
        again = _run("restore.sh", str(backup), RESTORE_DATABASE_URL=_url(target),
                     RESTORE_MEDIA_ROOT=str(tmp_path / "other"))  # fmt: skip
        assert again.returncode == 3 and "not empty" in again.stderr
    finally:
        _drop(target)


def test_a_backup_whose_manifest_does_not_match_is_refused(tmp_path):
    build_grid()
    made = _run("backup.sh", BACKUP_DIR=str(tmp_path), HOUHU_MEDIA_ROOT=str(settings.MEDIA_ROOT))
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip().splitlines()[-1])
    unpacked = tmp_path / "unpacked"
    with tarfile.open(backup) as tar:
        tar.extractall(unpacked, filter="data")
    manifest = unpacked / "MANIFEST.sha256"
    first, *rest = manifest.read_text().splitlines()
    _digest, name = first.split(maxsplit=1)
    manifest.write_text("\n".join([f"{'0' * 64}  {name.strip()}", *rest]) + "\n")
    forged = tmp_path / "forged.tar"
    with tarfile.open(forged, "w") as tar:
        for path in sorted(unpacked.iterdir()):
            tar.add(path, arcname=path.name)

    target = f"houhu_restore_{uuid.uuid4().hex[:8]}"
    try:
        refused = _run("restore.sh", str(forged), RESTORE_DATABASE_URL=_url(target),
                       RESTORE_MEDIA_ROOT=str(tmp_path / "media"))  # fmt: skip
        assert refused.returncode == 2
        assert "does not match its manifest" in refused.stderr
        assert not (tmp_path / "media").exists()
        with psycopg.connect(
            _url("postgres").replace("postgis:", "postgresql:"), autocommit=True
        ) as c:
            assert (
                c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target]).fetchone()
                is None
            )
    finally:
        _drop(target)
