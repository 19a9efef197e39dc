"""The gate's explanations and band labels in the reader's language.

The gate (policies.explanations) says what a partner's agreement does as a code and parameters; this
module words each one, at render time, in the language of the page. Templates show them with the
``explained`` macro of ``_explained.html``; band values (low / ok / high ...) go through ``band_label``.
Nothing here imports the gate: an explanation is anything with ``code`` and ``params``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Protocol

import flask_babel
from babel.lists import format_list
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from internal.web.formats import translated


class Explained(Protocol):
    code: str
    params: tuple[tuple[str, Any], ...]


#: Field names as a partner reads them (the gate's datasets share field names across datasets).
FIELD_LABELS = {
    "sku": _l("Item code"),
    "item": _l("Description"),
    "uom": _l("Unit"),
    "site": _l("Site"),
    "week": _l("Week"),
    "qty": _l("Quantity"),
    "previous_qty": _l("Previous quantity"),
    "share_pct": _l("Your share"),
    "plan_version": _l("Plan version"),
    "published_at": _l("Publication time"),
    "frozen_until": _l("Frozen period"),
    "on_hand": _l("On hand"),
    "on_order": _l("On order"),
    "safety_stock": _l("Safety stock"),
    "days_of_supply": _l("Days of supply"),
    "as_of": _l("As of"),
    "lead_time_days": _l("Lead time"),
    "committed_qty": _l("Committed quantity"),
    "forecast_qty": _l("Forecast quantity"),
    "status": _l("Status"),
    "comment": _l("Comment"),
    "available": _l("Availability"),
    "customer": _l("Customer"),
    "issued_on": _l("Date used"),
    "unit_price": _l("Unit price"),
    "amount": _l("Amount"),
    "ship_from": _l("Shipping site"),
    "total_amount": _l("Order total"),
    "lines_total": _l("Lines total"),
    "promised_by": _l("Promised date"),
    "promised_date": _l("Promised date"),
    "shipped_qty": _l("Shipped quantity"),
    "need_by": _l("Need-by date"),
}

#: The band labels of the shipped policy; a label a policy invents is shown as written.
BAND_LABELS = {
    "out": _l("out of stock"),
    "low": _l("low"),
    "ok": _l("ok"),
    "high": _l("high"),
    "short": _l("short"),
    "long": _l("long"),
    "none": _l("on request"),
    "limited": _l("limited"),
    "available": _l("in stock"),
}

GRAINS = {"week": _l("week"), "month": _l("month"), "quarter": _l("quarter")}


def band_label(value: object) -> str:
    """A band value (``low``) in the reader's language; anything else as it is (a cell of every row)."""
    key = str(value)
    return str(translated(BAND_LABELS.get(key, key)))


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name.replace("_", " ")))


def _english() -> bool:
    locale = flask_babel.get_locale()
    return locale is None or locale.language == "en"


def _fields(names: Sequence[str], *, first: bool = True) -> str:
    """Field labels as a list in the reader's language; in English lower case but at a sentence's start."""
    labels = [field_label(n) for n in names]
    if _english():
        labels = [label if n == 0 and first else label.lower() for n, label in enumerate(labels)]
    return _listed(labels)


def _listed(items: Sequence[str]) -> str:
    return format_list(list(items), locale=flask_babel.get_locale() or "en") if items else ""


def _number(value: Any) -> str:
    return str(flask_babel.format_decimal(Decimal(str(value))))


def _band(label: str, lower: Any, upper: Any) -> Any:
    shown = band_label(label)
    if lower is None and upper is None:
        return shown
    if lower is None:
        return _("%(band)s up to %(upper)s", band=shown, upper=_number(upper))
    if upper is None:
        return _("%(band)s over %(lower)s", band=shown, lower=_number(lower))
    return _(
        "%(band)s over %(lower)s up to %(upper)s", band=shown, lower=_number(lower), upper=_number(upper)
    )


def sentence(explanation: Explained) -> str:
    """One explanation as a sentence in the reader's language."""
    return str(_worded(explanation))


def _worded(explanation: Explained) -> Any:
    p = dict(explanation.params)
    names = tuple(p.get("fields", ()))
    n = len(names)
    fields = _fields(names)
    match explanation.code:
        case "round.nearest":
            return ngettext(
                "%(fields)s is rounded to the nearest %(step)s.",
                "%(fields)s are rounded to the nearest %(step)s.",
                n,
                fields=fields,
                step=_number(p["step"]),
            )
        case "round.floor":
            return ngettext(
                "%(fields)s is rounded down to a multiple of %(step)s.",
                "%(fields)s are rounded down to multiples of %(step)s.",
                n,
                fields=fields,
                step=_number(p["step"]),
            )
        case "band":
            bands = _listed([str(_band(*band)) for band in p["bands"]])
            return ngettext(
                "%(fields)s is shown as a band: %(bands)s.",
                "%(fields)s are shown as bands: %(bands)s.",
                n,
                fields=fields,
                bands=bands,
            )
        case "cap":
            return ngettext(
                "%(fields)s is shown up to %(limit)s at most.",
                "%(fields)s are shown up to %(limit)s at most.",
                n,
                fields=fields,
                limit=_number(p["limit"]),
            )
        case "generalize.region":
            return ngettext(
                "%(fields)s is shown as its region only.",
                "%(fields)s are shown as their regions only.",
                n,
                fields=fields,
            )
        case "generalize.week":
            return ngettext(
                "%(fields)s is shown as its week only.",
                "%(fields)s are shown as their weeks only.",
                n,
                fields=fields,
            )
        case "generalize.month":
            return ngettext(
                "%(fields)s is shown as its month only.",
                "%(fields)s are shown as their months only.",
                n,
                fields=fields,
            )
        case "delay":
            return ngettext(
                "%(fields)s is shown only once it is %(days)s days old.",
                "%(fields)s are shown only once they are %(days)s days old.",
                n,
                fields=fields,
                days=p["days"],
            )
        case "mask":
            return ngettext(
                "%(fields)s is masked but for its last %(keep)s characters.",
                "%(fields)s are masked but for their last %(keep)s characters.",
                n,
                fields=fields,
                keep=p["keep"],
            )
        case "pseudonymize":
            return ngettext(
                "%(fields)s is shown under pseudonyms that only you receive.",
                "%(fields)s are shown under pseudonyms that only you receive.",
                n,
                fields=fields,
            )
        case "hidden":
            return ngettext(
                "%(fields)s is not shared with you.", "%(fields)s are not shared with you.", n, fields=fields
            )
        case "horizon":
            return ngettext("You see %(num)d week ahead.", "You see %(num)d weeks ahead.", int(p["weeks"]))
        case "aggregate":
            return _aggregate(p)
        case "nothing":
            return _("None of this is shared with you.")
    return explanation.code  # a code this layer does not know yet: shown rather than hidden


def _aggregate(p: dict[str, Any]) -> Any:
    by = _fields(tuple(p["by"]), first=False)
    grain = GRAINS.get(p["grain"])
    if by and grain is not None:
        text = _("Figures are summed per %(fields)s and per %(grain)s.", fields=by, grain=grain)
    elif by:
        text = _("Figures are summed per %(fields)s.", fields=by)
    elif grain is not None:
        text = _("Figures are summed per %(grain)s.", grain=grain)
    else:
        text = _("Figures are summed together.")
    if int(p["min_group"]) > 1:
        text += " " + _(
            "Groups of fewer than %(num)d entries are merged into “other”.", num=int(p["min_group"])
        )
    return text


def sentences(*disclosures: Any) -> list[str]:
    """The explanations of one or more disclosures (anything with ``notes``), each sentence once."""
    found: list[str] = []
    for disclosure in disclosures:
        notes: Iterable[Explained] = getattr(disclosure, "notes", ()) or ()
        for note in notes:
            text = sentence(note)
            if text not in found:
                found.append(text)
    return found
