#!/usr/bin/env bash
# Regenerates every generated binary of the demo catalogue (content/demo/) from the
# sources kept in the repository:
#
#   sources/tobacco-procurement-case.md  -> files/tobacco-procurement-case.pdf
#   sources/textbook-sanctions.md        -> files/textbook-sanctions.pdf
#   sources/confession-tax-deputy.md     -> files/confession-tax-deputy.docx
#   sources/market-supervision-case.txt  -> files/market-supervision-case-gbk.txt (GB18030/GBK)
#   files/video-mooncake.vtt             -> files/video-mooncake.mp4 + files/video-mooncake-cover.png
#   files/video-banquet.vtt              -> files/video-banquet.mp4
#   files/video-safety-line.srt          -> files/video-safety-line.mp4
#   sources/video-official-car.vtt       -> files/video-official-car.mp4 (subtitles burned in)
#   (title text below)                   -> files/textbook-eight-rules-cover.png
#   sources/scan-fuel-card-case.md       -> files/scan-fuel-card-case.pdf (image-only scan,
#                                           by examples/make_demo_scan.rs: needs cargo)
#
# The subtitle files are the video scripts: each cue is spoken by espeak-ng and shown
# on screen in its own time window, so subtitles and narration stay in step. The
# official-car film has its cues burned into the picture and ships without a subtitle
# file (its script stays in sources/): the library reads them by OCR.
#
# It installs nothing. It needs (Debian 12 package names / pip names):
#   apt-get install -y ffmpeg espeak-ng fonts-noto-cjk fonts-wqy-microhei poppler-utils
#     (poppler-utils only for the final check with pdftotext/pdfinfo; iconv is in libc-bin)
#   pip install fpdf2 python-docx      (fpdf2 brings fontTools; tested with fpdf2 2.8.9,
#                                       python-docx 1.2.0, ffmpeg 5.1, espeak-ng 1.51)
#
# Usage: bash content/demo/make-media.sh   (from anywhere)
# Afterwards run: python3 content/demo/tools/check_manifest.py
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

noto=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
noto_bold=/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc

missing=()
for cmd in python3 ffmpeg ffprobe espeak-ng iconv cargo; do
    command -v "$cmd" >/dev/null || missing+=("$cmd")
done
for f in "$noto" "$noto_bold" /usr/share/fonts/truetype/wqy/wqy-microhei.ttc; do
    [[ -f $f ]] || missing+=("$f")
done
python3 -c 'import fpdf, docx, fontTools' 2>/dev/null || missing+=("pip: fpdf2 python-docx")
if ((${#missing[@]})); then
    echo "make-media.sh: missing: ${missing[*]}" >&2
    echo "see the package list at the top of this script" >&2
    exit 1
fi

step() { printf '==> %s\n' "$*"; }

step "PDF documents"
python3 tools/make_docs.py pdf sources/tobacco-procurement-case.md files/tobacco-procurement-case.pdf
python3 tools/make_docs.py pdf sources/textbook-sanctions.md files/textbook-sanctions.pdf

step "DOCX document"
python3 tools/make_docs.py docx sources/confession-tax-deputy.md files/confession-tax-deputy.docx

step "GB18030 (GBK-compatible) text"
iconv -f UTF-8 -t GB18030 sources/market-supervision-case.txt > files/market-supervision-case-gbk.txt
# Every character used is in GBK, so the bytes are plain GBK as well.
iconv -f GBK -t UTF-8 files/market-supervision-case-gbk.txt | cmp -s - sources/market-supervision-case.txt \
    || { echo "market-supervision-case: text is not GBK-clean" >&2; exit 1; }

step "videos (espeak-ng narration, subtitles as script)"
python3 tools/make_video.py files/video-mooncake.vtt files/video-mooncake.mp4 \
    --title "一盒月饼的分量（示例）" --colour 0x7a1f1f --cover files/video-mooncake-cover.png
python3 tools/make_video.py files/video-banquet.vtt files/video-banquet.mp4 \
    --title "饭局背后（示例）" --colour 0x1f3a5f
python3 tools/make_video.py files/video-safety-line.srt files/video-safety-line.mp4 \
    --title "失守的防线（示例）" --colour 0x2f4f2f

step "film with burned-in subtitles (no subtitle file)"
python3 tools/make_video.py sources/video-official-car.vtt files/video-official-car.mp4 \
    --title "车轮上的特权（示例）" --colour 0x6a4a22 --burn

step "textbook cover"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf '%s' "中央八项规定精神学习读本" > "$tmp/t1.txt"
printf '%s' "（示例教材 · 演示用虚构材料）" > "$tmp/t2.txt"
printf '%s' "警示教育资源库" > "$tmp/t3.txt"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "color=c=0x8b1a1a:s=420x594:d=1" \
    -vf "drawbox=x=24:y=24:w=iw-48:h=ih-48:color=0xd8b25a:t=3,\
drawtext=fontfile=$noto_bold:textfile=$tmp/t1.txt:fontsize=27:fontcolor=0xf5e6b8:x=(w-text_w)/2:y=200,\
drawtext=fontfile=$noto:textfile=$tmp/t2.txt:fontsize=18:fontcolor=white:x=(w-text_w)/2:y=260,\
drawtext=fontfile=$noto:textfile=$tmp/t3.txt:fontsize=20:fontcolor=0xf5e6b8:x=(w-text_w)/2:y=500" \
    -frames:v 1 -fflags +bitexact files/textbook-eight-rules-cover.png

step "scanned bulletin (red header, seal, scan noise; image-only PDF for OCR)"
cargo run --quiet --example make_demo_scan -- \
    sources/scan-fuel-card-case.md files/scan-fuel-card-case.pdf

step "sizes"
ls -l files/*.pdf files/*.docx files/*-gbk.txt files/*.mp4 files/*.png | awk '{printf "%9d  %s\n", $5, $9}'
du -sh "$here"
