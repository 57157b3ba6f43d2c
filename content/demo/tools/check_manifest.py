#!/usr/bin/env python3
"""Checks the demo catalogue: manifest fields, files, sample markers, sizes.

    python3 content/demo/tools/check_manifest.py [--terms]

Uses only the standard library; ffprobe (ffmpeg) and pdftotext (poppler-utils)
are used when present to check video durations and the PDF text layer.
--terms prints which searchable terms occur in which resource.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIELDS = {
    "id", "kind", "title", "summary", "tags", "sectors", "violations", "region",
    "date", "source", "access", "status", "licences", "copies", "duration", "pages", "files",
    "base",
}
BASE_FIELDS = {
    "address", "directions", "capacity", "lead_days", "max_group", "requirements",
    "contact_name", "contact_phone", "needs_visitor_list",
}
MARKER = "【示例材料】"
TERMS = ["八项规定", "月饼", "四风", "留置", "政务处分", "受贿", "贪污", "挪用公款",
         "风腐同查", "公款吃喝", "中组发〔2023〕6号", "滕远舟", "卜秋芸", "邝鸿儒"]
MAX_BYTES = 8 * 1024 * 1024


def text_of(path):
    """The text a library would extract from the file, or None for media."""
    ext = os.path.splitext(path)[1].lower()
    data = open(path, "rb").read()
    if ext in (".md", ".vtt", ".srt"):
        return data.decode("utf-8")
    if ext == ".txt":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("gb18030")
    if ext == ".docx":
        with zipfile.ZipFile(path) as z:
            xml = z.read("word/document.xml").decode("utf-8")
        return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))
    if ext == ".pdf" and shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True, check=True)
        text = out.stdout.decode("utf-8")
        # A scan (image-only PDF) has no text layer: its text comes from OCR (its source
        # is sources/scan-*.md), so it is taken like media here.
        return text if text.strip() else None
    return None


def main():
    problems = []
    manifest = json.load(open(os.path.join(HERE, "manifest.json"), encoding="utf-8"))
    resources = manifest["resources"]
    seen_ids, barcodes, used = set(), set(), set()
    kinds, sectors = {}, set()
    terms = {t: [] for t in TERMS}
    for i, r in enumerate(resources):
        where = f"resource {i} ({r.get('id')})"
        extra = set(r) - FIELDS
        if extra:
            problems.append(f"{where}: unknown fields {sorted(extra)}")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", r.get("id", "")):
            problems.append(f"{where}: bad id")
        if r["id"] in seen_ids:
            problems.append(f"{where}: duplicate id")
        seen_ids.add(r["id"])
        if r.get("kind") not in ("video", "case", "confession", "textbook", "base"):
            problems.append(f"{where}: bad kind")
        base = r.get("base")
        if (r.get("kind") == "base") != (base is not None):
            problems.append(f"{where}: a base needs its base object, other kinds none")
        if base is not None:
            if set(base) != BASE_FIELDS:
                problems.append(f"{where}: base fields {sorted(set(base) ^ BASE_FIELDS)}")
            if "示例" not in base.get("address", ""):
                problems.append(f"{where}: base address does not say 示例")
            if not 1 <= base.get("max_group", 0) <= base.get("capacity", 0) <= 10000:
                problems.append(f"{where}: base capacity or max_group out of range")
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        sectors.update(r.get("sectors", []))
        if r.get("access") not in ("open", "loan"):
            problems.append(f"{where}: bad access")
        if r.get("status") not in ("published", "draft"):
            problems.append(f"{where}: bad status")
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", r.get("date", "")):
            problems.append(f"{where}: bad date")
        if not 2019 <= int(r["date"][:4]) <= 2026:
            problems.append(f"{where}: date out of range")
        if "示例" not in r["title"]:
            problems.append(f"{where}: title does not say 示例")
        copies = r.get("copies")
        if isinstance(copies, list):
            for c in copies:
                if c["barcode"] in barcodes:
                    problems.append(f"{where}: duplicate barcode {c['barcode']}")
                barcodes.add(c["barcode"])
        found = set()
        for rel in r.get("files", []):
            path = os.path.join(HERE, rel)
            used.add(os.path.normpath(rel))
            if not os.path.isfile(path):
                problems.append(f"{where}: missing file {rel}")
                continue
            text = text_of(path)
            if text is not None:
                if rel.endswith((".vtt", ".srt")):
                    if "【示例】" not in text:
                        problems.append(f"{where}: {rel} has no 【示例】 cue")
                elif not text.lstrip().startswith(MARKER):
                    problems.append(f"{where}: {rel} does not start with {MARKER}")
                found.update(t for t in TERMS if t in text)
            if rel.endswith(".mp4") and shutil.which("ffprobe"):
                out = subprocess.run(
                    ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                    capture_output=True, text=True, check=True,
                )
                secs = float(out.stdout.strip())
                if abs(secs - r.get("duration", 0)) > 1.0:
                    problems.append(f"{where}: duration {r.get('duration')} but video is {secs:.1f}s")
        for t in found:
            terms[t].append(r["id"])

    on_disk = set()
    for root, _, names in os.walk(os.path.join(HERE, "files")):
        for n in names:
            on_disk.add(os.path.relpath(os.path.join(root, n), HERE))
    for rel in sorted(on_disk - used):
        problems.append(f"file not in manifest: {rel}")

    size = sum(os.path.getsize(os.path.join(r, n)) for r, _, ns in os.walk(HERE) for n in ns)
    if size > MAX_BYTES:
        problems.append(f"content/demo is {size} bytes, over {MAX_BYTES}")

    print(f"{len(resources)} resources, kinds {kinds}, {len(sectors)} sectors, "
          f"{len(barcodes)} barcodes, {size / 1024:.0f} KiB in content/demo")
    if "--terms" in sys.argv:
        for t, ids in terms.items():
            print(f"  {t}: {', '.join(ids) or '-'}")
    for p in problems:
        print("PROBLEM:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
