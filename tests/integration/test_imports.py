"""Imports from the three source dialects: translated codes, all-or-nothing files, honest counts."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, text

from internal.integration.load import load_files
from internal.integration.problems import ImportRefused
from internal.models import (
    BomLine,
    CodeKind,
    CodeMapping,
    Item,
    PartnerContact,
    PurchaseOrder,
    SalesOrder,
    SalesOrderEvent,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
    Site,
    SourceSystem,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"
ERP = sorted((EXAMPLES / "erp").glob("*.csv"))
CRM = [EXAMPLES / "crm.json"]
SCM = sorted((EXAMPLES / "scm").glob("*.csv"))


def files(paths: list[Path]) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in paths]


def load_examples(session) -> dict[str, dict[str, int]]:
    counts = {}
    for system, paths in ((SourceSystem.erp, ERP), (SourceSystem.crm, CRM), (SourceSystem.scm, SCM)):
        result = load_files(session, system, files(paths))
        counts |= {kind: vars(c) for kind, c in result.counts.items()}
    return counts


def snapshot(session) -> dict[str, list[tuple]]:
    """Every row of the tables an import writes, to compare before and after."""
    tables = [
        "site",
        "item",
        "partner",
        "bom_line",
        "inventory_position",
        "purchase_order",
        "purchase_order_line",
        "partner_contact",
        "sales_order",
        "sales_order_line",
        "sales_order_event",
        "shipment",
        "shipment_line",
        "invoice",
        "service_request",
        "source_list_entry",
        "forecast_plan",
        "forecast_bucket",
    ]
    return {t: session.execute(text(f"SELECT * FROM {t} ORDER BY id")).all() for t in tables}  # noqa: S608


def test_the_example_files_load_with_their_codes_translated(session):
    counts = load_examples(session)

    assert counts["items"]["added"] == 5
    assert counts["sales_order_lines"]["added"] == 1
    assert (counts["shipments"]["added"], counts["shipment_lines"]["added"]) == (1, 1)
    assert counts["forecast"]["added"] == 3
    seal = session.scalar(select(Item).where(Item.sku == "EX-SEAL-400"))
    assert (seal.uom, seal.kind.value, seal.standard_cost) == ("EA", "component", Decimal("22.40"))
    assert session.scalar(select(Item.uom).where(Item.sku == "EX-STEEL-500")) == "KG"
    assert session.scalar(select(Site.kind).where(Site.code == "EX02")).value == "warehouse"
    order = session.scalar(select(SalesOrder).where(SalesOrder.number == "EX-SO-7001"))
    assert order.status.value == "confirmed"
    assert [
        e.status.value for e in session.scalars(select(SalesOrderEvent).order_by(SalesOrderEvent.at))
    ] == [
        "received",
        "confirmed",
    ]
    assert session.scalar(select(PartnerContact.email)) == "li.wang@water.example.com"
    assert (
        session.scalar(select(PurchaseOrder.status).where(PurchaseOrder.number == "EX-PO-9001")).value
        == "open"
    )
    assert session.scalar(select(BomLine.qty_per).where(BomLine.qty_per > 3)) == Decimal("3.5")
    shipped = session.execute(
        select(Shipment.number, SalesOrder.number, SalesOrderLine.line_no, ShipmentLine.qty)
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .join(SalesOrderLine, SalesOrderLine.id == ShipmentLine.order_line_id)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
    ).all()
    assert shipped == [("EX-SH-8001", "EX-SO-7001", 1, Decimal("2.000"))]


def test_reimporting_unchanged_files_adds_and_changes_nothing(session):
    load_examples(session)
    before = snapshot(session)

    again = load_examples(session)

    assert {k: (c["added"], c["changed"]) for k, c in again.items()} == dict.fromkeys(again, (0, 0))
    assert again["items"]["unchanged"] == 5
    assert again["sales_order_events"]["unchanged"] == 2
    assert again["shipment_lines"]["unchanged"] == 1
    assert snapshot(session) == before


def test_a_file_with_one_bad_row_is_refused_whole_and_the_database_is_unchanged(session):
    load_examples(session)
    before = snapshot(session)
    items = (EXAMPLES / "erp" / "items.csv").read_text().splitlines()
    # Row 3 changes a price (valid), row 5 has a cost that is not a number: neither may be written.
    items[2] = items[2].replace("120.00", "130.00")
    items[4] = items[4].replace("22.40", '"22,40"')
    items.append("EX-NEW-600,A new item,component,PCS,1.00,EUR,true")

    with pytest.raises(ImportRefused) as refused:
        load_files(session, SourceSystem.erp, [("items.csv", "\n".join(items).encode())])

    (problem,) = refused.value.problems
    assert (problem.file, problem.where, problem.field) == ("items.csv", "row 5", "standard_cost")
    assert str(problem) == "items.csv, row 5, standard_cost: expected a number, got '22,40'"
    assert snapshot(session) == before


def test_errors_in_json_name_the_path_and_every_bad_field_is_listed(session):
    load_examples(session)
    before = snapshot(session)
    document = (EXAMPLES / "crm.json").read_text()
    document = document.replace('"qty": 5', '"qty": -5').replace(
        '"item": "EX-PUMP-100", "qty"', '"item": "NOPE", "qty"'
    )

    with pytest.raises(ImportRefused) as refused:
        load_files(session, SourceSystem.crm, [("crm.json", document.encode())])

    shown = sorted(str(p) for p in refused.value.problems)
    assert shown == [
        "crm.json, $.sales_orders[0].lines[0], item: "
        "'NOPE' is not a known item, in the database or in this file",
        "crm.json, $.sales_orders[0].lines[0], qty: expected 0.001 or more, got '-5'",
    ]
    assert snapshot(session) == before


def crm_document() -> dict:
    return json.loads((EXAMPLES / "crm.json").read_text())


def with_second_order(document: dict) -> dict:
    """The example with another order of the same customer, two lines long, and a shipment of it."""
    second = json.loads(json.dumps(document["sales_orders"][0]))
    second["number"] = "EX-SO-7002"
    second["lines"] = [{**second["lines"][0], "line_no": n} for n in (1, 2)]
    document["sales_orders"].append(second)
    document["shipments"].append(
        {**document["shipments"][0], "number": "EX-SH-8002", "order": "EX-SO-7002", "lines": []}
    )
    document["shipments"][1]["lines"] = [{"order_line": 2, "qty": 1}]
    return document


@pytest.mark.parametrize(
    ("order_line", "second_order"),
    [
        (5, False),  # no order has a line 5
        (2, True),  # line 2 is a line of the other order (in the database and in the file), not this one's
    ],
)
def test_a_shipment_line_not_of_the_shipments_order_refuses_the_whole_file(session, order_line, second_order):
    load_examples(session)
    load_files(
        session, SourceSystem.crm, [("crm.json", json.dumps(with_second_order(crm_document())).encode())]
    )
    before = snapshot(session)
    document = with_second_order(crm_document()) if second_order else crm_document()
    # A valid change beside the bad line: neither may be written.
    document["shipments"][0]["carrier"] = "Kuehne+Nagel"
    document["shipments"][0]["lines"].append({"order_line": order_line, "qty": 1})

    with pytest.raises(ImportRefused) as refused:
        load_files(session, SourceSystem.crm, [("crm.json", json.dumps(document).encode())])

    (problem,) = refused.value.problems
    assert str(problem) == (
        f"crm.json, $.shipments[0].lines[1], order_line: {order_line} is not a line of sales order "
        "EX-SO-7001; expected one of its lines: 1"
    )
    assert snapshot(session) == before


def test_a_shipment_line_is_checked_against_the_order_lines_the_file_holds_else_the_databases(session):
    load_examples(session)
    document = crm_document()
    document["sales_orders"][0]["lines"].append({**document["sales_orders"][0]["lines"][0], "line_no": 2})
    load_files(session, SourceSystem.crm, [("crm.json", json.dumps(document).encode())])
    # A file of shipments alone: their orders' lines are the database's, where line 2 exists.
    shipments_only = {"shipments": crm_document()["shipments"]}
    shipments_only["shipments"][0]["lines"].append({"order_line": 2, "qty": 1})

    result = load_files(session, SourceSystem.crm, [("shipments.json", json.dumps(shipments_only).encode())])

    assert (result.counts["shipment_lines"].added, result.counts["shipment_lines"].unchanged) == (1, 1)
    before = snapshot(session)
    # The file holds the order without line 2 (so line 2 is missing, and may be removed): a shipment
    # line of the same file cannot name it.
    document = crm_document()
    document["shipments"][0]["lines"].append({"order_line": 2, "qty": 1})

    with pytest.raises(ImportRefused) as refused:
        load_files(
            session, SourceSystem.crm, [("crm.json", json.dumps(document).encode())], remove_missing=True
        )

    (problem,) = refused.value.problems
    assert str(problem) == (
        "crm.json, $.shipments[0].lines[1], order_line: 2 is not a line of sales order EX-SO-7001; "
        "expected one of its lines: 1"
    )
    assert snapshot(session) == before


def test_shipment_lines_are_checked_field_by_field_and_once_per_order_line(session):
    load_examples(session)
    before = snapshot(session)
    document = crm_document()
    document["shipments"][0]["lines"] = [
        {"order_line": 1, "qty": 0},
        {"order_line": "first", "qty": 1},
        {"order_line": 1, "qty": 1, "item": "EX-PUMP-100"},
    ]

    with pytest.raises(ImportRefused) as refused:
        load_files(session, SourceSystem.crm, [("crm.json", json.dumps(document).encode())])

    assert sorted(str(p) for p in refused.value.problems) == [
        "crm.json, $.shipments[0].lines[0], qty: expected 0.001 or more, got '0'",
        "crm.json, $.shipments[0].lines[1], order_line: expected a whole number, got 'first'",
        "crm.json, $.shipments[0].lines[2], item: unknown column; expected some of shipment, order_line, qty",
        "crm.json, $.shipments[0].lines[2], shipment, order_line: "
        "the same shipment, order_line appears again (first at $.shipments[0].lines[0])",
    ]
    assert snapshot(session) == before


def test_shipment_lines_are_upserted_and_missing_ones_removed_only_when_asked(session):
    load_examples(session)
    document = with_second_order(crm_document())
    document["shipments"][1]["lines"] = [{"order_line": 1, "qty": 1}, {"order_line": 2, "qty": 4}]
    load_files(session, SourceSystem.crm, [("crm.json", json.dumps(document).encode())])
    document["shipments"][0]["lines"][0]["qty"] = 3
    del document["shipments"][1]["lines"][0]

    result = load_files(session, SourceSystem.crm, [("crm.json", json.dumps(document).encode())])

    assert vars(result.counts["shipment_lines"]) == {
        "added": 0,
        "changed": 1,
        "unchanged": 1,
        "missing": 1,
        "removed": 0,
    }
    (warning,) = result.warnings
    assert "For example: shipment EX-SH-8002, order_line 1" in str(warning)
    quantities = session.execute(
        select(Shipment.number, SalesOrderLine.line_no, ShipmentLine.qty)
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .join(SalesOrderLine, SalesOrderLine.id == ShipmentLine.order_line_id)
        .order_by(Shipment.number, SalesOrderLine.line_no)
    ).all()
    assert quantities == [
        ("EX-SH-8001", 1, Decimal("3.000")),
        ("EX-SH-8002", 1, Decimal("1.000")),
        ("EX-SH-8002", 2, Decimal("4.000")),
    ]

    removed = load_files(
        session, SourceSystem.crm, [("crm.json", json.dumps(document).encode())], remove_missing=True
    )

    assert (removed.counts["shipment_lines"].missing, removed.counts["shipment_lines"].removed) == (1, 1)
    assert session.scalar(select(func.count()).select_from(ShipmentLine)) == 2


def test_a_changed_file_updates_only_what_changed_and_reports_missing_rows(session):
    load_examples(session)
    lines = (EXAMPLES / "erp" / "items.csv").read_text().splitlines()
    changed = [lines[0], lines[1].replace("850.00", "875.00"), *lines[2:4]]  # drops two items

    result = load_files(session, SourceSystem.erp, [("items.csv", "\n".join(changed).encode())])

    assert vars(result.counts["items"]) == {
        "added": 0,
        "changed": 1,
        "unchanged": 2,
        "missing": 2,
        "removed": 0,
    }
    assert session.scalar(select(Item.standard_cost).where(Item.sku == "EX-PUMP-100")) == Decimal("875.00")
    assert session.scalar(select(Item.id).where(Item.sku == "EX-STEEL-500")) is not None
    (warning,) = result.warnings
    assert str(warning) == (
        "items.csv, items: 2 rows are in the database but not in the file; kept. "
        "For example: sku EX-SEAL-400; sku EX-STEEL-500"
    )


def test_missing_child_rows_are_named_by_their_codes_within_the_orders_of_the_file(session):
    load_examples(session)
    lines = (EXAMPLES / "erp" / "purchase_order_lines.csv").read_text().splitlines()
    lines.append("EX-PO-9001,2,EX-CAST-300,10,93.00,2026-12-28,0,0")
    load_files(session, SourceSystem.erp, [("purchase_order_lines.csv", "\n".join(lines).encode())])

    result = load_files(
        session, SourceSystem.erp, [("purchase_order_lines.csv", "\n".join(lines[:2]).encode())]
    )

    assert result.counts["purchase_order_lines"].missing == 1
    assert "For example: order EX-PO-9001, line_no 2" in str(result.warnings[0])


def test_missing_rows_are_removed_only_when_asked(session):
    load_examples(session)
    bom = (EXAMPLES / "erp" / "bom.csv").read_text().splitlines()

    result = load_files(
        session, SourceSystem.erp, [("bom.csv", "\n".join(bom[:-1]).encode())], remove_missing=True
    )

    assert (result.counts["bom"].missing, result.counts["bom"].removed) == (1, 1)
    assert session.scalar(select(BomLine.id).where(BomLine.qty_per == Decimal("3.5"))) is None


def test_a_changed_purchase_order_is_a_new_revision(session):
    load_examples(session)
    header = (EXAMPLES / "erp" / "purchase_orders.csv").read_text().replace("OPEN", "ACK")

    load_files(session, SourceSystem.erp, [("purchase_orders.csv", header.encode())])

    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == "EX-PO-9001"))
    session.refresh(order)
    assert (order.status.value, order.revision) == ("acknowledged", 2)


def test_an_erp_workbook_loads_one_sheet_per_record(session):
    book = Workbook()
    book.remove(book.active)
    for path in ERP:
        sheet = book.create_sheet(path.stem)
        for line in path.read_text().splitlines():
            sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)

    result = load_files(session, SourceSystem.erp, [("erp-export.xlsx", buffer.getvalue())])

    assert result.counts["bom"].added == 5
    assert session.scalar(select(Item.uom).where(Item.sku == "EX-PUMP-100")) == "EA"


def test_a_mapping_staff_added_translates_a_new_source_code(session):
    session.add(
        CodeMapping(
            source_system=SourceSystem.erp, kind=CodeKind.unit, source_code="BX", canonical_code="BOX"
        )
    )
    session.add(
        CodeMapping(
            source_system=SourceSystem.erp, kind=CodeKind.item, source_code="4711", canonical_code="EX-4711"
        )
    )
    session.flush()
    csv = "sku,name,kind,uom,standard_cost\n4711,Boxed gaskets,component,BX,3.10\n"

    load_files(session, SourceSystem.erp, [("items.csv", csv.encode())])

    assert session.scalar(select(Item.uom).where(Item.sku == "EX-4711")) == "BOX"


def test_an_unknown_column_and_a_missing_one_are_said_once(session):
    csv = "sku,name,colour,uom,standard_cost\nA-1,Thing,red,EA,1\nA-2,Other,blue,EA,2\n"

    with pytest.raises(ImportRefused) as refused:
        load_files(session, SourceSystem.erp, [("items.csv", csv.encode())])

    assert sorted((p.field, p.key) for p in refused.value.problems) == [
        ("colour", "unknown_column"),
        ("kind", "missing_column"),
    ]


def test_shares_of_an_items_suppliers_must_add_up_to_100(session):
    load_examples(session)
    source = (EXAMPLES / "scm" / "source_list.csv").read_text().replace(",70,", ",60,")

    with pytest.raises(ImportRefused) as refused:
        load_files(session, SourceSystem.scm, [("source_list.csv", source.encode())])

    (problem,) = refused.value.problems
    assert (problem.field, problem.params["total"]) == ("share_pct", Decimal(90))


def test_a_job_records_progress_and_counts_and_a_second_delivery_does_nothing(session):
    from internal.integration import service
    from internal.models import ImportJob

    job = service.start_import(session, "erp", [(p.name, p) for p in ERP])
    checkpoints = []

    status = service.run_job(session, job.id, checkpoint=lambda: checkpoints.append(job.rows_done))

    assert status.value == "loaded"
    assert (job.rows_done, job.rows_total) == (19, 19)
    assert checkpoints[0] == 0
    assert len(checkpoints) > 2
    assert job.counts["items"] == {"added": 5, "changed": 0, "unchanged": 0, "missing": 0, "removed": 0}
    assert service.summary(job)["added"] == 19
    # Redelivered after it ran (a worker lost before acknowledging): the finished job is left alone.
    assert service.run_job(session, job.id, checkpoint=lambda: checkpoints.append(-1)).value == "loaded"
    assert -1 not in checkpoints
    assert session.get(ImportJob, job.id).counts["items"]["added"] == 5


def test_a_refused_job_keeps_its_errors_for_the_console(session, tmp_path):
    from internal.integration import service

    bad = tmp_path / "items.csv"
    bad.write_text("sku,name,kind,uom,standard_cost\nA-1,Thing,gadget,EA,1\n")
    job = service.start_import(session, "erp", [("items.csv", bad)])

    assert service.run_job(session, job.id, checkpoint=session.flush).value == "refused"

    (problem,) = service.problems_of(job)
    assert str(problem) == (
        "items.csv, row 2, kind: expected one of finished, component, raw (or a code the kind mapping "
        "translates), got 'gadget'"
    )
    assert session.scalar(select(Item.id).where(Item.sku == "A-1")) is None


def test_a_job_cut_short_by_a_lost_worker_runs_again_to_the_same_result(session, tmp_path):
    from internal.integration import service
    from internal.models import ImportStatus

    items = tmp_path / "items.csv"
    lines = (EXAMPLES / "erp" / "items.csv").read_text().splitlines()
    items.write_text("\n".join(lines))
    job = service.start_import(session, "erp", [("items.csv", items)])
    # The worker died after writing some rows: they are committed, the job still says running.
    load_files(session, SourceSystem.erp, [("items.csv", "\n".join(lines[:3]).encode())])
    job.status = ImportStatus.running
    session.flush()

    assert service.run_job(session, job.id, checkpoint=session.flush).value == "loaded"

    assert job.counts["items"] == {"added": 3, "changed": 0, "unchanged": 2, "missing": 0, "removed": 0}
    assert session.scalar(select(func.count()).select_from(Item).where(Item.sku.like("EX-%"))) == 5
