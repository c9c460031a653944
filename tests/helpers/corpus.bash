# corpus.bash - what the examples/corpus suites share: the loopback Hub
# (tests/helpers/hubserver.py) serving org/licences, copies of the recipe,
# and the comparison of two runs' outputs.  Load after test_helper; call
# corpus_setup in setup (it serves the Hub from the test's directory) and
# corpus_teardown in teardown.

load "$HELPERS/hub.bash"

corpus_setup() {
	export HF_HUB_CACHE=$PWD/cache HF_HOME=$PWD/hf-home
	unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HUB_OFFLINE HF_ENDPOINT SLUICE_SHARD SLUICE_SHARD_COUNT
	make_repo
	hub_serve
}

corpus_teardown() {
	hub_stop
}

# org/licences: every paragraph of the licence texts Debian ships, a JSON
# line each, in three files.
make_repo() {
	local d=hub/datasets/org/licences
	mkdir -p $d/data
	licence_rows > rows.jsonl
	split -n l/3 -d --additional-suffix=.jsonl rows.jsonl $d/data/train-0000
	printf -- '---\nlicense: other\n---\n# Licences\n' > $d/README.md
}

VARS=(SMALL=1 PARTS=4 BUCKETS=3 DATASET=org/licences)

# recipe DIR: a copy of the example to run in DIR.
recipe() {
	mkdir "$1"
	cp "$TOP/examples/corpus/Makefile" "$TOP/examples/corpus/run-parallel" "$TOP/examples/corpus/submit-slurm" "$1/"
}

# same A B: the final shards and tokenizer, and every part's output of
# every stage, are the same files, of the same bytes, in A and B.
OUTPUTS='tokenizer.json bin/*.bin raw/*.rec filtered/*.rec sig/*.sig bkt/*.bkt drop/*.drop dedup/*.rec counts/*.counts tokens/*.rec'
same() {
	local f files
	# shellcheck disable=SC2086
	files=$(cd "$1" && ls -d $OUTPUTS)
	# shellcheck disable=SC2086
	assert_equal "$(cd "$2" && ls -d $OUTPUTS)" "$files"
	for f in $files; do
		cmp -s "$1/$f" "$2/$f" || fail "$1/$f and $2/$f differ"
	done
	[ "$(wc -l <<<"$files")" -gt 30 ] || fail "only $(wc -l <<<"$files") files compared"
}

# reference DIR: the recipe in DIR run by make -j1, the bytes every engine
# must give.
reference() {
	recipe "$1"
	make -C "$1" -j1 SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}" > "$1.log" 2>&1 || fail "make -j1: $(tail -n 20 "$1.log")"
}

# stopping_shim DIR REAL_BIN [kill]: in DIR, REAL_BIN's programs, but
# rec-filter of part 2 reads its input through a pipe that stays open, so
# it is caught mid-run, its output half written: it is stopped (SIGSTOP),
# the file `stopped` is left in its directory, and then, with kill, it is
# killed (SIGKILL, exit 137), else it waits to be killed.
stopping_shim() {
	mkdir "$1"
	local p
	for p in "$2"/*; do ln -s "$p" "$1/"; done
	rm "$1/rec-filter"
	cat > "$1/rec-filter" <<-EOF
		#!/usr/bin/env bash
		case "\$*" in
		*raw/2.rec*) ;;
		*) exec "$2/rec-filter" "\$@" ;;
		esac
		args=()
		for a in "\$@"; do [ "\$a" = raw/2.rec ] && a=-; args+=("\$a"); done
		rm -f feed.fifo && mkfifo feed.fifo
		(cat raw/2.rec; exec sleep 600) > feed.fifo &
		feeder=\$!
		"$2/rec-filter" "\${args[@]}" < feed.fifo &
		filter=\$!
		for _ in \$(seq 500); do compgen -G 'filtered/2.rec.tmp*' > /dev/null && break; sleep 0.01; done
		kill -STOP \$filter
		touch stopped
		if [ "${3:-}" = kill ]; then
		    kill -KILL \$filter \$feeder
		    pkill -KILL -P \$feeder
		    exit 137
		fi
		wait
	EOF
	chmod +x "$1/rec-filter"
}
