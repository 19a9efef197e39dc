"""Staff console: imports (upload, jobs with their progress and errors), code mappings, derived demand."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired
from werkzeug.wrappers import Response
from wtforms import BooleanField, MultipleFileField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from internal.console.roles import ANY_STAFF, MANAGERS, can, requires
from internal.integration import mappings as mapping_service
from internal.integration import service
from internal.integration.mappings import CodeKind, SourceSystem
from internal.integration.tasks import run_import
from internal.web import after_commit, db_session

imports = Blueprint(
    "imports",
    __name__,
    static_folder=Path(__file__).resolve().parent.parent / "static",
    static_url_path="/imports/assets",
)

SYSTEMS = [
    SelectChoice("erp", _l("ERP (CSV or XLSX)")),
    SelectChoice("crm", _l("CRM (JSON)")),
    SelectChoice("scm", _l("SCM (CSV)")),
]
IMPORT_STATUS = {
    "queued": _l("Queued"),
    "running": _l("Running"),
    "loaded": _l("Loaded"),
    "refused": _l("Refused"),
    "failed": _l("Failed"),
}


def import_status_label(status: object) -> object:
    key = str(getattr(status, "value", status))
    return IMPORT_STATUS.get(key, key)


class UploadForm(FlaskForm):
    system = SelectField(_l("Source system"), choices=SYSTEMS)
    files = MultipleFileField(_l("Files"), validators=[FileRequired(_l("Choose at least one file."))])
    remove_missing = BooleanField(_l("Delete rows the files no longer hold"))


class MappingForm(FlaskForm):
    source_system = SelectField(
        _l("Source system"), choices=[SelectChoice(s.value, s.value.upper()) for s in SourceSystem]
    )
    kind = SelectField(_l("Code kind"), choices=[SelectChoice(k.value, k.value) for k in CodeKind])
    source_code = StringField(_l("Source code"), validators=[DataRequired(), Length(max=60)])
    canonical_code = StringField(_l("Portal code"), validators=[DataRequired(), Length(max=60)])


def _jobs_page(form: UploadForm) -> tuple[str, int]:
    return render_template(
        "console/imports.html",
        jobs=service.recent_jobs(db_session()),
        form=form,
        can_manage=can(*MANAGERS),
    ), 400 if form.errors else 200


@imports.get("/imports")
@requires(*ANY_STAFF)
def import_jobs() -> tuple[str, int]:
    """The import jobs, newest first, and the upload form that starts one."""
    return _jobs_page(UploadForm())


@imports.post("/imports")
@requires(*MANAGERS)
def start_import() -> Response | tuple[str, int]:
    """Keep the uploaded files and queue a job that imports them (the form posts to the jobs page)."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _jobs_page(form)
    folder = Path(current_app.config["IMPORT_DIR"])
    files = [
        (
            Path(f.filename or "upload").name,
            service.keep_upload(folder, f.filename or "upload", f.read()),
        )
        for f in form.files.data
    ]
    job = service.start_import(
        db_session(),
        form.system.data,
        files,
        origin="console",
        remove_missing=form.remove_missing.data,
        account_id=current_user.account_id,
    )
    job_id = job.id
    after_commit(lambda: run_import.delay(job_id))
    return redirect(url_for("imports.import_job", job_id=job_id))


def _job_or_404(job_id: int) -> service.ImportJob:
    job = service.get_job(db_session(), job_id)
    if job is None:
        abort(404)
    return job


@imports.get("/imports/<int:job_id>")
@requires(*ANY_STAFF)
def import_job(job_id: int) -> str:
    """One job: its files, a progress bar of rows done, counts per record kind, and every error."""
    job = _job_or_404(job_id)
    return render_template(
        "console/import_job.html",
        job=job,
        problems=service.problems_of(job),
        totals=service.summary(job),
        finished=job.status in service.FINISHED,
    )


@imports.get("/imports/<int:job_id>/progress")
@requires(*ANY_STAFF)
def import_progress(job_id: int) -> Response:
    """What the job page's progress bar polls while the job runs."""
    job = _job_or_404(job_id)
    return jsonify(
        status=job.status.value,
        rows_done=job.rows_done,
        rows_total=job.rows_total,
        finished=job.status in service.FINISHED,
    )


def _mappings_page(form: MappingForm) -> tuple[str, int]:
    return render_template(
        "console/code_mappings.html",
        mappings=mapping_service.all_mappings(db_session()),
        form=form,
        can_manage=can(*MANAGERS),
    ), 400 if form.errors else 200


@imports.get("/imports/mappings")
@requires(*ANY_STAFF)
def code_mappings() -> tuple[str, int]:
    """The translation of each source system's codes; staff add, change and delete them here."""
    return _mappings_page(MappingForm())


@imports.post("/imports/mappings")
@requires(*MANAGERS)
def save_code_mapping() -> Response | tuple[str, int]:
    """Add a mapping or change one (the form posts to the mappings page)."""
    form = MappingForm()
    if not form.validate_on_submit():
        return _mappings_page(form)
    mapping_service.save_mapping(
        db_session(),
        source_system=form.source_system.data,
        kind=form.kind.data,
        source_code=form.source_code.data,
        canonical_code=form.canonical_code.data,
        account_id=current_user.account_id,
    )
    flash(
        _(
            "Saved: %(source)s now reads as %(canonical)s.",
            source=form.source_code.data.strip(),
            canonical=form.canonical_code.data.strip(),
        ),
        "success",
    )
    return redirect(url_for("imports.code_mappings"))


@imports.post("/imports/mappings/<int:mapping_id>/delete")
@requires(*MANAGERS)
def delete_code_mapping(mapping_id: int) -> Response:
    if not mapping_service.delete_mapping(db_session(), mapping_id, account_id=current_user.account_id):
        abort(404)
    flash(_("The mapping is deleted."), "success")
    return redirect(url_for("imports.code_mappings"))
