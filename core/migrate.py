"""Schema changes as Alembic migrations (``migrations/``): ``signpost db upgrade`` brings any database, empty or
made by an earlier release, to the schema the code expects. ``make run`` and ``make test`` run it; nothing
creates or alters a table while serving.
"""
from __future__ import annotations

from typing import Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.database import database_url, make_engine
from core.settings import PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config(url: Optional[str] = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is ConfigParser: a % in a password would be read as interpolation.
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return config


def upgrade(url: Optional[str] = None, revision: str = "head") -> None:
    """Apply every migration the database has not had yet, in one transaction where the database allows."""
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def head() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current(url: Optional[str] = None) -> Optional[str]:
    """The revision the database is at (None: never migrated)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
