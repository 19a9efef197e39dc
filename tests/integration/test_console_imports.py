"""The staff console's imports: upload, the job with its progress and errors, the code-mapping editor."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

import internal
from internal.models import CodeMapping, ImportJob, Item, SourceSystem
from tests.conftest import app_config
from tests.factories import csrf_token, make_account, sign_in

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"


@pytest.fixture
def staff(connection, session, tmp_path):
    app = internal.create_app(app_config(connection, IMPORT_DIR=str(tmp_path / "uploads")))
    make_account(session, "buyer901@example.com", staff_role="buyer")
    make_account(session, "viewer901@example.com", staff_role="viewer")
    return app


def upload(client, system, paths, **extra):
    data = {
        "csrf_token": csrf_token(client, "/imports"),
        "system": system,
        "files": [(io.BytesIO(p.read_bytes()), p.name) for p in paths],
        **extra,
    }
    return client.post("/imports", data=data, content_type="multipart/form-data")


def test_staff_upload_the_three_examples_and_see_each_job_loaded_with_its_counts(staff, session):
    client = staff.test_client()
    sign_in(client, "buyer901@example.com")

    for system, paths in (
        ("erp", sorted((EXAMPLES / "erp").glob("*.csv"))),
        ("crm", [EXAMPLES / "crm.json"]),
        ("scm", sorted((EXAMPLES / "scm").glob("*.csv"))),
    ):
        response = upload(client, system, paths)
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert 'data-testid="job-status">Loaded<' in page
        assert 'style="width: 100%"' in page

    job = session.scalar(select(ImportJob).where(ImportJob.source_system == SourceSystem.erp))
    assert (job.origin, job.rows_done, job.rows_total) == ("console", 19, 19)
    assert session.scalar(select(Item.uom).where(Item.sku == "EX-PUMP-100")) == "EA"
    listing = client.get("/imports").get_data(as_text=True)
    assert listing.count("Loaded") == 3
    assert "crm.json" in listing


def test_a_refused_upload_shows_the_row_and_field_to_fix_and_writes_nothing(staff, session, tmp_path):
    client = staff.test_client()
    sign_in(client, "buyer901@example.com")
    bad = tmp_path / "items.csv"
    bad.write_text((EXAMPLES / "erp" / "items.csv").read_text().replace("95.50", "ninety"))

    response = upload(client, "erp", [EXAMPLES / "erp" / "sites.csv", bad])
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert 'data-testid="job-status">Refused<' in page
    assert "items.csv, row 4, standard_cost: expected a number, got &#39;ninety&#39;" in page
    assert session.scalar(select(Item.id).where(Item.sku == "EX-PUMP-100")) is None


def test_the_progress_endpoint_reports_rows_done_of_total(staff):
    client = staff.test_client()
    sign_in(client, "buyer901@example.com")
    response = upload(client, "crm", [EXAMPLES / "crm.json"])
    upload(client, "erp", sorted((EXAMPLES / "erp").glob("*.csv")))  # the CRM file needs the ERP's items
    job_id = int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))

    progress = client.get(f"/imports/{job_id}/progress").get_json()

    assert progress == {"status": "refused", "rows_done": 0, "rows_total": 0, "finished": True}
    assert client.get("/imports/999999/progress").status_code == 404


def test_a_viewer_sees_jobs_but_cannot_upload_or_edit_mappings(staff):
    client = staff.test_client()
    sign_in(client, "viewer901@example.com")
    page = client.get("/imports").get_data(as_text=True)
    assert 'data-testid="upload"' not in page

    token = csrf_token(client, "/imports")
    assert client.post("/imports", data={"csrf_token": token, "system": "erp"}).status_code == 403
    refused = client.post(
        "/imports/mappings",
        data={
            "csrf_token": token,
            "source_system": "erp",
            "kind": "unit",
            "source_code": "X",
            "canonical_code": "Y",
        },
    )
    assert refused.status_code == 403


def test_staff_add_change_and_delete_a_code_mapping(staff, session):
    client = staff.test_client()
    sign_in(client, "buyer901@example.com")
    token = csrf_token(client, "/imports/mappings")
    form = {
        "csrf_token": token,
        "source_system": "crm",
        "kind": "status",
        "source_code": " HOLD ",
        "canonical_code": "received",
    }

    assert client.post("/imports/mappings", data=form).status_code == 302
    assert client.post("/imports/mappings", data={**form, "canonical_code": "confirmed"}).status_code == 302

    mapping = session.scalar(select(CodeMapping).where(CodeMapping.source_code == "HOLD"))
    assert (mapping.source_system.value, mapping.kind.value, mapping.canonical_code) == (
        "crm",
        "status",
        "confirmed",
    )
    assert "<code>HOLD</code>" in client.get("/imports/mappings").get_data(as_text=True)

    empty = client.post("/imports/mappings", data={**form, "source_code": ""})
    assert empty.status_code == 400
    assert 'value="received"' in empty.get_data(as_text=True)  # what was typed is kept

    assert (
        client.post(f"/imports/mappings/{mapping.id}/delete", data={"csrf_token": token}).status_code == 302
    )
    assert session.scalar(select(CodeMapping).where(CodeMapping.source_code == "HOLD")) is None


def test_the_derive_button_writes_a_draft_demand_plan_staff_can_publish(staff, session):
    from internal.models import ForecastPlan

    client = staff.test_client()
    sign_in(client, "buyer901@example.com")
    for system, paths in (
        ("erp", sorted((EXAMPLES / "erp").glob("*.csv"))),
        ("crm", [EXAMPLES / "crm.json"]),
        ("scm", sorted((EXAMPLES / "scm").glob("*.csv"))),
    ):
        upload(client, system, paths)
    token = csrf_token(client, "/forecast-plans")

    response = client.post("/forecast-plans/derive", data={"csrf_token": token, "weeks": "8"})

    assert response.status_code == 302
    plan = session.scalar(select(ForecastPlan).where(ForecastPlan.name == "Demand plan"))
    assert (plan.status.value, plan.weeks) == ("draft", 8)
    page = client.get("/forecast-plans").get_data(as_text=True)
    assert f'data-testid="plan-{plan.id}"' in page
    assert client.post("/forecast-plans/derive", data={"csrf_token": token}).status_code == 302


def test_a_viewer_cannot_derive_a_plan(staff):
    client = staff.test_client()
    sign_in(client, "viewer901@example.com")
    token = csrf_token(client, "/forecast-plans")
    assert client.post("/forecast-plans/derive", data={"csrf_token": token}).status_code == 403


def test_a_refused_jobs_errors_read_in_the_staff_members_language(staff, tmp_path):
    client = staff.test_client()
    sign_in(client, "buyer901@example.com")
    bad = tmp_path / "sites.csv"
    bad.write_text("code,name,kind,region\nX1,Somewhere,castle,EMEA\n")
    location = upload(client, "erp", [bad]).headers["Location"]

    page = client.get(location, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)

    assert "已拒绝" in page
    assert "应为 plant, warehouse 之一（或可由 kind 映射转换的代码），实际为 &#39;castle&#39;" in page
