"""Purchase orders as buyers follow them: the list, one order with the supplier's answers, a reminder."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from internal import purchasing
from internal.console.blueprints import PAGE_SIZE, console
from internal.console.roles import ANY_STAFF, MANAGERS, requires
from internal.web import after_commit, db_session, page_number
from portal.notifications import notify_purchase_order


@console.get("/purchase-orders")
@requires(*ANY_STAFF)
def purchase_orders() -> str:
    """Purchase orders with how far suppliers have answered them; filter by status or supplier."""
    status = request.args.get("status", "")
    supplier = request.args.get("supplier", "").strip()
    page = page_number()
    orders, total = purchasing.search_purchase_orders(
        db_session(), status=status, supplier=supplier, page=page, page_size=PAGE_SIZE
    )
    return render_template(
        "console/purchase_orders.html",
        orders=orders,
        status=status,
        supplier=supplier,
        statuses=list(purchasing.PurchaseOrderStatus),
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
    )


@console.get("/purchase-orders/<number>")
@requires(*ANY_STAFF)
def purchase_order(number: str) -> str:
    """One purchase order as the buyer sees it: every line with the supplier's answers."""
    order = purchasing.purchase_order_for_staff(db_session(), number)
    if order is None:
        abort(404)
    return render_template("console/purchase_order.html", order=order)


@console.post("/purchase-orders/<number>/notify")
@requires(*MANAGERS)
def notify_supplier(number: str) -> Response:
    """E-mail the supplier's users about this order, each through their own sharing policy."""
    supplier_id = purchasing.supplier_of(db_session(), number)
    if supplier_id is None:
        abort(404)
    change = "changed" if request.form.get("change") == "changed" else "new"
    after_commit(lambda: notify_purchase_order.delay(number, supplier_id, change))
    flash(_("The supplier's users are being e-mailed about %(number)s.", number=number), "success")
    return redirect(url_for("console.purchase_order", number=number))
