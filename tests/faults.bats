#!/usr/bin/env bats
# Faults of the machine under every program (issue 28): a full disk,
# system calls failing at random (io_sweep, below), and SIGKILL at random
# moments (kill_sweep).
#
# Each output path of each program is first written on an ordinary disk
# (the reference), then again on a file system with less room than it
# needs (tests/helpers/full-disk: a tmpfs of the test's own), at several
# points of the write: at none left, and at fractions of the output's size
# (`make check` two, `make faults` ten; SLUICE_FAULTS_POINTS).  With
# SLUICE_FAULTS_TALLY set, each fault and each run that came through it
# as promised is counted in that file, for `make faults` to sum up.  Each run
# must exit 1 (an I/O error, as every man page says), with one line on
# stderr naming the file and the error, and leave each file it wrote
# either whole (byte for byte the reference's) or absent: nothing partial
# under a name a later step would read, no temporary file left over.
# Streams that grow as the program runs (train-step's --log and --events)
# may stop short, but only after a whole line of the reference (times and
# rates aside), and perhaps a last "failed" event.  Stores,
# caches and checkpoint directories must open afterwards with everything
# acknowledged before the fault, and a run with room must then succeed.

load test_helper

# The fractions of each output's size at which the disk fills.
fractions() {
	local n=${SLUICE_FAULTS_POINTS:-2} i
	for ((i = 0; i < n; i++)); do echo "$i $n"; done
}

# on_full FREE COMMAND... : COMMAND with $PWD/full a file system with FREE
# bytes left; what it leaves there is copied to $PWD/full.after.
on_full() {
	rm -rf full full.after
	mkdir full
	run --separate-stderr "$HELPERS/full-disk" "$1" "$PWD/full" "${@:2}"
	[ "$status" != 97 ] || fail "full-disk could not make its file system: $stderr"
	tally injected
}

# tally WHAT [N] : counts N (1) of WHAT in $SLUICE_FAULTS_TALLY, if set.
tally() {
	[ -z "${SLUICE_FAULTS_TALLY:-}" ] || echo "$1 ${2:-1}" >> "$SLUICE_FAULTS_TALLY"
}

# assert_disk_full PROG : the last on_full's run failed as a full disk must.
assert_disk_full() {
	[ "$status" = 1 ] || fail "$1: exit $status on a full disk (want 1); stderr: $stderr"
	[ "${#stderr_lines[@]}" = 1 ] || fail "$1: ${#stderr_lines[@]} lines on stderr (want 1): $stderr"
	[[ "$stderr" == "$1: "*"No space left on device" ]] ||
		fail "$1: the line does not name the error: $stderr"
	local left
	left=$(cd full.after && find . \( -name '*.tmp.*' -o -name '*.partial*' -o -name '.*.partial' \) -print)
	[ -z "$left" ] || fail "$1: temporary files left behind: $left"
}

# assert_whole_or_absent REF [STREAM...] : every file under full.after is the
# same file under REF byte for byte; the STREAM files (relative paths) may
# instead be a prefix of theirs that ends where a line does.
assert_whole_or_absent() {
	local ref=$1 f
	shift
	while IFS= read -r f; do
		f=${f#./}
		if [[ $f == *.incomplete ]]; then
			# a download huggingface_hub's way resumes from (hf-stream(1))
			[ -f "$ref/${f%.incomplete}" ] && cmp -s -n "$(stat -c %s "full.after/$f")" "full.after/$f" "$ref/${f%.incomplete}" ||
				fail "$f: not the start of ${f%.incomplete}"
			continue
		fi
		if printf '%s\n' "$@" | grep -qxF "$f"; then
			same_lines "full.after/$f" "$ref/$f" || fail "$f: not the reference's lines"
		elif [[ $f == *.json ]]; then
			# JSON may name the output's own path (a checkpoint's command line)
			[ -f "$ref/$f" ] || fail "full.after/$f: no such file in the reference run"
			cmp -s <(sed "s|$PWD/full|$PWD/$ref|g" "full.after/$f") "$ref/$f" ||
				fail "$f: partial, or not the reference's"
		else
			[ -f "$ref/$f" ] || fail "full.after/$f: no such file in the reference run"
			cmp -s "full.after/$f" "$ref/$f" || fail "$f: partial (the reference's is $(stat -c %s "$ref/$f") bytes, this $(stat -c %s "full.after/$f"))"
		fi
	done < <(cd full.after && find . -type f)
}

# same_lines STREAM REF : STREAM, JSON lines, is REF's first lines, each
# whole, less what differs from run to run (times and rates), and perhaps
# a "failed" event after them.
same_lines() {
	"$PY" - "$1" "$2" <<-'EOF'
		import json, sys
		def lines(path):
		    text = open(path).read()
		    assert text == "" or text.endswith("\n"), path + ": stops inside a line"
		    out = []
		    for l in text.splitlines():
		        o = json.loads(l)
		        for k in ("time", "tokens_per_s", "ms"):
		            o.pop(k, None)
		        out.append(o)
		    return out
		got, want = lines(sys.argv[1]), lines(sys.argv[2])
		if got and got[-1].get("event") == "failed":
		    got.pop()
		assert got == want[:len(got)], (got, want)
	EOF
}

# sweep PROG OUT COMMAND... : COMMAND, whose words hold @DIR@ where its
# output directory goes, run into ref/ and then onto full disks at each
# fraction of the size of what it wrote there (OUT, a file or directory
# under ref/); each full run fails as assert_disk_full says and leaves only
# whole files.  STREAMS, when set, names the files that may stop short.
sweep() {
	local prog=$1 out=$2 i n size free
	shift 2
	rm -rf ref && mkdir ref
	"${@//@DIR@/$PWD/ref}" || fail "$prog: the reference run failed"
	# SIZE: what the command needs at its peak, when that is not what it
	# leaves (temporary files)
	size=${SIZE:-$(du -sb "ref/$out" | cut -f1)}
	[ "$size" -gt 8192 ] || fail "$prog: the reference output is too small ($size bytes) to fill a disk with"
	while read -r i n; do
		free=$((size * i / n / 4096 * 4096))
		on_full "$free" "${@//@DIR@/$PWD/full}"
		assert_disk_full "$prog"
		# shellcheck disable=SC2086
		assert_whole_or_absent ref ${STREAMS:-}
		tally survived
	done < <(fractions)
}

# dev_full PROG COMMAND... : COMMAND's stdout is /dev/full.
dev_full() {
	run --separate-stderr bash -c '"$@" > /dev/full' dev-full "${@:2}"
	[ "$status" = 1 ] || fail "$1: exit $status writing to /dev/full (want 1); stderr: $stderr"
	[ "${#stderr_lines[@]}" = 1 ] && [[ "$stderr" == "$1: "*"No space left on device" ]] ||
		fail "$1: stderr writing to /dev/full: $stderr"
	tally injected
	tally survived
}

# io_sweep NAME COMMAND... : COMMAND, run in a directory of its own with
# its output there, first as it is (the reference), then under libfiu
# (fiu-run -x) with each of read, write, fsync, rename, open, close, mmap
# and malloc failing at random, SLUICE_FAULTS_IO_RUNS times each (3; 20
# in `make faults`).  A run must end within a minute, and either succeed
# with the reference's files, or exit 1 with its last line on stderr
# naming the program (when writes are what fails, that line may be lost),
# files whole or absent, no temporary file left; and COMMAND run again
# there without faults must then succeed with the reference's files.
# SAME, when set, is a command run in each directory whose output is
# compared instead of the files (a store's points, not its layout).
io_sweep() {
	local name=$1 point prob i out status
	shift
	rm -rf io.ref && mkdir io.ref
	(cd io.ref && "$@" > stdout 2> /dev/null) || fail "$name: the reference run failed"
	for point in posix/io/rw/read:0.2 posix/io/rw/write:0.2 posix/io/sync/fsync:0.3 posix/io/dir/rename:0.3 \
		posix/io/oc/open:0.2 posix/io/oc/close:0.2 posix/mm/mmap:0.2 libc/mm/malloc:0.02; do
		prob=${point#*:} point=${point%:*}
		for ((i = 0; i < ${SLUICE_FAULTS_IO_RUNS:-3}; i++)); do
			rm -rf io && mkdir io
			# One BLAS thread, and no libfiu control thread: libfiu's
			# preload deadlocks in its own locks when a thread maps
			# memory while another loads a library (not sluice's).
			status=0
			(cd io && OPENBLAS_NUM_THREADS=1 timeout 60 fiu-run -x -f '' \
				-c "enable_random name=$point,probability=$prob" "$@" > stdout 2> stderr) || status=$?
			tally injected
			[ "$status" != 124 ] || fail "$name: hung with $point failing"
			if [ "$status" = 0 ]; then
				same_as_ref io || fail "$name: exit 0 with $point failing, but not the reference's output"
			else
				[ "$status" = 1 ] || fail "$name: exit $status with $point failing (want 1): $(tail -n 3 io/stderr)"
				[ "$point" = posix/io/rw/write ] || [[ "$(tail -n 1 io/stderr)" == "$name: "* ]] ||
					fail "$name: with $point failing, the last line is not the program's: $(tail -n 3 io/stderr)"
				out=$(cd io && find . -name '*.tmp.*' -o -name '*.partial*')
				[ -z "$out" ] || fail "$name: temporary files left with $point failing: $out"
				(cd io && rm -f stdout stderr && "$@" > stdout 2> stderr) ||
					fail "$name: a rerun after $point failed: $(cat io/stderr)"
				same_as_ref io || fail "$name: a rerun after $point failed: not the reference's output"
			fi
			tally survived
		done
	done
}

# same_as_ref DIR : DIR holds what io.ref does (see io_sweep's SAME).
same_as_ref() {
	if [ -n "${SAME:-}" ]; then
		cmp -s <(cd "$1" && eval "$SAME") <(cd io.ref && eval "$SAME")
	else
		diff -r -q -x stderr "$1" io.ref > /dev/null
	fi
}

# kill_sweep NAME RERUN COMMAND... : COMMAND run to its end in a directory
# of its own (the reference), then SLUICE_FAULTS_KILLS times (4; 20 in
# `make faults`) started afresh and killed with SIGKILL, with its process
# group, after a random part of the reference's time.  What it leaves
# under its own names must be whole (the reference's bytes) or absent;
# only its temporary names (NAME.tmp.XXXXXX, the Hub cache's NAME.HEX.tmp
# and .incomplete, a checkpoint's .step-N.partial/) may hold a part.  Then RERUN (a command line,
# eval'd in that directory: the same command, or one that resumes) must
# succeed, and the files then be the reference's (the
# temporary names a killed run leaves aside, and files named KILL_SKIP).
# SLUICE_FAULTS_SEED seeds the delays.
kill_sweep() {
	local name=$1 rerun=$2 i t0 ms delay pid
	shift 2
	rm -rf kill.ref && mkdir kill.ref
	t0=$(date +%s%N)
	(cd kill.ref && "$@" > /dev/null 2>&1) || fail "$name: the reference run failed"
	ms=$((($(date +%s%N) - t0) / 1000000 + 1))
	RANDOM=${SLUICE_FAULTS_SEED:-1}
	for ((i = 0; i < ${SLUICE_FAULTS_KILLS:-4}; i++)); do
		rm -rf k && mkdir k
		delay=$((RANDOM % (ms * 6 / 5 + 1)))
		(cd k && exec setsid "$@" > /dev/null 2>&1) &
		pid=$!
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		kill -KILL -- "-$pid" 2> /dev/null || true
		wait "$pid" 2> /dev/null || true
		tally injected
		whole_or_temporary k || fail "$name: killed after $delay ms of $ms: a file left partial"
		(cd k && eval "$rerun" > /dev/null 2> ../rerun.err) ||
			fail "$name: the rerun after a kill at $delay ms failed: $(cat rerun.err)"
		whole_or_temporary k || fail "$name: the rerun after a kill at $delay ms left a file partial"
		diff -r -q -x '*.tmp.*' -x '*.tmp' -x '.*.partial' -x '*.incomplete' -x '*.lock' ${KILL_SKIP:+-x "$KILL_SKIP"} \
			k kill.ref > /dev/null ||
			fail "$name: after a kill at $delay ms and a rerun, not the reference's files: $(diff -r -q -x '*.tmp.*' k kill.ref | head -3)"
		tally survived
	done
}

# whole_or_temporary DIR : every file under DIR that is not under a
# temporary name is kill.ref's file of that name, byte for byte.
whole_or_temporary() {
	local f
	while IFS= read -r f; do
		f=${f#./}
		case $f in *.tmp.* | *.tmp | *.partial/* | */.*.partial/* | *.incomplete | *.lock) continue ;; esac
		[ -z "${KILL_SKIP:-}" ] || [ "${f##*/}" != "$KILL_SKIP" ] || continue
		cmp -s "$1/$f" "kill.ref/$f" || { echo "$f" >&2; return 1; }
	done < <(cd "$1" && find . -type f)
}

# A corpus of some 400 KB in records and JSON lines, its tokens, batches.
corpus() {
	licence_rows | head -n 2000 > rows.jsonl
	rec-pack -q -J rows.jsonl > rows.rec
	tok-bpe encode -q -t "$RANKS/r50k_base.tiktoken" --eot rows.rec > tok.rec
	batchify -q -B 4 -T 64 tok.rec > batches.rec
}

RANKS=$TOP/tests/node/node_modules/gpt-tokenizer/data
TINY="--layers 2 --heads 2 --dim 32 --seed 3"

load helpers/hub

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	export HF_HUB_CACHE=$PWD/hf-cache HF_HOME=$PWD/hf-home
	unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HUB_OFFLINE HF_ENDPOINT
	corpus
}

teardown() { hub_stop; }

@test "full disk: rec-pack, rec-filter, rec-mix and rec-cat" {
	sweep rec-pack out.rec rec-pack -q -J -o @DIR@/out.rec rows.jsonl
	sweep rec-filter out.rec rec-filter -q --fineweb -o @DIR@/out.rec rows.rec
	sweep rec-mix out.rec rec-mix -q -o @DIR@/out.rec rows.rec rows.rec
	dev_full rec-pack rec-pack -q -J rows.jsonl
	dev_full rec-cat rec-cat rows.rec
	dev_full rec-filter rec-filter -q rows.rec
}

@test "full disk: rec-dedup, one run and each stage, outputs and temporary files" {
	cat rows.rec rows.rec > twice.rec
	sweep rec-dedup out.rec rec-dedup -q --near -o @DIR@/out.rec twice.rec
	sweep rec-dedup removed.rec rec-dedup -q --removed @DIR@/removed.rec -o /dev/null twice.rec
	sweep rec-dedup a.sig rec-dedup sign -q --near -o @DIR@/a.sig twice.rec
	rec-dedup sign -q --near -o a.sig twice.rec
	sweep rec-dedup b.bkt rec-dedup buckets -q -o @DIR@/b.bkt a.sig
	rec-dedup buckets -q -o b.bkt a.sig
	sweep rec-dedup c.drop rec-dedup clusters -q -o @DIR@/c.drop a.sig b.bkt
	# the stages' temporary files where the disk is full, the output elsewhere
	SIZE=$(stat -c %s a.sig) sweep rec-dedup tmp \
		env TMPDIR=@DIR@/tmp bash -c 'mkdir -p "$TMPDIR" && rec-dedup -q --near -o /dev/null twice.rec'
	dev_full rec-dedup rec-dedup -q twice.rec
}

@test "full disk: tok-bpe encode and train, batchify to records and to llm.c shards" {
	sweep tok-bpe out.rec tok-bpe encode -q -t "$RANKS/r50k_base.tiktoken" -o @DIR@/out.rec rows.rec
	sweep tok-bpe tok.json tok-bpe train -q --vocab-size 600 -o @DIR@/tok.json rows.rec
	sweep batchify out.rec batchify -q -B 4 -T 64 -o @DIR@/out.rec tok.rec
	sweep batchify bin batchify -q --to-bin @DIR@/bin --shard-tokens 20000 tok.rec
	dev_full tok-bpe tok-bpe encode -q -t "$RANKS/r50k_base.tiktoken" rows.rec
	dev_full batchify batchify -q -B 4 -T 64 tok.rec
}

@test "full disk: wds-write's shards and index, wds-cat" {
	sweep wds-write shards bash -c 'mkdir -p "$0/shards" &&
		wds-write -q -c 300 --index "$0/shards/index.json" "$0/shards/part" rows.rec' @DIR@
	wds-write -q -c 300 part rows.rec
	sweep wds-cat out.rec wds-cat -q -o @DIR@/out.rec part-000000.tar part-000001.tar
	dev_full wds-cat wds-cat -q part-000000.tar
}

@test "full disk: train-step's export, checkpoints, log and events; lm-run, lm-embed, train-plot" {
	STREAMS="run/log.jsonl run/events.jsonl" sweep train-step run bash -c 'mkdir -p "$0/run" &&
		train-step -q $1 --data batches.rec --steps 6 --ckpt-dir "$0/run/ck" --ckpt-every 2 \
		--log "$0/run/log.jsonl" --events "$0/run/events.jsonl" --export "$0/run/m.bin"' @DIR@ "$TINY"
	# the checkpoints left by the last fault resume to the uninterrupted run's model
	if ls full.after/run/ck/step-* > /dev/null 2>&1; then
		train-step -q --data batches.rec --steps 6 --ckpt-dir full.after/run/ck --resume --export resumed.bin
		cmp resumed.bin ref/run/m.bin
	fi
	train-step -q $TINY --data batches.rec --steps 2 --export m.bin --log log.jsonl
	sweep lm-run out.txt lm-run generate -q -m m.bin -t "$RANKS/r50k_base.tiktoken" -p the --ignore-eot -n 300 --samples 8 \
		-o @DIR@/out.txt
	head -n 300 rows.jsonl | jq -r .text > docs.txt
	sweep lm-embed out.jsonl lm-embed -q -m m.bin -t "$RANKS/r50k_base.tiktoken" --format jsonl -o @DIR@/out.jsonl docs.txt
	sweep train-plot loss.png train-plot -q -o @DIR@/loss.png log.jsonl
	dev_full lm-embed lm-embed -q -m m.bin -t "$RANKS/r50k_base.tiktoken" --format jsonl docs.txt
}

@test "full disk: hf-stream's output and its Hub cache, which a run with room completes" {
	mkdir -p hub/datasets/org/lic/data
	cp rows.jsonl hub/datasets/org/lic/data/train-00000-of-00001.jsonl
	hub_serve
	sweep hf-stream out.rec hf-stream -q org/lic -o @DIR@/out.rec
	cp ref/out.rec want.rec
	sweep hf-stream cache env HF_HUB_CACHE=@DIR@/cache hf-stream -q --download org/lic -o /dev/null
	# the cache the last fault left completes with room, to the same rows
	HF_HUB_CACHE=$PWD/full.after/cache hf-stream -q --download org/lic -o after.rec
	cmp <(rec-cat after.rec) <(rec-cat want.rec)
	dev_full hf-stream hf-stream -q org/lic
}

@test "full disk: vs-upsert keeps every acknowledged point, exits 1, and the store takes more with room" {
	"$PY" - <<-'EOF' > points.jsonl
		import json
		for i in range(4000):
		    print(json.dumps({"id": "p%d" % i, "vector": [((i * 7 + k) % 13 - 6) / 4 for k in range(16)],
		                      "metadata": {"i": i}}))
	EOF
	mkdir full.seed
	head -n 1000 points.jsonl | vs-upsert -q --store full.seed/st --metric dot --ack > seed.ack
	local size free i n
	size=$(du -sb full.seed/st | cut -f1)
	while read -r i n; do
		free=$((size * (i + 1) / n / 4096 * 4096))
		on_full "$free" bash -c 'tail -n +1001 points.jsonl | vs-upsert -q --store full/st --ack --batch 100 > acked.txt'
		assert_disk_full vs-upsert
		[[ "$stderr" == "vs-upsert: "*"/st/"* ]] || fail "the line does not name the store's file: $stderr"
		# everything acknowledged is there, exactly, and nothing else
		vs-query -q --store full.after/st --scan --with-vector > scan.jsonl
		acked=$("$PY" - <<-'EOF'
			import json
			sent = {json.loads(l)["id"]: json.loads(l) for l in open("points.jsonl")}
			acked = [l.strip() for l in open("seed.ack")] + [l.strip() for l in open("acked.txt")]
			got = {}
			for l in open("scan.jsonl"):
			    o = json.loads(l)
			    got[o["id"]] = o
			missing = [a for a in acked if a not in got]
			assert not missing, "acknowledged but not in the store: %s" % missing[:5]
			for k, o in got.items():
			    assert o["vector"] == sent[k]["vector"] and o["metadata"] == sent[k]["metadata"], k
			assert len(got) == len(acked), (len(got), len(acked))
			print(len(acked))
		EOF
		) || fail "the store after the fault is not what was acknowledged"
		tally survived
		tally acknowledged "$acked"
		# with room, the rest goes in
		tail -n +1001 points.jsonl | vs-upsert -q --store full.after/st --ack --batch 100 > more.txt
		[ "$(vs-query -q --store full.after/st --stats | jq .points)" = 4000 ]
	done < <(fractions)
	dev_full vs-upsert bash -c 'head -n 10 points.jsonl | vs-upsert -q --store st2 --metric dot --ack'
	dev_full vs-query bash -c 'vs-query -q --store full.seed/st --scan'
}

@test "I/O errors (libfiu): every call that can fail, failing at random, gives exit 1 or the same output" {
	command -v fiu-run > /dev/null || fail "no fiu-run: apt-get install fiu-utils (scripts/install-deps --tests)"
	# libfiu's preload and the sanitizers' runtime do not mix (each wraps
	# malloc; the symbolizer inherits the preload): the plain build runs this.
	[ -z "${SLUICE_SANITIZED:-}" ] || skip "libfiu's preload cannot run beside ASan's runtime"
	local w=$PWD
	io_sweep rec-cat rec-cat "$w/rows.rec"
	io_sweep rec-pack rec-pack -q -J -o o.rec "$w/rows.jsonl"
	io_sweep hf-stream hf-stream -q -o o.rec "$w/rows.jsonl"
	jq -r '[.text] | @csv' rows.jsonl | sed '1i text' > rows.csv
	io_sweep hf-stream hf-stream -q -o o.rec "$w/rows.csv"
	io_sweep rec-filter rec-filter -q --fineweb -o o.rec "$w/rows.rec"
	io_sweep rec-dedup rec-dedup -q --near -o o.rec "$w/rows.rec" "$w/rows.rec"
	io_sweep tok-bpe tok-bpe encode -q -t "$RANKS/r50k_base.tiktoken" -o o.rec "$w/rows.rec"
	io_sweep tok-bpe tok-bpe train -q --vocab-size 600 -o tok.json "$w/rows.rec"
	io_sweep batchify batchify -q --to-bin bin --shard-tokens 20000 "$w/tok.rec"
	io_sweep wds-write wds-write -q -c 300 part "$w/rows.rec"
	wds-write -q -c 300 part "$w/rows.rec"
	io_sweep wds-cat wds-cat -q -o o.rec "$w/part-000000.tar" "$w/part-000001.tar"
	io_sweep train-step train-step -q $TINY --data "$w/batches.rec" --steps 4 --ckpt-dir ck --ckpt-every 2 --export m.bin
	"$PY" -c '
import json
for i in range(500):
    print(json.dumps({"id": "p%d" % i, "vector": [((i * 7 + k) % 13 - 6) / 4 for k in range(16)], "metadata": {"i": i}}))' > pts.jsonl
	SAME='vs-query -q --store st --scan --with-vector | sort' io_sweep vs-upsert vs-upsert -q --store st --metric dot --batch 50 "$w/pts.jsonl"
}

@test "SIGKILL at random moments: outputs whole or absent, and a rerun (or --resume) gives the same bytes" {
	local w=$PWD
	W=$PWD # the reruns' input directory
	kill_sweep wds-write 'wds-write -q -c 300 part "$W/rows.rec"' wds-write -q -c 300 part "$w/rows.rec"
	kill_sweep batchify 'batchify -q --to-bin bin --shard-tokens 20000 "$W/tok.rec"' \
		batchify -q --to-bin bin --shard-tokens 20000 "$w/tok.rec"
	kill_sweep tok-bpe 'tok-bpe train -q --vocab-size 600 -o tok.json "$W/rows.rec"' \
		tok-bpe train -q --vocab-size 600 -o tok.json "$w/rows.rec"
	kill_sweep rec-dedup 'rec-dedup -q --near -o o.rec "$W/rows.rec" "$W/rows.rec"' \
		rec-dedup -q --near -o o.rec "$w/rows.rec" "$w/rows.rec"
	# a checkpoint's manifest names the command, which --resume changes;
	# its model, optimizer state and step, and the model exported, must not
	KILL_SKIP=manifest.json kill_sweep train-step \
		'train-step -q $TINY --data "$W/batches.rec" --steps 8 --ckpt-dir ck --ckpt-every 2 --resume --export m.bin' \
		train-step -q $TINY --data "$w/batches.rec" --steps 8 --ckpt-dir ck --ckpt-every 2 --export m.bin
	mkdir -p hub/datasets/org/lic/data
	for i in 1 2 3 4; do cat rows.jsonl; done > hub/datasets/org/lic/data/train-00000-of-00001.jsonl
	hub_serve
	kill_sweep hf-stream 'env HF_HUB_CACHE=cache hf-stream -q --download org/lic -o o.rec' \
		env HF_HUB_CACHE=cache hf-stream -q --download org/lic -o o.rec
}
