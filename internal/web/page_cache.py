"""Partner pages rendered once and served again until something they show changes.

A partner's page is a function of who asks (account, the partner they act for, their language), the
address with its query, the calendar day, and the data: the policy, the partner's rows, the names on
the bar. Everything in the database that pages show moves one number, ``data_generation`` (the
database layer adds one as any change to it commits: internal/db.py), and the signed-in user's own
statement reads that number (internal/accounts.py). So a page rendered at generation N is still the
page at N: it is kept, per worker process, under its key and N, and served again while N holds.

What is not kept, and why:

- **The ledger.** A page served again discloses again: the records its first rendering wrote are
  kept with it and written again, with the time of this request, through the same end-of-page path,
  so a failure to record still fails the request closed.
- **Access.** The view's blueprint checks who may see the page before the cache is asked; the key
  names the account and the partner it acts for, so a kept page is only ever given to them.
- **The CSRF token.** It is signed per request; the kept page holds a mark where it stood, replaced
  by this request's token.
- **Flashed messages** and a transaction that has changed rows and not committed yet: the page is
  rendered as usual and not kept.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast

from flask import current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import JSON, Table

from internal.db import Dumped, has_uncommitted_changes, insert_after_reads, kept_rows, kept_statements
from internal.models import DisclosureRecord, utcnow

EXTENSION = "portal_page_cache"
#: Pages kept per worker process (about 30 KB each); the least recently served go first.
DEFAULT_SIZE = 2000
_LEDGER = cast(Table, DisclosureRecord.__table__)
_JSON_COLUMNS = frozenset(c.name for c in _LEDGER.columns if isinstance(c.type, JSON))


@dataclass(frozen=True, slots=True)
class KeptPage:
    #: The rendered page, with ``PageCache.mark`` where this request's CSRF token goes.
    body: str
    #: The ledger records its rendering wrote, without their time, their JSON already written.
    ledger: tuple[dict[str, Any], ...]


class PageCache:
    """Pages of one data generation; a newer generation empties it."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self.generation: int | None = None
        self.pages: OrderedDict[tuple[Any, ...], KeptPage] = OrderedDict()
        #: Stands where the CSRF token stood; random, so no page's own text can contain it.
        self.mark = f"csrf-{secrets.token_hex(16)}"
        self._lock = threading.Lock()
        #: Each session's CSRF token as signed once in this worker, by the session's secret. The token
        #: has no time limit (it lives as long as the session, WTF_CSRF_TIME_LIMIT), so it is signed once.
        self.tokens: OrderedDict[str, str] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, generation: int, key: tuple[Any, ...]) -> KeptPage | None:
        with self._lock:
            if generation != self.generation:
                self.misses += 1
                return None
            page = self.pages.get(key)
            if page is None:
                self.misses += 1
                return None
            self.pages.move_to_end(key)
            self.hits += 1
            return page

    def put(self, generation: int, key: tuple[Any, ...], page: KeptPage) -> None:
        with self._lock:
            if self.generation is None or generation > self.generation:
                self.generation = generation
                self.pages.clear()
            elif generation < self.generation:
                return  # rendered from an older snapshot than pages already kept
            self.pages[key] = page
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)

    def token(self) -> str:
        """This session's CSRF token, signed once per worker."""
        secret = session.get("csrf_token")
        signed = self.tokens.get(secret) if isinstance(secret, str) else None
        if signed is None:
            signed = generate_csrf()
            with self._lock:
                self.tokens[session["csrf_token"]] = signed
                while len(self.tokens) > self.size:
                    self.tokens.popitem(last=False)
        return signed


def _dumped(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` without its time, its JSON written once (the database layer passes it through as it is)."""
    return {
        name: Dumped(json.dumps(value)) if name in _JSON_COLUMNS else value
        for name, value in row.items()
        if name != "at"
    }


def init_page_cache(app: Any) -> None:
    """Give ``app`` a page cache, unless PAGE_CACHE_SIZE is 0."""
    size = int(app.config.get("PAGE_CACHE_SIZE", DEFAULT_SIZE))
    app.extensions[EXTENSION] = PageCache(size) if size > 0 else None


def page_cache() -> PageCache | None:
    cache: PageCache | None = current_app.extensions.get(EXTENSION)
    return cache


def cached_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve ``view`` (a GET page of the signed-in partner) from the page cache when it holds it."""

    @wraps(view)
    def serve(*args: Any, **kwargs: Any) -> Any:
        from internal.web import db_session, select_locale

        cache = page_cache()
        generation = getattr(current_user, "data_generation", None)
        if cache is None or generation is None or request.method != "GET" or "_flashes" in session:
            return view(*args, **kwargs)
        db = db_session()
        if has_uncommitted_changes(db):
            return view(*args, **kwargs)
        key = (
            request.endpoint,
            request.full_path,
            current_user.account_id,
            current_user.active_partner_id,
            select_locale(),
            dt.date.today(),  # noqa: DTZ011 - pages count days as the partner's calendar does
        )
        kept = cache.get(generation, key)
        if kept is not None:
            now = utcnow()
            for row in kept.ledger:
                insert_after_reads(db, _LEDGER, {**row, "at": now})
            return kept.body.replace(cache.mark, cache.token())
        rows_before = len(kept_rows(db, _LEDGER))
        statements_before = kept_statements(db)
        body = view(*args, **kwargs)
        if (
            isinstance(body, str)
            and kept_statements(db) == statements_before
            and not (db.new or db.dirty or db.deleted)
            and "_flashes" not in session
        ):
            token = g.get("csrf_token")
            ledger = tuple(_dumped(row) for row in kept_rows(db, _LEDGER)[rows_before:])
            cache.put(generation, key, KeptPage(body.replace(token, cache.mark) if token else body, ledger))
        return body

    return serve
