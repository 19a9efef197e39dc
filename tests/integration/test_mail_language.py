"""E-mails go out in the recipient's saved language, through a real SMTP server; the language is kept on
the account (chosen on the account page, or taken from the browser at a first sign-in)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from internal.models import Account
from tests.conftest import app_config
from tests.factories import csrf_token, make_account, make_partner, make_purchase_order, sign_in
from tests.smtp_sink import smtp_sink  # noqa: F401 - pytest fixture

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def apps(connection, smtp_sink):  # noqa: F811 - the fixture above
    import internal
    import portal

    inbox, port = smtp_sink
    config = app_config(connection, SMTP_HOST="127.0.0.1", SMTP_PORT=port, EXTRANET_URL="http://portal.test")
    return internal.create_app(config), portal.create_app(config), inbox


def test_a_chinese_partner_admins_invitation_arrives_in_chinese(apps, session):
    _console, extranet, inbox = apps
    partner = make_partner(session, "SUP-451", "supplier")
    make_account(
        session, "admin@sup451.example.com", partners=(partner,), role="partner_admin", locale="zh_CN"
    )
    admin = extranet.test_client()
    sign_in(admin, "admin@sup451.example.com")
    answer = admin.post(
        "/team",
        data={"email": "new@sup451.example.com", "role": "user", "csrf_token": csrf_token(admin, "/team")},
    )
    assert answer.status_code == 302

    (mail,) = inbox.wait_for(1)
    assert mail["To"] == "new@sup451.example.com"
    assert mail["Subject"] == "您受邀加入SUP-451 Industries的合作伙伴门户"
    body = mail.get_content()
    assert "您受邀以SUP-451 Industries（SUP-451）成员的身份加入我们的合作伙伴门户。" in body
    assert "http://portal.test/invitation/" in body
    assert "You have been invited" not in body


def test_an_existing_chinese_account_invited_by_english_staff_reads_chinese(apps, session):
    console, _extranet, inbox = apps
    make_partner(session, "SUP-452", "supplier")
    make_account(session, "known@example.com", locale="zh_CN")
    make_account(session, "buyer452@example.com", staff_role="buyer", locale="en")
    staff = console.test_client()
    sign_in(staff, "buyer452@example.com")
    staff.post(
        "/partners/SUP-452",
        data={
            "email": "known@example.com",
            "role": "user",
            "csrf_token": csrf_token(staff, "/partners/SUP-452"),
        },
    )
    (mail,) = inbox.wait_for(1)
    assert mail["Subject"] == "您受邀加入SUP-452 Industries的合作伙伴门户"


def test_a_purchase_order_notice_reaches_each_user_in_their_own_language(apps, session):
    console, _extranet, inbox = apps
    supplier = make_partner(session, "SUP-453", "supplier")
    make_account(session, "zh@sup453.example.com", partners=(supplier,), locale="zh_CN")
    make_account(session, "en@sup453.example.com", partners=(supplier,))
    make_purchase_order(session, "PO-453", supplier, lines=1)
    make_account(session, "buyer453@example.com", staff_role="buyer")
    staff = console.test_client()
    sign_in(staff, "buyer453@example.com")
    staff.post("/purchase-orders/PO-453/notify", data={"csrf_token": csrf_token(staff, "/")})

    mails = {m["To"]: m for m in inbox.wait_for(2)}
    chinese, english = mails["zh@sup453.example.com"], mails["en@sup453.example.com"]
    assert chinese["Subject"] == "新采购订单 PO-453"
    assert "请在合作伙伴门户中逐行确认：" in chinese.get_content()
    assert "需求日期" in chinese.get_content()
    assert english["Subject"] == "New purchase order PO-453"
    assert "Please acknowledge each line in the partner portal:" in english.get_content()


def test_a_first_sign_in_from_a_chinese_browser_saves_chinese_and_the_account_page_changes_it(apps, session):
    _console, extranet, _inbox = apps
    partner = make_partner(session, "SUP-454", "supplier")
    account = make_account(session, "first@sup454.example.com", partners=(partner,))
    assert account.locale is None
    user = extranet.test_client()
    token = csrf_token(user, "/login")
    signed = user.post(
        "/login",
        data={"email": account.email, "password": "correct-horse-battery", "csrf_token": token},
        headers=ZH,
    )
    assert signed.status_code == 302
    assert session.scalar(select(Account.locale).where(Account.id == account.id)) == "zh_CN"

    page = user.get("/account").get_data(as_text=True)
    assert 'data-testid="account-language"' in page
    assert '<option value="zh_CN" lang="zh-CN" selected>' in page
    changed = user.post(
        "/language", data={"locale": "en", "next": "/account", "csrf_token": csrf_token(user, "/account")}
    )
    assert changed.headers["Location"].endswith("/account")
    assert session.scalar(select(Account.locale).where(Account.id == account.id)) == "en"


def test_an_english_browser_leaves_the_language_unset_at_the_default(apps, session):
    _console, extranet, _inbox = apps
    partner = make_partner(session, "SUP-455", "supplier")
    account = make_account(session, "first@sup455.example.com", partners=(partner,))
    sign_in(extranet.test_client(), account.email, headers={"Accept-Language": "en"})
    assert session.scalar(select(Account.locale).where(Account.id == account.id)) is None


def test_the_forecast_notice_and_the_service_reply_are_written_in_the_recipients_language():
    import datetime as dt
    from decimal import Decimal

    from internal.languages import Language
    from portal.notifications import _forecast_text, _service_reply_text

    row = {
        "plan_version": 3,
        "sku": "CP-1",
        "site": "PL01",
        "week": dt.date(2026, 12, 7),
        "qty": Decimal(120),
        "previous_qty": Decimal(100),
        "uom": "EA",
    }
    subject, text = _forecast_text((row,), False, "http://portal.test/supplier/forecast", Language("zh_CN"))
    assert subject == "需求计划第 3 版已发布"
    assert "2026-12-07 当周：120 EA（原为 100）" in text
    assert "请在合作伙伴门户中查看预测并作出承诺：" in text
    english, _text = _forecast_text((row,), True, "http://x", Language(None))
    assert english == "Demand plan version 3 is published"

    request = {"number": "SR-1", "subject": "Damaged box"}
    subject, text = _service_reply_text(
        request, {"body": "We send a new one."}, "http://x", Language("zh_CN")
    )
    assert subject == "您的服务请求 SR-1 有新回复：Damaged box"
    assert "我们的服务团队已回复您的请求 SR-1（Damaged box）：" in text
    assert "We send a new one." in text  # the reply itself is the service team's own words
