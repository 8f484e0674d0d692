"""CSV cells a spreadsheet shows and never evaluates."""

from __future__ import annotations

# What makes a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a formula: the
# OWASP "CSV Injection" list. A portal's reference of "=HYPERLINK(...)" would otherwise run on
# a finance clerk's machine when the reconciliation file is opened.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """``value`` as a CSV cell that a spreadsheet shows and never evaluates: text starting
    like a formula gets OWASP's leading single quote. Only text is touched, so a number
    (an amount, a negative one included) stays a number. Nothing is refused: a reference
    is the portal's own and must come back as sent (the JSON listing does), and free text
    may start a sentence with "-"."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
