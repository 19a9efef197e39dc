"""The development server `portal serve` runs, without a Server header naming it."""

from __future__ import annotations

from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, minus the ``Server: Werkzeug/x Python/y`` header that invites probing."""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


def make_quiet_server(host: str, port: int, app: Any, **kwargs: Any) -> BaseWSGIServer:
    """``werkzeug.serving.make_server`` with the quiet handler."""
    return make_server(host, port, app, request_handler=QuietRequestHandler, **kwargs)
