"""What both Flask apps share: database session per request, security, languages, errors, layout.

The extranet (``portal.create_app``) and the staff console (``internal.create_app``) each call
``init_web`` with their own audience; they differ in blueprints, never in these foundations.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import Babel, get_locale
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.urls import iri_to_uri

from internal import accounts, audit, jobs
from internal import config as settings
from internal import db as transactions
from internal.db import make_engine, make_session_factory
from internal.web import explanations
from internal.web.cookie_sessions import RememberedCookieSessions
from internal.web.formats import PortalEnvironment, init_formats, translated
from internal.web.page_cache import init_page_cache

HERE = Path(__file__).resolve().parent
TRANSLATIONS = HERE / "translations"
#: Languages offered, as (code the selector returns, name in that language).
LANGUAGES = (("en", "English"), ("zh_CN", "简体中文"))

#: Requests that only read (and record what they disclosed); every other method changes data.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
talisman = Talisman()


@limiter.request_filter
def _no_limit_of_its_own() -> bool:
    """The limiter may pass over a request to a view without a limit of its own: every limit here is a
    view's decorator (sign-in, password pages, the API), none is app-wide (``default_limits=[]``, no
    RATELIMIT_DEFAULT or RATELIMIT_APPLICATION), so its per-request work finds nothing to count there.
    A decorated view keeps its limit: the decorator marks it, and the mark is copied by every wrapper."""
    from flask import current_app

    if current_app.config.get("RATELIMIT_DEFAULT") or current_app.config.get("RATELIMIT_APPLICATION"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and not hasattr(view, "__wrapper-limiter-instance")


web = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
)


def init_web(app: Flask, *, audience: str, config_override: dict[str, Any] | None = None) -> None:
    """Configure ``app`` for ``audience`` ("extranet" or "console") on the shared foundations."""
    app.jinja_environment = PortalEnvironment  # before anything makes the app's Jinja environment
    app.session_interface = RememberedCookieSessions()
    config = settings.load(config_override)
    app.config.update(config)
    app.config.update(
        SESSION_COOKIE_NAME=f"{audience}_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config["HTTPS"],
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=config["SESSION_HOURS"]),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which the server ends
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        BABEL_DEFAULT_LOCALE="en",
        RATELIMIT_STORAGE_URI=config["RATELIMIT_STORAGE_URI"],
        RATELIMIT_HEADERS_ENABLED=True,
        # Each app counts its own requests, even where both share one Redis.
        RATELIMIT_KEY_PREFIX=audience,
        PORTAL_AUDIENCE=audience,
    )
    app.config.setdefault("RATELIMIT_ENABLED", config.get("RATELIMIT_ENABLED", True))
    app.config["MAX_CONTENT_LENGTH"] = config["MAX_UPLOAD_BYTES"]
    if config["PROXIES"]:
        # Behind N reverse proxies the client is the Nth address from the right of X-Forwarded-For.
        # The host is not taken from the proxy: links in e-mails use EXTRANET_URL / CONSOLE_URL anyway.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config["PROXIES"], x_proto=config["PROXIES"]
        )
    # Ids in paths fit the database's integer columns; a longer number is a page that does not exist.
    app.url_map.converters["int"] = DatabaseId
    _init_database(app, config)
    jobs.configure(config)

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    init_formats(app)
    limiter.init_app(app)
    # Flask asks, for each of a request's dozen hooks, whether it is a coroutine function (inspect
    # reads its code flags each time); none of ours is, and a function's answer never changes.
    app.ensure_sync = functools.cache(app.ensure_sync)  # type: ignore[method-assign]
    talisman.init_app(
        app,
        force_https=config["HTTPS"],
        session_cookie_secure=config["HTTPS"],
        strict_transport_security=config["HTTPS"],
        content_security_policy={
            "default-src": "'self'",
            "img-src": ["'self'", "data:"],
            "object-src": "'none'",
            "base-uri": "'self'",
        },
        frame_options="DENY",
    )
    _init_login(app, audience)
    init_page_cache(app)
    if config["STAFF_MFA"] not in ("required", "optional"):
        raise ValueError(f"STAFF_MFA must be 'required' or 'optional', not {config['STAFF_MFA']!r}")
    app.before_request(_note_address)
    app.teardown_request(_forget_address)
    app.before_request(_second_factor_enrolled)
    app.after_request(_not_stored)
    app.register_blueprint(web)
    _register_errors(app)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, current_locale=current_locale, status_label=status_label
    )
    # The gate's explanations and band labels, worded in the reader's language (_explained.html).
    app.jinja_env.globals.update(
        explanation_sentences=explanations.sentences, band_label=explanations.band_label
    )


#: The largest id a path or cursor may name: PostgreSQL's integer.
MAX_ID = 2**31 - 1


class DatabaseId(IntegerConverter):
    """``<int:...>`` bounded to what an integer column holds, so a 30-digit id answers 404, not 500."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


#: The last page number a list accepts; beyond it the offset would not fit the database's integers.
MAX_PAGE_NUMBER = 1_000_000


def page_number() -> int:
    """The ``page`` query parameter (1 when absent); a number no list has is a 400 with a message."""
    raw = request.args.get("page", "1").strip() or "1"
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 7 and 1 <= int(raw) <= MAX_PAGE_NUMBER):
        abort(400, description=_l("The page number must be between 1 and %(n)s.", n=f"{MAX_PAGE_NUMBER:,}"))
    return int(raw)


#: Pages open to someone who must still enrol a second factor: enrolment itself, and ways out.
ENROLMENT_ENDPOINTS = frozenset(
    {"auth.two_factor_settings", "auth.logout", "auth.login", "web.static", "web.set_language", "web.healthz"}
)


def _second_factor_enrolled() -> Response | None:
    """Send a user who must sign in with a second factor, and has none yet, to enrol one first."""
    from flask import current_app, url_for

    if (
        request.endpoint in ENROLMENT_ENDPOINTS
        or request.endpoint is None
        or not current_user.is_authenticated
    ):
        return None
    if current_user.two_factor_enabled:
        return None
    if current_user.audience == "console":
        required = current_user.is_staff and current_app.config["STAFF_MFA"] == "required"
    else:
        required = any(m.requires_two_factor for m in current_user.memberships)
    if not required:
        return None
    flash(_l("Set up two-factor sign-in before you go on: it is required for your account."), "warning")
    return redirect(url_for("auth.two_factor_settings"))  # type: ignore[return-value]


def _note_address() -> None:
    """Audit events made while serving this request say where it came from."""
    g.audit_address = audit.current_address.set(request.remote_addr or "unknown")


def _forget_address(_exc: BaseException | None) -> None:
    """The thread serves other requests (or tasks) next: the address must not outlive this request."""
    token = g.pop("audit_address", None)
    if token is not None:
        try:
            audit.current_address.reset(token)
        except ValueError:  # set in another context (a server that switches them): forget it there
            audit.current_address.set("local")


def _not_stored(response: Response) -> Response:
    """Nothing a signed-in user sees (pages, exports) is kept by the browser or a proxy cache."""
    if request.endpoint == "web.static":
        return response
    if current_user.is_authenticated or response.headers.get("Content-Disposition", "").startswith(
        "attachment"
    ):
        response.headers["Cache-Control"] = "no-store"
    return response


# -- database --------------------------------------------------------------------------------------


def _init_database(app: Flask, config: dict[str, Any]) -> None:
    bind: Engine | Connection = config.get("DATABASE_BIND") or make_engine(config["DATABASE_URL"])
    app.extensions["portal_db"] = make_session_factory(bind)
    #: The engine this app made (None when bound to a caller's connection); dispose_database closes it.
    app.extensions["portal_engine"] = bind if isinstance(bind, Engine) else None

    @app.after_request
    def _commit(response: Response) -> Response:
        # The request is the unit of work: services flushed, the boundary commits.
        # (internal/db.py says how transactions are shaped so that concurrent requests never fail.)
        db = g.pop("db", None)
        if db is not None:
            try:
                if response.status_code < 500:
                    transactions.commit(db)
                else:
                    db.rollback()
            finally:
                db.close()
        if response.status_code < 500:
            for callback in g.pop("after_commit", []):
                try:
                    callback()
                except Exception:
                    # The work is committed: a failure to queue (or, in-process, to send) an e-mail must
                    # not show as a failed request. The task's own retries and sweeps take it from here.
                    app.logger.exception("after-commit callback %r failed", callback)
        return response

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.rollback()
            db.close()


WRITES_ON_GET = "portal_writes_on_get"


def writes_on_get(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a GET view that writes (a sign-in callback starts a session): its transaction begins as a
    writer, like a POST's, instead of reading first (internal/db.py)."""
    setattr(view, WRITES_ON_GET, True)
    return view


def db_session() -> Session:
    """The request's Session, opened on first use and committed when the response is ready."""
    if "db" not in g:
        from flask import current_app

        factory: sessionmaker[Session] = current_app.extensions["portal_db"]
        g.db = factory()
        view = current_app.view_functions.get(request.endpoint or "")
        if request.method in SAFE_METHODS and not getattr(view, WRITES_ON_GET, False):
            transactions.begin_reading(g.db)  # pages read first and write their ledger records last
        else:
            transactions.begin_writing(g.db)
    db: Session = g.db
    return db


def dispose_database(app: Flask) -> None:
    """Close the app's connection pool (tests and embedding servers that outlive their apps)."""
    engine: Engine | None = app.extensions.get("portal_engine")
    if engine is not None:
        engine.dispose()


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` once the request's transaction has committed (queue a task for new rows)."""
    g.setdefault("after_commit", []).append(callback)


def database_state() -> dict[str, Any]:
    db = db_session()
    try:
        revision = db.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return {"ok": True, "backend": db.get_bind().dialect.name, "revision": revision}
    except Exception as exc:
        db.rollback()
        return {"ok": False, "backend": db.get_bind().dialect.name, "error": type(exc).__name__}


@web.get("/healthz")
def healthz() -> tuple[Response, int]:
    from flask import current_app

    state = database_state()
    body = {"status": "ok" if state["ok"] else "degraded", "app": current_app.config["PORTAL_AUDIENCE"]}
    return jsonify({**body, "database": state}), 200 if state["ok"] else 503


# -- sign-in ---------------------------------------------------------------------------------------


def _init_login(app: Flask, audience: str) -> None:
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = _l("Please sign in to see this page.")
    manager.login_message_category = "info"
    manager.session_protection = "basic"
    manager.init_app(app)

    @manager.user_loader
    def _load(token: str) -> accounts.SignedInUser | None:
        user = accounts.load_user(db_session(), token, audience=audience)
        if user is None:
            g.session_ended = True
        return user

    @manager.unauthorized_handler
    def _unauthorized() -> Response:
        if g.get("session_ended"):
            session.clear()
            flash(_l("Your session has ended. Please sign in again."), "warning")
        else:
            flash(manager.login_message, "info")
        target = request.full_path if request.method == "GET" else None
        from flask import url_for

        return redirect(url_for("auth.login", next=target))  # type: ignore[return-value]


def select_locale() -> str:
    """The user's saved language, then the one picked this session, then the browser's."""
    codes = [code for code, _ in LANGUAGES]
    user = current_user
    if getattr(user, "is_authenticated", False) and user.locale in codes:
        return str(user.locale)
    if session.get("locale") in codes:
        return str(session["locale"])
    # zh-CN, zh-Hans, zh: all reach the Simplified Chinese catalogue (stored as zh_Hans_CN).
    accepted = request.accept_languages.best_match(["en", "zh_CN", "zh_Hans", "zh"], default="en")
    return "zh_CN" if accepted.startswith("zh") else "en"


def current_locale() -> str:
    """The language code as the selector names it ("zh_CN"), not Babel's expanded "zh_Hans_CN"."""
    locale = get_locale()
    return "zh_CN" if locale is not None and locale.language == "zh" else "en"


@web.post("/language")
def set_language() -> Response:
    from flask import url_for

    code = request.form.get("locale", "")
    if code in {c for c, _ in LANGUAGES}:
        session["locale"] = code
        if current_user.is_authenticated:
            accounts.set_locale(db_session(), current_user.account_id, code)
    return redirect(local_target(request.form.get("next", "")) or url_for("index"))  # type: ignore[return-value]


def local_target(target: str) -> str | None:
    """``target`` as a path on this site to redirect to, or None when it would leave the site.

    Control characters (tab, CR, LF ...) are refused with a 400: browsers drop a tab, so a slash, a tab
    and ``/evil`` would become ``//evil``. The rest is checked as Werkzeug will send it, percent-encoded:
    no scheme, no host.
    """
    if not target:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        abort(400, description=_l("The address to return to contains characters that are not allowed."))
    if "\\" in target:  # browsers read a backslash as a slash
        return None
    location = iri_to_uri(target)
    parts = urlsplit(location)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or location.startswith("//"):
        return None
    return location


#: Document statuses as people read them, in every language.
STATUS_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "superseded": _l("Superseded"),
    "open": _l("Open"),
    "acknowledged": _l("Acknowledged"),
    "partially_shipped": _l("Partially shipped"),
    "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
    "change_proposed": _l("Change proposed"),
    "received": _l("Received"),
    "confirmed": _l("Confirmed"),
    "in_production": _l("In production"),
    "shipped": _l("Shipped"),
    "delivered": _l("Delivered"),
    "invoiced": _l("Invoiced"),
    "planned": _l("Planned"),
    "in_transit": _l("In transit"),
    "exception": _l("Delayed: carrier exception"),
    "paid": _l("Paid"),
    "overdue": _l("Overdue"),
    "in_progress": _l("In progress"),
    "waiting_on_customer": _l("Waiting for your answer"),
    "resolved": _l("Resolved"),
}


def status_label(value: object) -> object:
    key = str(getattr(value, "value", value))
    return translated(STATUS_LABELS.get(key, key))


# -- errors ----------------------------------------------------------------------------------------

ERROR_TEXT = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("Your account may not do this.")),
    404: (_l("Not found"), _l("There is no page at this address, or it is not yours to see.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("The file is too large"), _l("Split the file and upload each part.")),
    429: (_l("Too many requests"), _l("Too many attempts in a short time. Wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("The error was logged. Try again in a moment.")),
}


def _register_errors(app: Flask) -> None:
    def render_error(status: int, title: Any = None, message: Any = None) -> tuple[str, int]:
        default_title, default_message = ERROR_TEXT.get(status, ERROR_TEXT[500])
        return render_template(
            "errors/error.html",
            status=status,
            title=title or default_title,
            message=message or default_message,
        ), status

    @app.errorhandler(CSRFError)
    def _csrf(_e: CSRFError) -> tuple[str, int]:
        return render_error(
            400,
            _l("The form has expired"),
            _l("The form was open too long or was sent from another page. Reload the page and try again."),
        )

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_e: RequestEntityTooLarge) -> tuple[str, int]:
        limit = app.config["MAX_CONTENT_LENGTH"] / 1_000_000
        return render_error(
            413, message=_l("Upload at most %(mb)s MB at a time: split the file into parts.", mb=f"{limit:g}")
        )

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> Any:
        if e.code is None or e.code < 400:
            return e
        # A description given where the error was raised says what to fix; Werkzeug's defaults do not.
        custom = e.description if e.description != type(e).description else None
        return render_error(e.code, message=custom)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception) -> tuple[str, int]:
        app.logger.exception("unhandled error", exc_info=e)
        return render_error(500)
