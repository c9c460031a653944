#!/usr/bin/env bash
# make demo: sluice's main job, end to end, on a corpus every Debian system
# has: the licence texts of /usr/share/common-licenses (base-files ships
# them, so nothing is downloaded and the corpus is the same everywhere:
# some 600 paragraphs, 200 KB of real legal prose, which a small GPT-2
# learns visibly in a few minutes on two cores).
#
#   text -> JSON lines -> hf-stream -> tok-bpe train, encode -> batchify
#        -> train-step (GPT-2, CPU) -> train-plot, lm-run generate
#        -> lm-embed -> vs-upsert -> vs-query (plain and filtered)
#
# Environment:
#   SLUICE_BIN    the programs (default: the repository's bin/)
#   DEMO_OUT      a directory for everything it makes (default: demo-out/ in
#                 the repository)
#   DEMO_SMALL=1  (or SMALL=1) a tiny model and a few steps: seconds, for CI
#   DEMO_CORPUS   a directory of UTF-8 text files instead of the licences
#   DEMO_THREADS  threads for every program (default 2)
#   DEMO_SEED     the seed of the shuffles, the model and the samples (default 1)
#   DEMO_STEPS    training steps, overriding the scale's
#   DEMO_QUERY    the question the vector store answers
#   DEMO_SOURCE   the file the filtered query is confined to (default Apache-2.0)
#
# Every artefact is listed at the end, and in DEMO_OUT/artefacts.tsv (path,
# kind, what it is), which tests/demo.bats checks.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${SLUICE_BIN:-$top/bin}
out=${DEMO_OUT:-$top/demo-out}
small=${DEMO_SMALL:-${SMALL:-0}}
corpus=${DEMO_CORPUS:-/usr/share/common-licenses}
threads=${DEMO_THREADS:-2}
seed=${DEMO_SEED:-1}
query=${DEMO_QUERY:-Can I distribute copies of the software?}
source_=${DEMO_SOURCE:-Apache-2.0}

# Each scale: tokenizer vocabulary; GPT-2 layers, heads, channels; batch
# rows and sequence length; steps and peak learning rate.  The full one
# trains in a minute or two on two idle cores.  The corpus is small (some
# 55,000 tokens), so the model soon learns it by heart: the validation loss
# stops falling after about 350 steps, and more steps make it rise while
# the training loss goes on down.
if [ "$small" = 1 ]; then
	vocab=512 layers=2 heads=2 dim=64 rows=8 seq=64 steps=30 lr=3e-3 new_tokens=24
else
	vocab=1024 layers=4 heads=4 dim=128 rows=16 seq=128 steps=500 lr=2e-3 new_tokens=60
fi
steps=${DEMO_STEPS:-$steps}

die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

for p in hf-stream tok-bpe batchify train-step train-plot lm-run lm-embed vs-upsert vs-query rec-cat; do
	[ -x "$bin/$p" ] || die "$bin/$p not found: build first (make), or set SLUICE_BIN"
done
command -v jq > /dev/null || die "jq not found: scripts/install-deps installs it"
[ -d "$corpus" ] || die "$corpus: not a directory (DEMO_CORPUS)"
# Absolute paths: the job runs in DEMO_OUT.
corpus=$(cd "$corpus" && pwd) bin=$(cd "$bin" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$out"
# What a previous run left and this one would not simply replace.
rm -rf ckpt store artefacts.tsv

# ---- progress: a numbered step, its time, and what it made ----
# (date, not bash's EPOCHREALTIME, whose decimal point follows the locale.)
now() { LC_ALL=C date +%s.%N; }
nsteps=11 step_no=0 t_step=0 t_start=$(now)
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
begin() {
	step_no=$((step_no + 1))
	printf '\n[%d/%d] %s\n' "$step_no" "$nsteps" "$*"
	t_step=$(now)
}
done_() { printf '       -> %s  (%s)\n' "$*" "$(elapsed "$t_step")"; }
# artefact PATH KIND WHAT: for the table at the end and artefacts.tsv.
artefact() { printf '%s\t%s\t%s\n' "$@" >> artefacts.tsv; }
records() { "$bin/rec-cat" --stats "$1" | jq -r '.records'; }
size() { du -sh "$1" | cut -f1; }

printf 'sluice demo: %s scale, %s threads, output in %s\n' \
	"$([ "$small" = 1 ] && echo small || echo full)" "$threads" "$out"

begin "corpus: the text files of $corpus, one JSON line a paragraph"
# Lines joined, control bytes and bytes that are not UTF-8 dropped, and each
# paragraph kept once (the licences repeat each other), with where it came
# from: {"id": "GPL-3:12", "source": "GPL-3", "paragraph": 12, "text": ...}.
find "$corpus" -maxdepth 1 -type f | LC_ALL=C sort > sources.txt
[ -s sources.txt ] || die "$corpus holds no text files"
while IFS= read -r f; do
	tr -d '\000-\010\013-\037' < "$f" | awk -v RS= -v src="${f##*/}" '{
		t = $0; gsub(/[ \t]*\n[ \t]*/, " ", t); gsub(/\t/, " ", t); sub(/^ +/, "", t); sub(/ +$/, "", t)
		if (t != "") printf "%s\t%d\t%s\n", src, NR, t }'
done < sources.txt | awk -F'\t' '!seen[$3]++' | iconv -f UTF-8 -t UTF-8 -c |
	jq -R -c 'split("\t") | {id: "\(.[0]):\(.[1])", source: .[0], paragraph: (.[1] | tonumber), text: .[2]}' \
	> corpus.jsonl.tmp
mv corpus.jsonl.tmp corpus.jsonl
artefact corpus.jsonl jsonl "the corpus: one JSON line a paragraph"
done_ "corpus.jsonl: $(wc -l < corpus.jsonl) paragraphs of $(wc -l < sources.txt) files, $(size corpus.jsonl)"

begin "hf-stream: the JSON lines as records, paragraphs under 40 characters left out"
"$bin/hf-stream" corpus.jsonl --min-chars 40 -k id -q -o docs.rec
"$bin/hf-stream" corpus.jsonl --min-chars 40 -k id --format json -q -o rows.rec
artefact docs.rec rec "text records keyed by paragraph id (training text)"
artefact rows.rec rec "JSON records, the whole rows (for lm-embed)"
done_ "docs.rec: $(records docs.rec) text records; rows.rec: $(records rows.rec) JSON records"

begin "tok-bpe train: a byte-level BPE of $vocab tokens learnt from them"
"$bin/tok-bpe" train --vocab-size "$vocab" -j "$threads" -q -o tokenizer.json docs.rec
artefact tokenizer.json tokenizer "the BPE, as a Hugging Face tokenizer.json"
done_ "tokenizer.json: $("$bin/tok-bpe" info -t tokenizer.json | jq -r '"\(.vocab_size) tokens"')"

begin "tok-bpe encode: each paragraph to token ids, <|endoftext|> after each"
"$bin/tok-bpe" encode -t tokenizer.json --eot -j "$threads" -q -o tokens.rec docs.rec
artefact tokens.rec rec "token records, one a paragraph"
done_ "tokens.rec: $("$bin/rec-cat" --stats tokens.rec | jq -r '"\(.records) documents"'), $(
	"$bin/tok-bpe" stats -t tokenizer.json -j "$threads" -q docs.rec |
		jq -r '"\(.tokens) tokens, \(.bytes_per_token * 100 | round / 100) bytes a token"')"

begin "batchify: batches of $rows x $((seq + 1)) ids, shuffled, 5% of the paragraphs held out"
"$bin/batchify" -q -B "$rows" -T "$seq" --shuffle 1000 --seed "$seed" \
	--val-frac 0.05 --val-out val.rec -o train.rec tokens.rec
artefact train.rec rec "training batches"
artefact val.rec rec "validation batches"
done_ "train.rec: $(records train.rec) batches; val.rec: $(records val.rec)"

begin "train-step: a GPT-2 of $layers layers, $heads heads, $dim channels, $steps steps on the CPU"
"$bin/train-step" --layers "$layers" --heads "$heads" --dim "$dim" --data train.rec --val val.rec \
	--eval-every $((steps / 10 > 0 ? steps / 10 : 1)) --steps "$steps" --lr "$lr" --warmup $((steps / 20 + 1)) \
	--seed "$seed" -j "$threads" --ckpt-dir ckpt --keep 1 --log log.jsonl
artefact ckpt checkpoint "the trained model (train-step's checkpoint directory)"
artefact log.jsonl jsonl "the training log: loss a step, validation loss"
done_ "$(jq -rs --arg steps "$steps" '
	def r: . * 100 | round / 100;
	(map(select(.loss)) | "loss \(.[0].loss | r) at step \(.[0].step) -> \(.[-1].loss | r) at step \(.[-1].step)"),
	(map(select(.val_loss)) | "; validation loss \(.[0].val_loss | r) at step \(.[0].step) -> \(.[-1].val_loss | r)")
	' log.jsonl | tr -d '\n')"

begin "train-plot: the loss curve"
"$bin/train-plot" -q --title "sluice demo: a GPT-2 of $layers layers, $dim channels, on ${corpus##*/}" \
	--label GPT-2 -o loss.png log.jsonl
artefact loss.png png "the loss curve"
done_ "loss.png: $(size loss.png)"

begin "lm-run generate: what the model writes after three prompts"
"$bin/lm-run" generate -m ckpt -t tokenizer.json -j "$threads" -n "$new_tokens" --seed "$seed" \
	--temperature 0.8 --top-k 40 -p 'This License' -p 'You may' -p 'The Licensor' -o samples.txt
artefact samples.txt text "samples from the model"
sed 's/^/       | /' samples.txt
done_ "samples.txt: $(wc -l < samples.txt) lines"

begin "lm-embed: each paragraph to a vector, the mean of the model's final hidden states"
"$bin/lm-embed" -m ckpt -t tokenizer.json --keep-text 1000 -j "$threads" -q -o vectors.rec rows.rec
artefact vectors.rec rec "a unit vector a paragraph, with its source, number and text"
done_ "vectors.rec: $(records vectors.rec) vectors of $dim dimensions"

begin "vs-upsert: the vectors into a vector store, with their metadata"
"$bin/vs-upsert" -s store -d "$dim" -m cosine -j "$threads" -q vectors.rec
artefact store store "the vector store (vs-upsert(1)): log, segments, HNSW index"
done_ "store/: $("$bin/vs-query" -s store --stats | jq -r '"\(.points) points, \(.indexed) indexed"'), $(size store)"

begin "vs-query: the 3 paragraphs nearest to a question, then only those of $source_"
printf '       query: "%s"\n' "$query"
"$bin/lm-embed" -m ckpt -t tokenizer.json -j "$threads" -q -o query.rec --text "$query"
"$bin/vs-query" -s store -k 3 -q query.rec > answers.jsonl
filter=$(jq -cn --arg s "$source_" '{must: [{key: "source", match: {value: $s}}]}')
"$bin/vs-query" -s store -k 3 --filter "$filter" -q query.rec > answers-filtered.jsonl
show() {
	jq -r '"       \(.rank). \(.id)  (score \(.score * 1000 | round / 1000))\n          \(.metadata.text | if length > 150 then .[:150] + "..." else . end)"' "$1"
}
echo "       all licences:"
show answers.jsonl
printf '       --filter %s:\n' "$filter"
show answers-filtered.jsonl
artefact query.rec rec "the question, embedded"
artefact answers.jsonl jsonl "its 3 nearest paragraphs"
artefact answers-filtered.jsonl jsonl "its 3 nearest paragraphs of $source_"
done_ "answers.jsonl, answers-filtered.jsonl: $(cat answers.jsonl answers-filtered.jsonl | wc -l) answers"

printf '\nEvery record stream checked (rec-cat --validate): '
while IFS=$'\t' read -r path kind _; do
	[ "$kind" = rec ] || continue
	"$bin/rec-cat" --validate "$path" > /dev/null || die "$path does not validate"
	printf '%s ' "$path"
done < artefacts.tsv
printf 'ok\n'
artefact artefacts.tsv tsv "this list"

printf '\nArtefacts, in %s:\n' "$out"
while IFS=$'\t' read -r path kind what; do
	printf '  %-24s %6s  %s\n' "$path$([ -d "$path" ] && echo /)" "$(size "$path")" "$what"
done < artefacts.tsv
printf '\nThe demo took %s.\n' "$(elapsed "$t_start")"
