"""Document numbers taken from the document's own id (SR-000123), never counted from the table.

Counting "the highest id plus one" hands the same number to two documents created at the same moment
(PostgreSQL runs both transactions side by side; a unique index then fails one of them). The id comes
from the database's own sequence, so a number made from it is unique however many partners write.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.orm import Session


class Numbered(Protocol):
    id: int
    number: str


def provisional_number() -> str:
    """A unique placeholder (within the 40 characters of a document number) until the id is known."""
    return f"new-{uuid.uuid4().hex[:24]}"


def number_from_id(session: Session, document: Numbered, prefix: str, digits: int) -> None:
    """Insert ``document`` (flush) and give it the number of its id, e.g. ``SR-000123``."""
    session.flush()
    document.number = f"{prefix}-{document.id:0{digits}d}"
    session.flush()
