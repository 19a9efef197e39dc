"""Staff sign-in with the company's identity provider (OpenID Connect, through Authlib's Flask client).

Authorization code with PKCE (S256). Authlib keeps the state, nonce and code verifier in the session
and checks state and nonce on the way back; it checks the ID token's audience only through ``azp``, so
the claims options below require ``aud`` to hold our client id and ``iss`` to be the discovered issuer.
Configured by OIDC_DISCOVERY_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET; without them the routes answer
404 and the sign-in page offers passwords only.
"""

from __future__ import annotations

from typing import Any

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from internal import staff_identity
from internal.web import db_session, local_target, writes_on_get
from internal.web.auth import complete_sign_in, record_refused_sign_in

company_sign_in = Blueprint("company_sign_in", __name__)

#: Where the page asked for before the round trip to the provider is kept in the session under this key.
_NEXT = "company_sign_in_next"


def init_company_sign_in(app: Flask) -> None:
    """Register the provider's client when the app is configured for it."""
    config = app.config
    if not config.get("OIDC_DISCOVERY_URL"):
        return
    if not config.get("OIDC_CLIENT_ID"):
        raise ValueError("OIDC_DISCOVERY_URL is set but OIDC_CLIENT_ID is not")
    oauth = OAuth(app)
    app.extensions["company_sign_in"] = oauth.register(
        "company",
        server_metadata_url=config["OIDC_DISCOVERY_URL"],
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config.get("OIDC_CLIENT_SECRET") or None,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )


def is_configured() -> bool:
    return "company_sign_in" in current_app.extensions


def _client() -> Any:
    client = current_app.extensions.get("company_sign_in")
    if client is None:
        abort(404)
    return client


@company_sign_in.get("/login/company")
def start() -> Response:
    """Send the browser to the provider with a fresh state, nonce and PKCE challenge."""
    client = _client()
    session[_NEXT] = local_target(request.args.get("next", "")) or ""
    response: Response = client.authorize_redirect(url_for("company_sign_in.callback", _external=True))
    return response


@company_sign_in.get("/login/company/callback")
@writes_on_get
def callback() -> Response:
    """The provider's answer: check it, find the staff account, start the session; else say why not."""
    client = _client()
    target = session.pop(_NEXT, "") or None
    try:
        issuer = client.load_server_metadata()["issuer"]
        token = client.authorize_access_token(
            claims_options={
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": client.client_id},
                "sub": {"essential": True},
            }
        )
        claims = token.get("userinfo")
        if not claims:
            raise JoseError("the provider sent no ID token")
    except (AuthlibBaseError, JoseError) as error:
        reason = getattr(error, "error", None) or type(error).__name__
        record_refused_sign_in("", f"company sign-in: {reason}", method="oidc", description=str(error)[:200])
        flash(_("Signing in with your company account failed. Start again from this page."), "danger")
        return redirect(url_for("auth.login"))
    try:
        account = staff_identity.staff_for_identity(
            db_session(),
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            email=claims.get("email"),
            email_verified=claims.get("email_verified"),
        )
    except staff_identity.IdentityRefused as refused:
        record_refused_sign_in(
            str(claims.get("email") or ""),
            refused.reason,
            method="oidc",
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
        )
        flash(str(refused.message), "danger")
        return redirect(url_for("auth.login"))
    return complete_sign_in(account, "oidc", target)
