"""Euros as the building writes them: '1 234,50 €', typed '25' or '12,50'."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_AMOUNT = re.compile(r"^\d{1,7}(?:[.,]\d{1,2})?$")


_GROUP = "\u202f"  # what Babel's fr_FR puts between thousands, written here: reports print
# hundreds of amounts and Babel reads its locale data for each.


def _grouped(number: int) -> str:
    return f"{number:,}".replace(",", _GROUP)


def format_euros(cents: int) -> str:
    """'25 €', '1 234,50 €': whole euros without decimals, otherwise two."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    text = _grouped(euros) + (f",{rest:02d}" if rest else "")
    return f"{sign}{text}\u00a0€"


def parse_euros(text: str) -> int:
    """'25', '12,50', '12.5 €' as cents; ValueError in French for anything else."""
    cleaned = (text or "").replace("€", "").replace("\u00a0", "").replace(" ", "").strip()
    if not _AMOUNT.match(cleaned):
        raise ValueError("Indiquez un montant en euros, par exemple 25 ou 12,50.")
    try:
        return int(Decimal(cleaned.replace(",", ".")) * 100)
    except InvalidOperation:  # pragma: no cover (the pattern already checked it)
        raise ValueError("Indiquez un montant en euros, par exemple 25 ou 12,50.") from None


def format_percent(ratio: object) -> str:
    """'42 %' (French spacing); '—' when there is nothing to divide by."""
    if ratio is None:
        return "—"
    return _grouped(round(float(ratio) * 100)) + "\u202f%"


def decimal_comma(number: float, digits: int = 2) -> str:
    """'12,5', '1234,25': a number as a French spreadsheet reads it (no thousands separator)."""
    text = f"{number:.{digits}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")
