"""Every CSV the project writes goes through here: cells a spreadsheet would run are disarmed.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, alone or before
one of them) is a formula to Excel, LibreOffice and Google Sheets: a song named
``=HYPERLINK(...)`` or a prompt starting ``@SUM(...)`` would run when the receipt is opened.
As OWASP recommends, such a cell gets a leading ``'`` (shown as text, never evaluated). A plain
number (``-0.15``, ``-5``) stays as it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["csv_text", "safe_cell"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> str:
    """``value`` as CSV cell text, with a leading ``'`` when a spreadsheet would evaluate it."""
    text = "" if value is None else str(value)
    if text.startswith(_TRIGGERS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV document (``\\n`` line ends), every cell through :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()
