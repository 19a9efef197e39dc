"""The Celery app a worker runs (``portal worker``: ``celery -A portal.worker:celery_app worker``).

The core's Celery app with the tasks of every floor registered by importing the modules that own them:
the imports and the demand plan (the core), the partner e-mails (the extranet, through the gate).
"""

from __future__ import annotations

import internal.integration.tasks
import portal.notifications
from internal.jobs import celery_app

#: The modules whose tasks this worker runs.
TASK_MODULES = (internal.integration.tasks, portal.notifications)

__all__ = ["TASK_MODULES", "celery_app"]
