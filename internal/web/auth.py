"""Sign in, sign out and change password: one blueprint, registered by each app for its audience."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from internal import accounts, audit, two_factor
from internal.models import Account
from internal.web import db_session, limiter, local_target, select_locale
from internal.web.account import register_account_views
from internal.web.forms import LoginForm, PasswordChangeForm, TwoFactorCodeForm

#: Seconds between a right password and its second factor before the sign-in starts over.
SECOND_FACTOR_WITHIN = 300


def _address() -> str:
    return request.remote_addr or "unknown"


def _sign_in(token: str) -> None:
    """Attach the session ``token`` to a fresh cookie session (new id, new CSRF token)."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    user = accounts.load_user(db_session(), token, audience=current_app.config["PORTAL_AUDIENCE"])
    assert user is not None
    login_user(user)


def complete_sign_in(account: Account, method: str, target: str | None) -> Response:
    """Start the session for an account that proved itself, remember the sign-in, and go on."""
    db = db_session()
    audience = current_app.config["PORTAL_AUDIENCE"]
    token = accounts.start_session(
        db,
        account,
        audience=audience,
        address=_address(),
        user_agent=request.user_agent.string,
        lifetime=current_app.permanent_session_lifetime,
    )
    accounts.record_sign_in(
        db,
        account,
        audience=audience,
        method=method,
        address=_address(),
        user_agent=request.user_agent.string,
    )
    if not account.locale:
        # A first sign-in from a browser in another language than the default keeps that language, so
        # e-mails sent later (by tasks with no browser to ask) are written in it too.
        chosen = select_locale()
        if chosen != current_app.config["BABEL_DEFAULT_LOCALE"]:
            accounts.set_locale(db, account.id, chosen)
    audit.record(
        db,
        "sign_in.succeeded",
        actor_id=account.id,
        object_type="account",
        object_id=str(account.id),
        address=_address(),
        detail={"app": audience, "method": method},
    )
    _sign_in(token)
    return redirect(target or url_for("index"))


def record_refused_sign_in(who: str, reason: str, *, actor_id: int | None = None, **detail: object) -> None:
    """An audit event for a sign-in that was refused: ``who`` as typed or as the provider named them."""
    audit.record(
        db_session(),
        "sign_in.failed",
        actor_id=actor_id,
        actor=who,
        object_type="account",
        address=_address(),
        detail={"app": current_app.config["PORTAL_AUDIENCE"], "reason": reason, **detail},
    )


def _await_second_factor(account_id: int, target: str | None) -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session["second_factor"] = {"account": account_id, "at": time.time(), "next": target or ""}


def make_auth_blueprint() -> Blueprint:
    bp = Blueprint("auth", __name__)
    register_account_views(bp)

    @bp.route("/login", methods=["GET", "POST"])
    @limiter.limit("30 per minute", methods=["POST"])
    def login() -> Response | str | tuple[str, int]:
        if current_user.is_authenticated:
            return redirect(url_for("index"))
        target = local_target(request.args.get("next", ""))  # a malformed one is refused before sign-in
        form = LoginForm()
        status = 200
        if form.validate_on_submit():
            audience = current_app.config["PORTAL_AUDIENCE"]
            db = db_session()
            try:
                account = accounts.authenticate(
                    db, form.email.data or "", form.password.data or "", address=_address(), audience=audience
                )
            except accounts.SignInRefused as refused:
                record_refused_sign_in(
                    accounts.normalize_email(form.email.data or ""),
                    "throttled" if refused.throttled else "wrong e-mail or password",
                    method="password",
                )
                if refused.throttled:
                    form.form_errors.append(
                        _("Too many failed sign-ins. Wait %(minutes)d minutes and try again.", minutes=15)
                    )
                    status = 429
                else:
                    # One message for unknown e-mail and wrong password: nothing to learn from it.
                    form.form_errors.append(_("Wrong e-mail or password."))
                    status = 401
            else:
                if two_factor.is_enabled(account):
                    # The password was right; the session starts only once the second factor is too.
                    _await_second_factor(account.id, target)
                    return redirect(url_for("auth.second_factor"))
                return complete_sign_in(account, "password", target)
        return render_template("auth/login.html", form=form), status

    @bp.route("/login/two-factor", methods=["GET", "POST"])
    @limiter.limit("30 per minute", methods=["POST"])
    def second_factor() -> Response | str | tuple[str, int]:
        """The second step of signing in: a code from the authenticator, or a recovery code."""
        pending = session.get("second_factor")
        if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > SECOND_FACTOR_WITHIN:
            session.pop("second_factor", None)
            flash(_("Sign in again: the step for your code took too long."), "warning")
            return redirect(url_for("auth.login"))
        form = TwoFactorCodeForm()
        status = 200
        if form.validate_on_submit():
            try:
                account, method = two_factor.verify_sign_in(
                    db_session(),
                    int(pending["account"]),
                    form.code.data or "",
                    secret_key=current_app.config["SECRET_KEY"],
                    address=_address(),
                )
            except accounts.SignInRefused as refused:
                session.pop("second_factor", None)
                record_refused_sign_in(
                    "", "throttled", actor_id=int(pending["account"]), method="second factor"
                )
                if refused.throttled:
                    flash(
                        _("Too many failed sign-ins. Wait %(minutes)d minutes and try again.", minutes=15),
                        "danger",
                    )
                return redirect(url_for("auth.login"))
            except two_factor.TwoFactorRefused:
                record_refused_sign_in(
                    "", "wrong code", actor_id=int(pending["account"]), method="second factor"
                )
                form.code.errors = [_("That code is not right. Type the current code, or a recovery code.")]
                status = 401
            else:
                return complete_sign_in(account, f"password+{method}", pending.get("next") or None)
        return render_template("auth/second_factor.html", form=form), status

    @bp.post("/logout")
    @login_required
    def logout() -> Response:
        accounts.end_session(db_session(), current_user.token)
        logout_user()
        locale = session.get("locale")
        session.clear()
        if locale:
            session["locale"] = locale
        flash(_("You have signed out."), "success")
        return redirect(url_for("auth.login"))

    @bp.route("/account/password", methods=["GET", "POST"])
    @login_required
    def change_password() -> Response | str | tuple[str, int]:
        form = PasswordChangeForm()
        if form.validate_on_submit():
            try:
                token = accounts.change_password(
                    db_session(), current_user.token, form.current.data or "", form.new.data or ""
                )
            except accounts.PasswordRejected as rejected:
                if rejected.code == "wrong_current":
                    form.current.errors = [_("The current password is wrong.")]
                elif rejected.code == "is_email":
                    form.new.errors = [_("The new password must not be your e-mail address.")]
                else:
                    form.new.errors = [_("Choose another password: %(reason)s.", reason=str(rejected))]
                return render_template("auth/password.html", form=form), 400
            _sign_in(token)
            flash(_("Your password was changed. Every other session has been signed out."), "success")
            return redirect(url_for("index"))
        return render_template("auth/password.html", form=form), 400 if form.errors else 200

    return bp
