"""OAuth2 client credentials (Authlib): the token endpoint, and bearer tokens on every API call.

Only a bearer token authenticates an API call: the browser's session cookie is not even opened on
API paths, and no page accepts a token (pages know only the session).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError
from flask import Flask, Request, current_app, g
from flask.sessions import SessionMixin
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from internal import api_clients
from internal.web import db_session
from internal.web.cookie_sessions import RememberedCookieSessions
from portal.api.problems import problem

#: Paths served by the API: no cookie session, no CSRF, errors as problem details.
API_PREFIXES = ("/api/", "/oauth/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    # HTTP Basic is the standard; the id and secret in the form body are accepted too.
    TOKEN_ENDPOINT_AUTH_METHODS = list(api_clients.AUTH_METHODS)  # noqa: RUF012 - Authlib reads this list


class TokenServer(AuthorizationServer):  # type: ignore[misc]
    """Issues short-lived bearer tokens to active clients; stores only their hashes."""

    def query_client(self, client_id: str) -> api_clients.ClientCredentials | None:
        return api_clients.find_client(db_session(), client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        api_clients.store_token(db_session(), request.client, token)


def init_token_server(app: Flask) -> None:
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {"client_credentials": app.config["API_TOKEN_SECONDS"]})
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", list(api_clients.ALL_SCOPES))
    server = TokenServer()
    server.init_app(app)
    server.register_grant(ClientCredentialsGrant)
    app.extensions["portal_token_server"] = server


def token_response() -> Response:
    server: TokenServer = current_app.extensions["portal_token_server"]
    try:
        response: Response = server.create_token_response()
    except OAuth2Error as error:  # raised before Authlib's own handling, e.g. plain http off loopback
        response = server.handle_error_response(None, error)
    return response


class HashedBearerToken(BearerTokenValidator):  # type: ignore[misc]
    def authenticate_token(self, token_string: str) -> api_clients.BearerToken | None:
        return api_clients.authenticate_token(db_session(), token_string)


_protector = ResourceProtector()
_protector.register_token_validator(HashedBearerToken(realm="partner-api"))


def current_token() -> api_clients.BearerToken:
    token: api_clients.BearerToken = g.api_token
    return token


def requires(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A valid bearer token with ``scope``: 401 without one (or expired, revoked), 403 naming the scope."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                g.api_token = _protector.acquire_token([scope])
            except InsufficientScopeError:
                return problem(
                    403,
                    _("Missing scope"),
                    _("This token does not have the scope %(scope)s.", scope=scope),
                    headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
                    required_scope=scope,
                )
            except OAuth2Error as error:
                return problem(
                    401,
                    _("Not authenticated"),
                    _("Send a valid, unexpired bearer token from POST /oauth/token."),
                    headers=dict(error.get_headers()),
                )
            return view(*args, **kwargs)

        setattr(checked, "required_scope", scope)  # noqa: B010 - read by the OpenAPI description
        return checked

    return decorator


def client_key() -> str:
    """Rate limits count per API client, whichever address its calls come from."""
    token = g.get("api_token")
    return f"api-client:{token.client_id}" if token is not None else "api-anonymous"


class SessionlessOnApi(RememberedCookieSessions):
    """The extranet's cookie session, except on API paths, where there is none to open or save."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if is_api_path(request.path):
            return self.make_null_session(app)
        return super().open_session(app, request)
