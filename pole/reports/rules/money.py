"""Euros as the building writes them: '1 234,50 €', typed '25' or '12,50'."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal

_AMOUNT = re.compile(r"^\d{1,7}(?:[.,]\d{1,2})?$")


def format_euros(cents: int) -> str:
    """'25 €', '1 234,50 €': whole euros without decimals, otherwise two."""
    pattern = "#,##0" if cents % 100 == 0 else "#,##0.00"
    text = format_decimal(Decimal(cents) / 100, format=pattern, locale="fr_FR")
    return f"{text}\u00a0€"


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
    return format_decimal(round(float(ratio) * 100), format="#,##0", locale="fr_FR") + "\u202f%"


def decimal_comma(number: float, digits: int = 2) -> str:
    """'12,5', '1234,25': a number as a French spreadsheet reads it (no thousands separator)."""
    text = f"{number:.{digits}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")
