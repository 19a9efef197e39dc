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
        # The staff console's public address, for its password-reset links (never the request's Host).
        "CONSOLE_URL": env.get("CONSOLE_URL", "http://127.0.0.1:5001"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or (broker or "memory://"),
        "SESSION_HOURS": int(env.get("SESSION_HOURS", "8")),
        "HTTPS": env.get("PORTAL_HTTPS", "") == "1",
        # How often a worker's scheduler looks for purchase orders new or changed since their supplier
        # was last e-mailed (`portal worker` runs the scheduler).
        "PURCHASE_ORDER_SWEEP_SECONDS": float(env.get("PURCHASE_ORDER_SWEEP_SECONDS", "60")),
        # "required": staff enrol a second factor before using the console (production); "optional": the demo.
        "STAFF_MFA": env.get("STAFF_MFA", "optional"),
        # How many reverse proxies stand before the apps; their X-Forwarded-For names the client.
        "PROXIES": int(env.get("PORTAL_PROXIES", "0")),
        # The largest request body (uploads): a forecast of 20,000 rows is well under 5 MB.
        "MAX_UPLOAD_BYTES": int(env.get("MAX_UPLOAD_BYTES", str(5_000_000))),
        # Rendered partner pages each worker process keeps (internal/web/page_cache.py); 0 keeps none.
        "PAGE_CACHE_SIZE": int(env.get("PAGE_CACHE_SIZE", "2000")),
        # The partner API: bearer token lifetime, requests per client, largest request body.
        "API_TOKEN_SECONDS": int(env.get("API_TOKEN_SECONDS", "900")),
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "120 per minute"),
        "API_MAX_BODY_BYTES": int(env.get("API_MAX_BODY_BYTES", "65536")),
        # Imports: uploaded files are kept in IMPORT_DIR (workers must see it too); files dropped into
        # IMPORT_DROP_DIR/erp, /crm or /scm are imported at the times IMPORT_DROP_SCHEDULE names, and the
        # supplier demand plan is derived at PLAN_DERIVE_SCHEDULE (crontab: minute hour day month weekday,
        # or a number of seconds between runs; empty: never).
        "IMPORT_DIR": env.get("IMPORT_DIR") or str(INSTANCE / "imports"),
        "IMPORT_DROP_DIR": env.get("IMPORT_DROP_DIR") or str(INSTANCE / "drop"),
        "IMPORT_DROP_SCHEDULE": env.get("IMPORT_DROP_SCHEDULE", "*/5 * * * *"),
        "PLAN_DERIVE_SCHEDULE": env.get("PLAN_DERIVE_SCHEDULE", "30 5 * * 1"),
        # Staff sign-in with the company's OpenID Connect provider: its discovery document's URL and this
        # console's client at the provider. Empty: staff sign in with their console password only.
        "OIDC_DISCOVERY_URL": env.get("OIDC_DISCOVERY_URL", ""),
        "OIDC_CLIENT_ID": env.get("OIDC_CLIENT_ID", ""),
        "OIDC_CLIENT_SECRET": env.get("OIDC_CLIENT_SECRET", ""),
    }
    if override:
        config.update(override)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _secret_key()
    return config
