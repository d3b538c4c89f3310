"""Creates the benchmark database (with PostGIS) if missing and migrates it.

Run by scripts/bench.sh with DATABASE_URL pointing at the benchmark database.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    admin = psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone()
    if not exists:
        admin.execute(f'CREATE DATABASE "{cfg["NAME"]}"')  # name from our own settings
    admin.close()
    import django

    django.setup()
    from django.core.management import call_command

    with django.db.connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    call_command("migrate", verbosity=0)


if __name__ == "__main__":
    main()
