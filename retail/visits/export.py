"""A period's visit notes as CSV and XLSX, for the monthly report.

One row per saved note: day and time (Asia/Shanghai), manager, shop, what was done and seen,
follow-ups, whether the retailer confirmed, and the raw text as dictated. Column titles are in
the requested language; the content is as recorded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from retail.access import Principal
from retail.clock import local
from retail.i18n import t
from retail.models import Manager, VisitNote
from retail.visits.queries import visits_in_period
from retail.visits.records import TAGS, VisitView

COLUMNS = (
    "visited_at",
    "manager",
    "shop_code",
    "shop",
    "stock",
    "stock_outs",
    "price_tags",
    "tags",
    "remarks",
    "follow_ups",
    "confirmed",
    "raw_text",
)


def _manager_name(session: Session, note_id: int, language: str) -> str:
    note = session.get(VisitNote, note_id)
    manager = session.get(Manager, note.manager_id) if note else None
    if manager is None:
        return ""
    return manager.display_en if language == "en" else manager.display_zh


def _row(session: Session, visit: VisitView, language: str) -> list[str]:
    sep = t(language, "visit.list_sep")
    shop = (
        visit.retailer_name_en or visit.retailer_name if language == "en" else visit.retailer_name
    )
    return [
        local(visit.visited_at).strftime("%Y-%m-%d %H:%M"),
        _manager_name(session, visit.id, language),
        visit.retailer_code,
        shop,
        sep.join(f"{s.spec} {t(language, 'visit.qty', count=s.cartons)}" for s in visit.stock),
        sep.join(s.spec for s in visit.stock_outs),
        str(visit.price_tags or ""),
        sep.join(t(language, f"visit.tag.{tag}") for tag in TAGS if tag in visit.tags),
        "\n".join(f"{t(language, f'visit.tag.{kind}')}: {text}" for kind, text in visit.remarks),
        "\n".join(f"{due.isoformat()} {text}" for due, text in visit.follow_ups),
        local(visit.confirmed_at).strftime("%Y-%m-%d %H:%M") if visit.confirmed_at else "",
        visit.raw_text,
    ]


def export_rows(
    session: Session, principal: Principal, start: date, end: date, *, language: str
) -> tuple[list[str], list[list[str]]]:
    """Column titles and one row per saved visit of the principal's territory in the period."""
    header = [t(language, f"visit.export.{column}") for column in COLUMNS]
    visits = visits_in_period(session, principal, start, end)
    return header, [_row(session, visit, language) for visit in visits]


def to_csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[str]], *, title: str) -> bytes:
    """An XLSX workbook with one sheet: a bold header row, wrapped text, frozen header."""
    # Imported here: only the monthly export needs openpyxl, not every action or bot start.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_visits(
    session: Session,
    principal: Principal,
    start: date,
    end: date,
    *,
    language: str,
    path: Path,
) -> int:
    """Write the period's visits to ``path`` (``.csv`` or ``.xlsx``); how many rows."""
    header, rows = export_rows(session, principal, start, end, language=language)
    if path.suffix.lower() == ".xlsx":
        title = t(language, "visit.export.sheet", start=start.isoformat(), end=end.isoformat())
        path.write_bytes(to_xlsx(header, rows, title=title))
    elif path.suffix.lower() == ".csv":
        path.write_bytes(to_csv(header, rows))
    else:
        raise ValueError(f"unsupported export format: {path.suffix}")
    return len(rows)
