"""The partner API: OAuth2 client credentials, the gate's datasets on the "api" channel, writes through
the same services as the pages, an OpenAPI description. Its own blueprint on the extranet.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from internal.web import csrf
from portal.api import openapi, writes  # noqa: F401 - their routes join the blueprint
from portal.api.auth import SessionlessOnApi, init_token_server, is_api_path
from portal.api.pages import api_client_pages
from portal.api.problems import problem
from portal.api.views import api


def init_api(app: Flask) -> None:
    """Register the API on the extranet: no cookie session and no CSRF on its paths, JSON errors."""
    app.session_interface = SessionlessOnApi()
    init_token_server(app)
    csrf.exempt(api)
    app.register_blueprint(api)
    app.register_blueprint(api_client_pages)

    @app.before_request
    def _limit_body() -> None:
        if is_api_path(request.path):
            request.max_content_length = app.config["API_MAX_BODY_BYTES"]

    pages_http_error = app.error_handler_spec[None][None].get(HTTPException)

    def http_error(error: HTTPException) -> Any:
        # Errors on API paths (unknown path, wrong method, body too large, rate limit) are problems too.
        if is_api_path(request.path) and error.code is not None and error.code >= 400:
            return problem(error.code, error.name, error.description)
        return pages_http_error(error) if pages_http_error else error

    app.register_error_handler(HTTPException, http_error)
