"""Schema migrations through Alembic; the only way the schema is created outside tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from internal.config import ROOT


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, *, connection: Connection | None = None, revision: str = "head") -> None:
    """Bring the database at ``url`` (or on ``connection``) to ``revision``."""
    cfg = alembic_config(url)
    if connection is not None:
        cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
