#!/usr/bin/env python3
"""Renders the demo documents kept as simple Markdown under sources/.

    make_docs.py pdf  SOURCE.md OUT.pdf   # A4 PDF, CJK TrueType subset with ToUnicode
    make_docs.py docx SOURCE.md OUT.docx  # Word document (eastAsia fonts set)

Only a small Markdown subset is understood: "# " and "## " headings, "- " and
"1. " list items, "> " quotes, "---" rules, **bold** (rendered plain in the PDF)
and paragraphs separated by blank lines. Outputs carry fixed dates so that a
rerun gives the same bytes where the libraries allow it.

Needs: python3, pip packages fpdf2 (>= 2.7) and python-docx (>= 1.0), Debian
package fonts-wqy-microhei (TrueType outlines, so the PDF gets a real text layer).
"""

import datetime
import io
import os
import re
import sys
import tempfile
import zipfile

FONT_TTC = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
NO_LINE_START = "，。、；：！？）」』”’》〉】…%"
FIXED = datetime.datetime(2024, 1, 1, 8, 0, 0, tzinfo=datetime.timezone.utc)
# fontTools stamps the embedded font subset with this time instead of "now".
os.environ.setdefault("SOURCE_DATE_EPOCH", str(int(FIXED.timestamp())))


def blocks(path):
    """Yields (kind, text) with kind in h1, h2, li, quote, rule, p."""
    text = open(path, encoding="utf-8").read()
    for raw in re.split(r"\n\s*\n", text.strip()):
        raw_lines = raw.split("\n")
        lines = [l.rstrip() for l in raw_lines]
        if lines[0].startswith("- ") or re.match(r"\d+\. ", lines[0]):
            for line in lines:
                yield "li", line.strip()
            continue
        joined = "".join(l.strip().rstrip("\\") for l in lines)
        # Markdown hard breaks ("  " at line end) become separate paragraphs.
        if any(l.endswith("  ") for l in raw_lines[:-1]):
            for line in lines:
                yield "p", line.strip()
            continue
        if joined.startswith("## "):
            yield "h2", joined[3:]
        elif joined.startswith("# "):
            yield "h1", joined[2:]
        elif joined.startswith("> "):
            yield "quote", joined[2:]
        elif joined == "---":
            yield "rule", ""
        else:
            yield "p", joined


def plain(text):
    return text.replace("**", "")


def ttf_from_ttc(tmpdir):
    """fpdf2 wants a single font: take face 0 of the collection."""
    from fontTools.ttLib import TTFont

    out = os.path.join(tmpdir, "wqy-microhei.ttf")
    TTFont(FONT_TTC, fontNumber=0, recalcTimestamp=False).save(out)
    return out


def make_pdf(src, out):
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    with tempfile.TemporaryDirectory() as tmp:
        pdf = FPDF(format="A4")
        pdf.set_creation_date(FIXED)
        pdf.set_title(os.path.splitext(os.path.basename(src))[0])
        pdf.set_author("警示教育资源库（示例）")
        pdf.set_subject("示例材料：演示用虚构文本")
        pdf.set_lang("zh-CN")
        pdf.add_font("cjk", "", ttf_from_ttc(tmp))
        pdf.set_margins(22, 20, 22)
        pdf.set_auto_page_break(True, margin=20)
        pdf.add_page()

        def lines_of(text, width):
            """Breaks CJK text by characters; closing punctuation may hang."""
            lines, line = [], ""
            for ch in text:
                if line and pdf.get_string_width(line + ch) > width and ch not in NO_LINE_START:
                    lines.append(line)
                    line = ""
                line += ch
            return lines + [line]

        def para(text, size, h, indent=0, gap=2.0, colour=(0, 0, 0), align="L"):
            pdf.set_font("cjk", size=size)
            pdf.set_text_color(*colour)
            width = pdf.epw - indent
            for line in lines_of(plain(text), width - 1):
                pdf.set_x(pdf.l_margin + indent)
                pdf.cell(width, h, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(gap)

        for kind, text in blocks(src):
            if kind == "h1":
                para(text, 16, 9, gap=4, align="C")
            elif kind == "h2":
                pdf.ln(2)
                para(text, 13, 7.5, gap=2, align="L")
            elif kind == "li":
                para(text, 11, 6.5, indent=4, gap=1)
            elif kind == "quote":
                para(text, 10, 6, indent=6, colour=(90, 90, 90))
            elif kind == "rule":
                pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
                pdf.ln(3)
            elif text.startswith("【示例材料】"):
                para(text, 10, 6, colour=(160, 20, 20), align="L")
            else:
                para(text, 11, 6.5)
        pdf.output(out)
    return out


def make_docx(src, out):
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    doc = Document()
    props = doc.core_properties
    props.author = "警示教育资源库（示例）"
    props.title = os.path.splitext(os.path.basename(src))[0]
    props.comments = "示例材料：演示用虚构文本"
    props.created = props.modified = FIXED.replace(tzinfo=None)
    props.last_modified_by = "make_docs.py"
    props.revision = 1

    for style in ("Normal", "Heading 1", "Heading 2", "Title", "List Bullet", "List Number", "Quote"):
        st = doc.styles[style]
        st.font.name = "SimSun" if style in ("Normal", "Quote") else "SimHei"
        st.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), st.font.name)

    def runs(p, text):
        parts = re.split(r"(\*\*[^*]+\*\*)", text)
        for part in parts:
            if not part:
                continue
            bold = part.startswith("**") and part.endswith("**")
            r = p.add_run(part[2:-2] if bold else part)
            r.bold = bold or None
        return p

    for kind, text in blocks(src):
        if kind == "h1":
            doc.add_heading(plain(text), level=0)
        elif kind == "h2":
            doc.add_heading(plain(text), level=1)
        elif kind == "li":
            style = "List Number" if re.match(r"\d+\. ", text) else "List Bullet"
            runs(doc.add_paragraph(style=style), re.sub(r"^(- |\d+\. )", "", text))
        elif kind == "quote":
            runs(doc.add_paragraph(style="Quote"), text)
        elif kind == "rule":
            doc.add_paragraph("—" * 10)
        elif text.startswith("【示例材料】"):
            p = runs(doc.add_paragraph(), text)
            for r in p.runs:
                r.font.color.rgb = RGBColor(0xA0, 0x14, 0x14)
                r.font.size = Pt(9)
        else:
            p = runs(doc.add_paragraph(), text)
            p.paragraph_format.first_line_indent = Pt(21)

    # Save, then rewrite the zip with fixed entry times for stable bytes.
    buf = io.BytesIO()
    doc.save(buf)
    buf.seek(0)
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 8, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            zout.writestr(fixed, zin.read(info.filename))
    return out


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("pdf", "docx"):
        sys.exit(__doc__)
    {"pdf": make_pdf, "docx": make_docx}[sys.argv[1]](sys.argv[2], sys.argv[3])
