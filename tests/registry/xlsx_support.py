"""Hand-made XLSX workbooks: every part's XML as a test wants it (hostile ones included)."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def sheet_xml(rows: list[list[str]], *, before_data: str = "", inside_data: str = "") -> str:
    """A worksheet of inline strings, with extra XML before <sheetData> or after its rows."""
    body = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{_column(c)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
                                   for c, v in enumerate(cells, start=1)) + "</row>"
        for r, cells in enumerate(rows, start=1))
    return f'<worksheet xmlns="{MAIN}">{before_data}<sheetData>{body}{inside_data}</sheetData></worksheet>'


def workbook(sheet: str, shared_strings: str | None = None, extra_parts: dict[str, bytes] | None = None) -> bytes:
    overrides = [("/xl/workbook.xml", f"{CT}.sheet.main+xml"), ("/xl/worksheets/sheet1.xml", f"{CT}.worksheet+xml")]
    relationships = [("rId1", "worksheet", "worksheets/sheet1.xml")]
    if shared_strings is not None:
        overrides.append(("/xl/sharedStrings.xml", f"{CT}.sharedStrings+xml"))
        relationships.append(("rId2", "sharedStrings", "sharedStrings.xml"))
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides) + "</Types>"),
        "_rels/.rels": (f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                        'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                            '<sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG}">'
            + "".join(f'<Relationship Id="{i}" Type="{REL}/{t}" Target="{target}"/>' for i, t, target in relationships)
            + "</Relationships>"),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode() if isinstance(text, str) else text)
        for name, data in (extra_parts or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _column(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
