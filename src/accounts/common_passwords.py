#!/usr/bin/env python3
"""Writes common_passwords.txt beside this script: the 10,000 most common passwords.

Source: the ranked "passwords" frequency list shipped in the `zxcvbn` package on PyPI
(version pinned below), zxcvbn's own extract of a published leak corpus. The list is
data of the repository; rerun this script only to refresh it:

    python3 src/accounts/common_passwords.py

It makes a temporary virtual environment, installs zxcvbn there with pip (the only
network access: the package index), and writes the first 10,000 entries in rank
order, one a line, lower-case as zxcvbn keeps them.
"""

import pathlib
import subprocess
import sys
import tempfile
import venv

PACKAGE = "zxcvbn==4.5.0"
COUNT = 10_000
HERE = pathlib.Path(__file__).resolve().parent
TARGET = HERE / "common_passwords.txt"

DUMP = f"""
from zxcvbn.frequency_lists import FREQUENCY_LISTS
for word in FREQUENCY_LISTS["passwords"][:{COUNT}]:
    print(word)
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        venv.create(tmp, with_pip=True)
        python = pathlib.Path(tmp) / "bin" / "python"
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", PACKAGE], check=True
        )
        words = subprocess.run(
            [python, "-c", DUMP], check=True, capture_output=True, text=True
        ).stdout.splitlines()
    if len(words) != COUNT:
        sys.exit(f"expected {COUNT} passwords, got {len(words)}")
    header = [
        f"# The {COUNT} most common passwords, most common first: the ranked",
        f'# "passwords" list of the PyPI package {PACKAGE} (zxcvbn/frequency_lists),',
        "# written by common_passwords.py beside this file. Lines starting with # are",
        "# comments.",
    ]
    TARGET.write_text("\n".join(header + words) + "\n", encoding="utf-8")
    print(f"wrote {TARGET} ({len(words)} passwords)")


if __name__ == "__main__":
    main()
