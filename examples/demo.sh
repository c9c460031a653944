#!/usr/bin/env bash
# make demo: the main job on a built-in default.  For now sluice is its
# record stream, so the demo packs real prose that every Debian system
# ships (the licence texts in /usr/share/common-licenses), inspects it,
# and shows a damaged stream being caught.  Later issues grow this into
# text -> tokens -> batches -> a trained model.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${SLUICE_BIN:-$top/bin}
out=${DEMO_OUT:-$top/demo-out}
corpus=/usr/share/common-licenses
mkdir -p "$out"

step() { printf '\n== %s\n' "$*"; }

step "1. every licence text, one record per file, keyed by path"
"$bin/rec-pack" --files "$corpus" -o "$out/licenses.rec"
"$bin/rec-cat" --stats "$out/licenses.rec" | head -12

step "2. the GPL-3, one text record per line; the first five records as JSON lines"
"$bin/rec-pack" -o "$out/gpl3.rec" "$corpus/GPL-3"
"$bin/rec-cat" --head 5 "$out/gpl3.rec"

step "3. records survive a round trip byte for byte"
"$bin/rec-cat" --text "$out/gpl3.rec" | cmp - "$corpus/GPL-3" && echo "rec-pack | rec-cat --text == GPL-3"

step "4. a changed letter is caught (exit status 5), and so is a cut stream (exit status 4)"
cp "$out/gpl3.rec" "$out/damaged.rec"
at=$(grep -obUa 'Everyone is permitted' "$out/damaged.rec" | head -1 | cut -d: -f1)
printf 'e' | dd of="$out/damaged.rec" bs=1 seek="$at" conv=notrunc status=none
"$bin/rec-cat" --validate "$out/damaged.rec" && echo "not caught?!" || echo "exit status $?"
head -c 5000 "$out/gpl3.rec" | "$bin/rec-cat" --validate && echo "not caught?!" || echo "exit status $?"

step "artefacts"
ls -l "$out"
