"""One's own account on either app: password reset by e-mail, two-factor sign-in, sign-ins and sessions."""

from __future__ import annotations

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from internal import accounts, jobs, password_resets, two_factor
from internal.web import after_commit, current_locale, db_session, limiter
from internal.web.forms import ForgotPasswordForm, ResetPasswordForm, TwoFactorCodeForm


def _address() -> str:
    return request.remote_addr or "unknown"


def _reset_mail(email: str, locale: str | None, link: str) -> tuple[str, str]:
    """The reset e-mail in the reader's language: their saved one, else the page's."""
    with force_locale(locale or current_locale()):
        subject = _("Reset your password for the %(app)s", app=_app_name())
        text = _(
            "Hello,\n\nSomeone asked to reset the password of %(email)s. If it was you, choose a new "
            "password here:\n%(link)s\n\nThe link works once and expires in one hour. If you did not ask, "
            "ignore this e-mail: your password stays as it is.\n",
            email=email,
            link=link,
        )
    return subject, text


def _app_name() -> str:
    return str(
        _("partner portal") if current_app.config["PORTAL_AUDIENCE"] == "extranet" else _("staff console")
    )


def register_account_views(bp: Blueprint) -> None:
    """Add the account pages to the auth blueprint of either app."""

    @bp.route("/password/forgot", methods=["GET", "POST"])
    @limiter.limit("10 per minute", methods=["POST"])
    def forgot_password() -> str | tuple[str, int]:
        """Ask for a reset link. The answer is the same whether or not the e-mail has an account."""
        form = ForgotPasswordForm()
        if form.validate_on_submit():
            audience = current_app.config["PORTAL_AUDIENCE"]
            try:
                found = password_resets.request_reset(
                    db_session(), form.email.data or "", audience=audience, address=_address()
                )
            except password_resets.ResetThrottled:
                form.form_errors.append(
                    _("Too many requests from your network. Wait 15 minutes and try again.")
                )
                return render_template("auth/forgot.html", form=form), 429
            if found is not None:
                account, token = found
                base = current_app.config["EXTRANET_URL" if audience == "extranet" else "CONSOLE_URL"]
                link = f"{base.rstrip('/')}{url_for('auth.reset_password', token=token)}"
                subject, text = _reset_mail(account.email, account.locale, link)
                to = account.email
                after_commit(lambda: jobs.send_mail.delay(to, subject, text))
            return render_template("auth/forgot_sent.html")
        return render_template("auth/forgot.html", form=form), 400 if form.errors else 200

    @bp.route("/password/reset/<token>", methods=["GET", "POST"])
    @limiter.limit("20 per minute", methods=["POST"])
    def reset_password(token: str) -> Response | str | tuple[str, int]:
        db = db_session()
        audience = current_app.config["PORTAL_AUDIENCE"]
        if password_resets.find_reset(db, token, audience=audience) is None:
            return render_template("auth/reset_invalid.html"), 404
        form = ResetPasswordForm()
        if form.validate_on_submit():
            try:
                password_resets.complete_reset(db, token, form.new.data or "", audience=audience)
            except accounts.PasswordRejected as rejected:
                form.new.errors = [_("Choose another password: %(reason)s.", reason=str(rejected))]
            except password_resets.ResetInvalid:
                return render_template("auth/reset_invalid.html"), 404
            else:
                if current_user.is_authenticated:
                    logout_user()
                session.clear()
                flash(
                    _("Your password was changed and every session signed out. Sign in with the new one."),
                    "success",
                )
                return redirect(url_for("auth.login"))
        return render_template("auth/reset.html", form=form), 400 if form.errors else 200

    @bp.get("/account")
    @login_required
    def account() -> str:
        db = db_session()
        return render_template(
            "auth/account.html",
            history=accounts.sign_in_history(db, current_user.account_id),
            sessions=accounts.open_sessions(db, current_user.account_id, current_token=current_user.token),
        )

    @bp.post("/account/sessions/<int:session_id>/end")
    @login_required
    def end_session(session_id: int) -> Response:
        current = [
            s
            for s in accounts.open_sessions(
                db_session(), current_user.account_id, current_token=current_user.token
            )
            if s.id == session_id
        ]
        if not current or not accounts.end_own_session(db_session(), current_user.account_id, session_id):
            abort(404)  # someone else's session does not exist for this account
        if current[0].current:
            logout_user()
            session.clear()
            flash(_("You have signed out."), "success")
            return redirect(url_for("auth.login"))
        flash(_("The session was ended."), "success")
        return redirect(url_for("auth.account"))

    @bp.route("/account/two-factor", methods=["GET", "POST"])
    @login_required
    def two_factor_settings() -> Response | str | tuple[str, int]:
        db = db_session()
        key = current_app.config["SECRET_KEY"]
        form = TwoFactorCodeForm()
        action = request.form.get("action", "")
        if current_user.two_factor_enabled:
            if form.validate_on_submit() and action == "disable":
                try:
                    two_factor.disable(db, current_user.account_id, form.code.data or "", secret_key=key)
                except two_factor.TwoFactorRefused:
                    form.code.errors = [
                        _("That code is not right. Type the current code, or a recovery code.")
                    ]
                else:
                    flash(_("Two-factor sign-in is off."), "success")
                    return redirect(url_for("auth.two_factor_settings"))
            remaining = two_factor.remaining_recovery_codes(db, current_user.account_id)
            status = 400 if form.errors else 200
            return render_template(
                "auth/two_factor.html", form=form, enabled=True, remaining=remaining
            ), status
        enrolment = two_factor.begin_enrolment(db, current_user.account_id, secret_key=key)
        if form.validate_on_submit() and action == "confirm":
            try:
                codes = two_factor.confirm_enrolment(
                    db, current_user.account_id, form.code.data or "", secret_key=key
                )
            except two_factor.TwoFactorRefused:
                form.code.errors = [_("That code is not right. Type the code your app shows now.")]
            else:
                # Shown this once: only their hashes are kept.
                return render_template("auth/recovery_codes.html", codes=codes)
        qr = segno.make(enrolment.uri, error="m").svg_data_uri(scale=5)
        status = 400 if form.errors else 200
        return render_template(
            "auth/two_factor.html", form=form, enabled=False, secret=enrolment.secret, qr=qr
        ), status
