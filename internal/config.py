"""Settings shared by both apps, the CLI and the worker, read from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE / 'portal.db'}"


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once per checkout and kept in instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load(override: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings: embedded defaults, then the environment, then ``override`` (tests)."""
    env = os.environ
    broker = env.get("CELERY_BROKER_URL", "")
    config: dict[str, Any] = {
        "DATABASE_URL": env.get("DATABASE_URL") or default_database_url(),
        "SECRET_KEY": None,
        "CELERY_BROKER_URL": broker,
        # Without a broker, tasks run in-process so nothing else needs starting.
        "CELERY_ALWAYS_EAGER": not broker,
        "SMTP_HOST": env.get("SMTP_HOST", "127.0.0.1"),
        "SMTP_PORT": int(env.get("SMTP_PORT", "8025")),
        "MAIL_FROM": env.get("MAIL_FROM", "portal@example.com"),
        # Where invitation links point: the extranet's public address.
        "EXTRANET_URL": env.get("EXTRANET_URL", "http://127.0.0.1:5000"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or (broker or "memory://"),
        "SESSION_HOURS": int(env.get("SESSION_HOURS", "8")),
        "HTTPS": env.get("PORTAL_HTTPS", "") == "1",
        # How often a worker's scheduler looks for purchase orders new or changed since their supplier
        # was last e-mailed (`portal worker` runs the scheduler).
        "PURCHASE_ORDER_SWEEP_SECONDS": float(env.get("PURCHASE_ORDER_SWEEP_SECONDS", "60")),
        # Imports: uploaded files are kept in IMPORT_DIR (workers must see it too); files dropped into
        # IMPORT_DROP_DIR/erp, /crm or /scm are imported at the times IMPORT_DROP_SCHEDULE names, and the
        # supplier demand plan is derived at PLAN_DERIVE_SCHEDULE (crontab: minute hour day month weekday,
        # or a number of seconds between runs; empty: never).
        "IMPORT_DIR": env.get("IMPORT_DIR") or str(INSTANCE / "imports"),
        "IMPORT_DROP_DIR": env.get("IMPORT_DROP_DIR") or str(INSTANCE / "drop"),
        "IMPORT_DROP_SCHEDULE": env.get("IMPORT_DROP_SCHEDULE", "*/5 * * * *"),
        "PLAN_DERIVE_SCHEDULE": env.get("PLAN_DERIVE_SCHEDULE", "30 5 * * 1"),
    }
    if override:
        config.update(override)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _secret_key()
    return config
