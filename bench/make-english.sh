#!/usr/bin/env bash
# make-english.sh OUT BYTES: about BYTES of English prose as JSON lines
# {"text": paragraph}: the manual pages installed on this machine, rendered
# to plain text, paragraph by paragraph (repeated if they run out).
set -eu
out=$1 want=$2
tmp=$out.tmp
: > "$tmp.txt"
for f in /usr/share/man/man1/* /usr/share/man/man3/* /usr/share/man/man5/* /usr/share/man/man8/*; do
	[ -f "$f" ] || continue
	mandoc -T ascii "$f" 2>/dev/null | col -bx >> "$tmp.txt" || true
	[ "$(stat -c %s "$tmp.txt")" -ge "$want" ] && break
done
/usr/bin/python3 - "$tmp.txt" "$want" > "$tmp" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
paras = [" ".join(p.split()) for p in text.split("\n\n")]
paras = [p for p in paras if len(p) > 20]
want, made, i = int(sys.argv[2]), 0, 0
while made < want:
    p = paras[i % len(paras)]
    print(json.dumps({"text": p}, ensure_ascii=False))
    made += len(p.encode()) + 1
    i += 1
PY
rm -f "$tmp.txt"
mv "$tmp" "$out"
