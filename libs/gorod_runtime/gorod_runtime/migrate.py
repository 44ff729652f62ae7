"""Migrate a service's database: `python -m gorod_runtime.migrate meters [--create]`.

Kubernetes runs this as the Deployment's init step; `make run` and tests run it too.
`--create` creates the database first (development only: production databases are made
by the operator of the PostgreSQL cluster).
"""
from __future__ import annotations

import argparse
import importlib
import pathlib
import sys

from gorod_runtime import db
from gorod_runtime.settings import SettingsError, load

SERVICES = ("identity", "accruals", "meters", "payments", "notify")


def migrations_dir(service: str) -> pathlib.Path:
    package = importlib.import_module(service)
    return pathlib.Path(package.__file__).resolve().parent.parent / "migrations"


def migrate(service: str, url: str, create: bool = False, migrations: pathlib.Path | None = None) -> None:
    """Bring `url` to the latest revision; ConnectionError when the server cannot be reached."""
    if create:
        db.ensure_database(url, url.split("?", 1)[0].rsplit("/", 1)[-1])
    db.check_connection(url)
    db.upgrade(migrations or migrations_dir(service), url)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--create", action="store_true", help="create the database if missing")
    args = parser.parse_args(argv)
    try:
        settings = load(args.service)
        migrate(args.service, settings.db_url, create=args.create)
    except (SettingsError, ConnectionError) as exc:
        print(f"gorod-{args.service} migrate: {exc}", file=sys.stderr)
        return 2
    print(f"gorod-{args.service}: database {db.redact(settings.db_url)} is at the latest revision")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
