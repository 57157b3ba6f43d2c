#!/usr/bin/env python3
"""Builds one short demo warning-education video from its subtitle file.

The subtitle file (WebVTT or SRT, kept in the repo) is the script: every cue is
spoken by espeak-ng (Mandarin voice) inside its own time window and also shown
as a text card in the middle of the picture. The picture is a plain colour
background with the title, a "示例" (sample) label and a running clock, drawn
with ffmpeg's drawtext in a CJK font.

With --burn the cues are burned in as a film's subtitles instead: one line low in
the picture, white with a dark outline, over a slowly turning gradient; the label
and the clock move up under the title, so that the only text in the lower half is
the subtitles. Such a film is shipped without its subtitle file (the script stays
in sources/), for the library's machine reading of burned-in subtitles.

Usage:
    make_video.py SUBTITLES OUT.mp4 --title TITLE --colour 0x7a1f1f [--cover OUT.png] [--burn]

Needs: python3 (standard library only), ffmpeg (with libx264, aac, drawtext),
espeak-ng, fonts-noto-cjk.
"""

import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile
import wave

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
RATE = 22050  # espeak-ng's native rate, mono 16-bit
TIME = re.compile(r"(?:(\d+):)?(\d{2}):(\d{2})[.,](\d{3})")


def seconds(stamp):
    m = TIME.fullmatch(stamp.strip())
    if not m:
        raise ValueError(f"bad timestamp {stamp!r}")
    h, mi, s, ms = m.groups()
    return int(h or 0) * 3600 + int(mi) * 60 + int(s) + int(ms) / 1000


def parse_cues(path):
    """Returns [(start, end, text)] from a WebVTT or SRT file."""
    text = open(path, encoding="utf-8-sig").read().replace("\r\n", "\n")
    cues = []
    for block in re.split(r"\n\s*\n", text):
        lines = [l for l in block.strip().split("\n") if l.strip()]
        for i, line in enumerate(lines):
            if "-->" in line:
                start, end = line.split("-->")
                end = end.strip().split()[0]  # drop WebVTT cue settings
                cues.append((seconds(start), seconds(end), " ".join(lines[i + 1 :])))
                break
    if not cues:
        sys.exit(f"{path}: no cues")
    return cues


def speak(text, window, workdir):
    """Speech samples for one cue, as fast as needed to fit in its window."""
    spoken = re.sub(r"[【】《》]", " ", text).replace("示例", "示例，")
    samples = b""
    for speed in (230, 270, 310, 350, 400):
        out = os.path.join(workdir, "cue.wav")
        subprocess.run(
            ["espeak-ng", "-v", "cmn", "-s", str(speed), "-w", out, spoken],
            check=True,
        )
        with wave.open(out) as w:
            if w.getframerate() != RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
                sys.exit("unexpected espeak-ng output format")
            samples = w.readframes(w.getnframes())
        if len(samples) / 2 / RATE <= window:
            break
    return samples[: int(window * RATE) * 2]


def narration(cues, total, path, workdir):
    pcm = bytearray(int(total * RATE) * 2)
    for start, end, text in cues:
        chunk = speak(text, end - start, workdir)
        at = int(start * RATE) * 2
        pcm[at : at + len(chunk)] = chunk
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(pcm))


def wrap(text, width=16):
    lines, line = [], ""
    for ch in text:
        line += ch
        if len(line) >= width and ch not in "，。、":
            lines.append(line)
            line = ""
    if line:
        lines.append(line)
    return "\n".join(lines)


def card_filters(cues, title, label, textfile):
    """Title bar, label and clock at the bottom, each cue as a card in the middle."""
    filters = [
        "drawbox=x=0:y=0:w=iw:h=64:color=black@0.35:t=fill",
        f"drawtext=fontfile={FONT_BOLD}:textfile={title}:fontsize=30:fontcolor=white:x=(w-text_w)/2:y=14",
        f"drawtext=fontfile={FONT}:textfile={label}:fontsize=16:fontcolor=white@0.8:x=16:y=h-30",
        f"drawtext=fontfile={FONT}:text='%{{pts\\:hms}}':fontsize=16:fontcolor=white@0.8:x=w-text_w-16:y=h-30",
    ]
    for n, (start, end, text) in enumerate(cues):
        card = textfile(f"cue{n}.txt", wrap(text))
        filters.append(
            f"drawtext=fontfile={FONT}:textfile={card}:fontsize=28:fontcolor=white"
            f":line_spacing=10:box=1:boxcolor=black@0.25:boxborderw=14"
            f":x=(w-text_w)/2:y=(h-text_h)/2:enable='between(t,{start:.3f},{end:.3f})'"
        )
    return filters


def burned_filters(cues, title, label, textfile):
    """Title bar with label and clock under it; each cue one line low in the picture."""
    filters = [
        "drawbox=x=0:y=0:w=iw:h=64:color=black@0.35:t=fill",
        f"drawtext=fontfile={FONT_BOLD}:textfile={title}:fontsize=30:fontcolor=white:x=(w-text_w)/2:y=14",
        f"drawtext=fontfile={FONT}:textfile={label}:fontsize=14:fontcolor=white@0.8:x=16:y=72",
        f"drawtext=fontfile={FONT}:text='%{{pts\\:hms}}':fontsize=14:fontcolor=white@0.8:x=w-text_w-16:y=72",
    ]
    for n, (start, end, text) in enumerate(cues):
        if len(text) > 22:
            sys.exit(f"cue {n + 1} is too long for one burned-in line: {text}")
        line = textfile(f"cue{n}.txt", text)
        filters.append(
            f"drawtext=fontfile={FONT}:textfile={line}:fontsize=26:fontcolor=white"
            f":borderw=2:bordercolor=black:x=(w-text_w)/2:y=h-30-text_h"
            f":enable='between(t,{start:.3f},{end:.3f})'"
        )
    return filters


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("subtitles")
    ap.add_argument("out")
    ap.add_argument("--title", required=True)
    ap.add_argument("--colour", default="0x1f3a5f")
    ap.add_argument("--cover")
    ap.add_argument("--burn", action="store_true", help="burn the cues in as subtitles")
    args = ap.parse_args()

    cues = parse_cues(args.subtitles)
    total = cues[-1][1] + 1.5
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "narration.wav")
        narration(cues, total, wav, tmp)

        def textfile(name, content):
            p = os.path.join(tmp, name)
            with open(p, "w", encoding="utf-8") as f:
                f.write(content)
            return p

        title = textfile("title.txt", args.title)
        label = textfile("label.txt", "示例 · 警示教育资源库演示用虚构材料")
        filters = card_filters(cues, title, label, textfile) if not args.burn else \
            burned_filters(cues, title, label, textfile)
        vf = ",".join(filters)
        if args.burn:
            # Seeded and fixed, so that a rerun draws the same picture.
            picture = (f"gradients=s=640x360:r=15:c0={args.colour}:c1=0x1c2c44:x0=0:y0=0"
                       f":x1=640:y1=360:speed=0.01:seed=21:d={total:.3f}")
        else:
            picture = f"color=c={args.colour}:s=640x360:r=15:d={total:.3f}"
        cmd = [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", picture,
            "-i", wav,
            "-vf", vf,
            "-c:v", "libx264", "-preset", "slow", "-crf", "30", "-tune", "stillimage",
            "-pix_fmt", "yuv420p", "-profile:v", "main", "-g", "75",
            "-c:a", "aac", "-b:a", "48k", "-ac", "1", "-ar", "22050",
            "-shortest", "-movflags", "+faststart",
            "-map_metadata", "-1", "-fflags", "+bitexact",
            "-flags:v", "+bitexact", "-flags:a", "+bitexact",
            args.out,
        ]
        subprocess.run(cmd, check=True)
        if args.cover:
            # A poster frame: the title large in the middle, with the sample label.
            subprocess.run(
                [
                    "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"color=c={args.colour}:s=640x360:d=1",
                    "-vf", filters[2] + f",drawtext=fontfile={FONT_BOLD}:textfile={title}"
                    ":fontsize=40:fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2",
                    "-frames:v", "1", "-fflags", "+bitexact", args.cover,
                ],
                check=True,
            )


if __name__ == "__main__":
    main()
