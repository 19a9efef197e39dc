"""A service's refusal (validation and approval messages raised below the web layer) reads in the page's
language: the services raise translatable messages, and the pages word them for their reader."""

from __future__ import annotations

import html

import pytest

from tests.factories import PASSWORD, csrf_token, make_account, make_partner, make_purchase_order, sign_in

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def supplier(session, client):
    partner = make_partner(session, "SUP-471", "supplier")
    make_account(session, "u@sup471.example.com", partners=(partner,))
    sign_in(client, "u@sup471.example.com", headers=ZH)
    return partner


def shown(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


def test_a_rejected_line_without_a_reason_is_refused_in_chinese(session, client, supplier):
    make_purchase_order(session, "PO-471", supplier, lines=1)
    token = csrf_token(client, "/supplier/purchase-orders/PO-471")
    answer = client.post(
        "/supplier/purchase-orders/PO-471/lines/1",
        data={"action": "reject", "reason": "", "version": "1", "csrf_token": token},
        headers=ZH,
        follow_redirects=True,
    )
    page = shown(answer)
    assert "第 1 行：请说明拒绝该行的原因。" in page
    assert "Give a reason" not in page


def test_an_upload_of_the_wrong_kind_of_file_is_refused_in_chinese(client, supplier):
    from io import BytesIO

    answer = client.post(
        "/supplier/forecast/upload",
        data={
            "file": (BytesIO(b"sku;qty"), "commits.txt"),
            "csrf_token": csrf_token(client, "/supplier/forecast"),
        },
        headers=ZH,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400
    assert "commits.txt：请上传 .csv 或 .xlsx 文件。" in shown(answer)


def test_a_ship_notice_without_lines_is_refused_in_chinese(client, supplier):
    answer = client.post(
        "/supplier/ship-notices/new",
        data={
            "ship_date": "2026-12-01",
            "expected_arrival": "2026-12-03",
            "carrier": "DHL",
            "csrf_token": csrf_token(client, "/supplier/ship-notices/new"),
        },
        headers=ZH,
    )
    page = shown(answer)
    assert answer.status_code == 400
    assert "请至少添加一个要发货的采购订单行。" in page


def test_a_too_short_new_password_is_refused_in_chinese(client, supplier):
    answer = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "short",
            "confirm": "short",
            "csrf_token": csrf_token(client, "/account/password"),
        },
        headers=ZH,
    )
    assert answer.status_code == 400
    page = shown(answer)
    assert "至少" in page
    assert "characters" not in page
