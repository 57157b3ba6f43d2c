#!/bin/sh
# Writes one search per law of ../shared/corpus/laws, in a shuffled but fixed order: the
# law's short name (its file name without 中华人民共和国 and the date), as an officer
# would type it. Usage: benches/law_title_queries.sh > target/law-queries.txt
find "${1:-../shared/corpus/laws}" -type f -name '*.md' |
  sed -e 's|.*/||' -e 's|\.md$||' -e 's|^中华人民共和国||' -e 's|([0-9-]*)$||' |
  sort -u | awk 'length($0) >= 2' | sort -t@ -k1,1 --random-sort --random-source=/dev/zero
