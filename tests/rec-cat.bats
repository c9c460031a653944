#!/usr/bin/env bats
# rec-cat: printing, inspecting and validating record streams, and the
# round trip with rec-pack.  Streams rec-pack never writes come from
# tests/helpers/mkframes.py, an independent writer of raw frames.

load test_helper

# A valid two-record stream from rec-pack in s.rec: frames 0 (header),
# 1 ("first"), 2 ("second") and 3 (end marker); see frame_offset.
two_records() {
	printf 'first\nsecond\n' | rec-pack > s.rec
}

# ---- round trips ----------------------------------------------------------

@test "round trip: every byte value but newline comes back byte for byte" {
	# One line holding 0x00..0xff without 0x0a, then each of those bytes as
	# a line of its own: NUL, CR, invalid UTF-8 (0x80, 0xc0, 0xff), ...
	"$PY" -c '
import sys
all = bytes(b for b in range(256) if b != 10)
sys.stdout.buffer.write(all + b"\n" + b"".join(bytes([b]) + b"\n" for b in all))' > in.txt
	assert_equal "$(filesize in.txt)" $((256 + 255 * 2))
	rec-pack < in.txt > s.rec
	run --separate-stderr rec-cat --text s.rec
	assert_success
	assert_no_stderr
	rec-cat --text s.rec > out.txt
	cmp in.txt out.txt
}

@test "round trip: empty lines become empty records and come back" {
	printf '\n\nmiddle\n\n' > in.txt
	rec-pack < in.txt > s.rec
	run rec-cat s.rec
	assert_output "$(printf '%s\n' '{"type":"text","text":""}' '{"type":"text","text":""}' \
		'{"type":"text","text":"middle"}' '{"type":"text","text":""}')"
	rec-cat --text s.rec > out.txt
	cmp in.txt out.txt
}

@test "round trip: a last line without a newline still becomes a record" {
	printf 'one\ntwo' | rec-pack > s.rec
	run rec-cat s.rec
	assert_output "$(printf '%s\n' '{"type":"text","text":"one"}' '{"type":"text","text":"two"}')"
	# so --text gives it back with the newline every record ends with
	rec-cat --text s.rec > out.txt
	printf 'one\ntwo\n' | cmp - out.txt
}

@test "round trip: empty input packs to a stream of no records" {
	rec-pack < /dev/null > s.rec
	run --separate-stderr rec-cat --text s.rec
	assert_success
	assert_output ""
	assert_no_stderr
}

@test "round trip: -z/--null keeps NUL-delimited records with newlines in them" {
	printf 'one\nline two\0\r\n\0\0last\n' > in.bin
	rec-pack -z < in.bin > s.rec
	run rec-cat s.rec
	assert_output "$(printf '%s\n' '{"type":"text","text":"one\nline two"}' \
		'{"type":"text","text":"\r\n"}' '{"type":"text","text":""}' '{"type":"text","text":"last\n"}')"
	rec-cat --text --null s.rec > out.bin
	printf 'one\nline two\0\r\n\0\0last\n\0' | cmp - out.bin
	rec-cat -t -z s.rec | cmp - out.bin
}

@test "round trip: 100 MB of lines through rec-pack | rec-cat --text, same checksum" {
	# ~100 MB of 76-column base64 lines: varied content, made in well under a second.
	head -c 75000000 /dev/urandom | base64 -w 76 > in.txt
	assert [ "$(filesize in.txt)" -gt 100000000 ]
	want=$(sha256sum < in.txt)
	got=$(rec-pack < in.txt 2> pack.err | rec-cat --text 2> cat.err | sha256sum; echo "${PIPESTATUS[*]}")
	assert_equal "$got" "$want"$'\n'"0 0 0"
	assert_equal "$(cat pack.err cat.err)" ""
}

@test "round trip: one 40 MB line, in linear time" {
	head -c 30000000 /dev/urandom | base64 -w 0 > in.txt
	echo >> in.txt
	# timeout turns a quadratic buffer growth into a failure, not a hang
	run --separate-stderr timeout 60 bash -c 'rec-pack < in.txt | rec-cat --text | cmp - in.txt'
	assert_success
	assert_no_stderr
}

# ---- not a record stream (status 3) ---------------------------------------

@test "plain text input: status 3 and a hint to use rec-pack" {
	run --separate-stderr rec-cat <<<'hello world'
	assert_error 3 "rec-cat: <stdin>:0: not a sluice record stream (it looks like plain text; convert with rec-pack)"
	assert_output ""
}

@test "JSON lines input: status 3 and a hint to use rec-pack --jsonl" {
	printf '{"text":"a"}\n{"text":"b"}\n' > data.jsonl
	run --separate-stderr rec-cat data.jsonl
	assert_error 3 "rec-cat: data.jsonl:0: not a sluice record stream (it looks like JSON lines; convert with rec-pack --jsonl)"
}

@test "binary input that is not a stream: status 3, bad magic" {
	printf 'PK\003\004\000\000binary' > x.zip
	run --separate-stderr rec-cat x.zip
	assert_error 3 "rec-cat: x.zip:0: not a sluice record stream (bad magic)"
}

@test "a corrupt magic mid-stream: status 3 at the offset of that frame" {
	two_records
	second=$(frame_offset s.rec 1)
	assert [ "$second" -gt 0 ]
	flip_byte s.rec $((second + 2))
	run --separate-stderr rec-cat s.rec
	assert_error 3 "rec-cat: s.rec:$second: bad frame magic: the stream is corrupt here"
	assert_output ""
}

@test "garbage after the end marker is a corrupt stream, not ignored" {
	two_records
	size=$(filesize s.rec)
	printf 'trailing junk\n' >> s.rec
	run --separate-stderr rec-cat --validate s.rec
	assert_error 3 "rec-cat: s.rec:$size: bad frame magic: the stream is corrupt here"
}

# ---- truncated (4) --------------------------------------------------------

@test "a stream cut inside a frame body: status 4 at the frame's offset" {
	two_records
	second=$(frame_offset s.rec 1) # "first": 24-byte head + 8 bytes
	head -c $((second + 30)) s.rec > cut.rec
	run --separate-stderr rec-cat cut.rec
	assert_error 4 "rec-cat: cut.rec:$second: truncated frame: its head promises 32 bytes, the input ends after 30"
}

@test "a stream cut inside a frame head: status 4" {
	two_records
	third=$(frame_offset s.rec 2)
	head -c $((third + 10)) s.rec > cut.rec
	run --separate-stderr rec-cat cut.rec
	assert_error 4 "rec-cat: cut.rec:$third: truncated frame: input ends 10 bytes into a 24-byte frame head"
}

@test "records before a bad frame are printed, then the error" {
	two_records
	third=$(frame_offset s.rec 2)
	head -c $((third + 10)) s.rec > cut.rec
	run --separate-stderr rec-cat --text cut.rec
	assert_equal "$status" 4
	assert_output "first"
}

# ---- checksums (5) --------------------------------------------------------

@test "a flipped payload byte: status 5, frame checksum mismatch" {
	two_records
	second=$(frame_offset s.rec 1)
	flip_byte s.rec $((second + 24 + 1)) # the 'i' of "first"
	run --separate-stderr rec-cat s.rec
	assert_error 5 "rec-cat: s.rec:$second: frame checksum mismatch"
}

@test "a flipped payload length byte: status 5, frame head checksum mismatch" {
	two_records
	third=$(frame_offset s.rec 2)
	flip_byte s.rec $((third + 8)) # low byte of payload_len
	run --separate-stderr rec-cat s.rec
	assert_error 5 "rec-cat: s.rec:$third: frame head checksum mismatch"
}

@test "a flipped padding byte is caught too: the body checksum covers the padding" {
	two_records
	second=$(frame_offset s.rec 1)
	flip_byte s.rec $((second + 24 + 7)) # zero padding after "first"
	run --separate-stderr rec-cat --validate s.rec
	assert_error 5 "rec-cat: s.rec:$second: frame checksum mismatch"
}

# ---- missing end marker (6) -----------------------------------------------

@test "a stream without its end marker: status 6" {
	two_records
	end=$(frame_offset s.rec 3)
	head -c "$end" s.rec > cut.rec
	run --separate-stderr rec-cat cut.rec
	assert_error 6 "rec-cat: cut.rec:$end: missing end marker after 2 records (the producer stopped early?)"
}

@test "a header alone, without the end marker: status 6 after 0 records" {
	mkframes header > h.rec
	run --separate-stderr rec-cat h.rec
	assert_error 6 "rec-cat: h.rec:88: missing end marker after 0 records (the producer stopped early?)"
}

@test "empty input: status 6, the producer may have failed" {
	run --separate-stderr rec-cat < /dev/null
	assert_error 6 "rec-cat: <stdin>:0: empty input: no record stream (did the producer fail?)"
}

@test "a failed producer in a pipeline shows as status 6, not as no data" {
	run --separate-stderr bash -c 'rec-pack missing.txt 2>/dev/null | rec-cat --text'
	assert_equal "$status" 6
	assert_equal "${#stderr_lines[@]}" 1
	# whether the producer got its header out before failing or not
	assert_regex "$stderr" '^rec-cat: <stdin>:[0-9]+: (empty input: no record stream|missing end marker after 0 records)'
	assert_output ""
}

# ---- frame over the size limit (7) ----------------------------------------

@test "a frame over SLUICE_MAX_FRAME: status 7" {
	head -c 2000 /dev/zero | tr '\0' x > long.txt
	printf '\nshort\n' >> long.txt
	rec-pack < long.txt > s.rec
	second=$(frame_offset s.rec 1)
	SLUICE_MAX_FRAME=1000 run --separate-stderr rec-cat s.rec
	assert_error 7 "rec-cat: s.rec:$second: frame of 2000 bytes is over the 1000-byte limit (set SLUICE_MAX_FRAME to raise it)"
	SLUICE_MAX_FRAME=2000 run --separate-stderr rec-cat --validate s.rec
	assert_success
}

@test "a frame head claiming a 4 GB payload: status 7 at the default limit, nothing allocated" {
	mkframes header head:0x10:0:0:0xfffffff0 > huge.rec
	run --separate-stderr rec-cat huge.rec
	assert_error 7 "rec-cat: huge.rec:88: frame of 4294967280 bytes is over the 1073741824-byte limit (set SLUICE_MAX_FRAME to raise it)"
}

# ---- malformed streams (8) ------------------------------------------------

@test "an end marker with the wrong count: status 8" {
	mkframes header text:a text:b end:3 > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:152: end marker counts 3 records but the stream has 2 (frames lost?)"
}

@test "an end marker whose payload is not 8 bytes: status 8" {
	mkframes header 'raw:2:0:\x00\x00\x00\x00' > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: end marker payload is not 8 bytes"
}

@test "data before the header: status 8" {
	mkframes text:early header end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:0: stream does not begin with a header frame"
}

@test "a frame after the end marker: status 8" {
	mkframes header text:a end text:late > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:152: text frame after the end marker"
}

@test "a second header before the end marker: status 8" {
	mkframes header text:a header end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:120: header frame inside a stream (the previous stream has no end marker)"
}

@test "a header that is not a JSON object: status 8" {
	mkframes 'header:["a"]' end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:0: header frame is not a JSON object"
}

@test "bad layout: tokens with a u8 dtype" {
	mkframes header 'raw:0x11:1:\x01\x02' end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: tokens frame with a dtype other than u16 or u32"
}

@test "bad layout: u32 tokens payload not a whole number of tokens" {
	mkframes header 'raw:0x11:3:\x01\x00\x00\x00\x02\x00' end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: tokens payload is not a whole number of tokens"
}

@test "bad layout: batch shorter than its head" {
	mkframes header 'raw:0x12:2:\x01\x00\x00\x00' end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: batch payload shorter than its 16-byte head"
}

@test "bad layout: batch whose B x (T+1) does not match its tokens" {
	mkframes header batch16:2:3:1,2,3 end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: batch of 2 x 4 needs 32 payload bytes, frame has 22"
}

@test "bad layout: batch with a mask flag but no mask" {
	mkframes header batch32:1:1:7,8::1 end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: batch of 1 x 2 needs 26 payload bytes, frame has 24"
}

@test "bad layout: batch with unknown flags" {
	mkframes header batch16:1:1:1,2::6 end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: batch frame with unknown flags"
}

@test "bad layout: vector whose dim does not fill the payload" {
	mkframes header vector:dim=3,1,2 end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: vector of dim 3 with 0 metadata bytes does not fill its 16-byte payload"
}

@test "bad layout: vector with a dtype other than f32" {
	mkframes header 'raw:0x13:3:\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00' end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: vector frame with a dtype other than f32"
}

@test "bad layout: sample part running past the frame" {
	mkframes header 'raw:0x15:0:\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x40\x00\x00\x00n' end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: sample part runs past the end of its frame"
}

@test "bad layout: sample with bytes after its last part" {
	mkframes header 'raw:0x15:0:\x00\x00\x00\x00\x00\x00\x00\x00leftover' end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: sample payload has bytes after its last part"
}

@test "a json record that is not JSON: status 8 when printed and when validated" {
	mkframes header 'json:{"a":' end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: json record is not a JSON object"
	run --separate-stderr rec-cat --validate s.rec
	assert_error 8 "rec-cat: s.rec:88: json record is not a JSON object"
}

@test "a json record holding valid JSON that is not an object: status 8" {
	mkframes header 'json:[1,2]' end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_error 8 "rec-cat: s.rec:88: json record is not a JSON object"
}

@test "vector metadata that is not JSON: status 8" {
	mkframes header 'vector:1,2:{oops}' end > s.rec
	run --separate-stderr rec-cat --validate s.rec
	assert_error 8 "rec-cat: s.rec:88: vector metadata is not a JSON object"
}

# ---- pipelines ------------------------------------------------------------

@test "rec-pack < big | rec-cat | head -1: the first record, nothing on stderr" {
	head -c 15000000 /dev/urandom | base64 -w 100 > big.txt
	first=$(head -1 big.txt)
	rec-pack < big.txt 2> pack.err | rec-cat 2> cat.err | head -1 > out.txt
	statuses=("${PIPESTATUS[@]}")
	assert_equal "$(cat out.txt)" "{\"type\":\"text\",\"text\":\"$first\"}"
	assert_equal "$(cat pack.err)" ""
	assert_equal "$(cat cat.err)" ""
	# each stage ends well or by SIGPIPE (141), the way cat does
	for s in "${statuses[@]}"; do assert_regex "$s" '^(0|141)$'; done
}

@test "rec-pack < big | rec-cat --text | head -1: the first line, nothing on stderr" {
	head -c 15000000 /dev/urandom | base64 -w 100 > big.txt
	rec-pack < big.txt 2> pack.err | rec-cat --text 2> cat.err | head -1 > out.txt
	statuses=("${PIPESTATUS[@]}")
	head -1 big.txt | cmp - out.txt
	assert_equal "$(cat pack.err)" ""
	assert_equal "$(cat cat.err)" ""
	for s in "${statuses[@]}"; do assert_regex "$s" '^(0|141)$'; done
}

# ---- concatenated streams and unknown frames ------------------------------

@test "concatenated streams read as one: both streams' records in order" {
	printf 'a1\na2\n' | rec-pack > a.rec
	printf 'b1\n' | rec-pack > b.rec
	run --separate-stderr bash -c 'cat a.rec b.rec | rec-cat --text'
	assert_success
	assert_output "$(printf 'a1\na2\nb1')"
}

@test "--stats counts the streams of a concatenation" {
	printf 'a1\na2\n' | rec-pack > a.rec
	printf 'b1\n' | rec-pack > b.rec
	cat a.rec b.rec > ab.rec
	rec-cat --stats ab.rec > stats.json
	assert_equal "$(json_get stats.json '[j["inputs"], j["streams"], j["records"]]')" "[1, 2, 3]"
}

@test "several FILE arguments are read in order" {
	printf 'a1\n' | rec-pack > a.rec
	printf 'b1\n' | rec-pack > b.rec
	run rec-cat --text b.rec a.rec - < a.rec
	assert_output "$(printf 'b1\na1\na1')"
}

@test "unknown frame types are skipped by their length and count toward the end marker" {
	mkframes header text:before 'raw@some-key:0x7f:0:unknown payload, 20' text:after end:3 > s.rec
	run --separate-stderr rec-cat s.rec
	assert_success
	assert_output "$(printf '%s\n' '{"type":"text","text":"before"}' '{"type":"text","text":"after"}')"
	# an end marker that leaves the unknown frame out of its count is wrong
	mkframes header text:before 'raw@some-key:0x7f:0:unknown payload, 20' text:after end:2 > bad.rec
	run --separate-stderr rec-cat bad.rec
	assert_equal "$status" 8
}

@test "--stats counts unknown frames apart from records" {
	mkframes header 'raw:0x7f:0:x' text:a 'raw:0x40:4:yy' end > s.rec
	rec-cat --stats s.rec > stats.json
	assert_equal "$(json_get stats.json '[j["records"], j["unknown_frames"]]')" "[1, 2]"
}

# ---- options --------------------------------------------------------------

@test "--take N prints the first N records; -n and the old name --head are the same flag" {
	seq 10 | rec-pack > s.rec
	run rec-cat --take 3 --text s.rec
	assert_output "$(seq 3)"
	run rec-cat -n 1 s.rec
	assert_output '{"type":"text","text":"1"}'
	run rec-cat --head 2 --text s.rec
	assert_output "$(seq 2)"
}

@test "--take N stops reading: a corrupt frame after the Nth is not reached" {
	seq 10 | rec-pack > s.rec
	flip_byte s.rec "$(frame_offset s.rec 5)"
	run --separate-stderr rec-cat --take 3 --text s.rec
	assert_success
	assert_output "$(seq 3)"
}

@test "--take 0 prints nothing" {
	seq 10 | rec-pack > s.rec
	run --separate-stderr rec-cat --take 0 s.rec
	assert_success
	assert_output ""
}

@test "--skip N skips the first N records" {
	seq 10 | rec-pack > s.rec
	run rec-cat --skip 7 --text s.rec
	assert_output "$(seq 8 10)"
}

@test "--skip and --head together select a window" {
	seq 10 | rec-pack > s.rec
	run rec-cat --skip 2 --take 3 --text s.rec
	assert_output "$(seq 3 5)"
}

@test "--skip and --head count across inputs" {
	seq 3 | rec-pack > a.rec
	seq 4 6 | rec-pack > b.rec
	run rec-cat --skip 2 --take 2 --text a.rec b.rec
	assert_output "$(printf '3\n4')"
}

@test "--header prints the header JSON of each input" {
	printf 'x\n' | rec-pack > a.rec
	mkframes 'header:{"kind":"tokens","vocab":50257}' end > b.rec
	run --separate-stderr rec-cat --header a.rec b.rec
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "${lines[1]}" '{"kind":"tokens","vocab":50257}'
	assert_regex "${lines[0]}" '^\{"format":"sluice-rec","version":1,"kind":"text","lineage":\[\{"prog":"rec-pack",'
}

@test "--header prints a pretty-printed header on one line" {
	mkframes $'header:{\n  "kind": "text",\n  "note": "x"\n}' end > s.rec
	run --separate-stderr rec-cat --header s.rec
	assert_success
	assert_output '{"kind":"text","note":"x"}'
}

@test "--stats reports counts, bytes, tokens and the header as JSON" {
	mkframes 'header:{"kind":"mixed"}' text:hello tokens16:1,2,3 batch32:2:1:1,2,3,4 text:x end > s.rec
	rec-cat --stats s.rec > stats.json
	assert_equal "$(json_get stats.json '[j["inputs"], j["streams"], j["records"], j["bytes"]]')" \
		"[1, 1, 4, $(filesize s.rec)]"
	assert_equal "$(json_get stats.json 'j["types"]')" \
		'{"text": {"records": 2, "payload_bytes": 6}, "tokens": {"records": 1, "payload_bytes": 6}, "batch": {"records": 1, "payload_bytes": 32}}'
	assert_equal "$(json_get stats.json '[j["tokens"], j["unknown_frames"], j["header"]]')" \
		'[7, 0, {"kind": "mixed"}]'
}

@test "--stats with --head counts the bytes read so far" {
	seq 100 | rec-pack > s.rec
	rec-cat --stats --take 2 s.rec > stats.json
	third=$(frame_offset s.rec 3)
	assert_equal "$(json_get stats.json '[j["records"], j["bytes"]]')" "[2, $third]"
}

@test "--validate: a good stream prints nothing and exits 0" {
	seq 5 | rec-pack > s.rec
	run --separate-stderr rec-cat --validate s.rec
	assert_success
	assert_output ""
	assert_no_stderr
	run -0 rec-cat -c s.rec
}

@test "--validate: a bad stream prints nothing but the error" {
	seq 5 | rec-pack > s.rec
	second=$(frame_offset s.rec 1)
	flip_byte s.rec $((second + 24))
	run --separate-stderr rec-cat --validate s.rec
	assert_error 5 "rec-cat: s.rec:$second: frame checksum mismatch"
	assert_output ""
}

@test "--text prints only text records" {
	mkframes header text:one tokens16:1,2 'json:{"a":1}' text:two vector:1 end > s.rec
	run rec-cat --text s.rec
	assert_output "$(printf 'one\ntwo')"
}

@test "usage: --null without --text is an error (2)" {
	seq 2 | rec-pack > s.rec
	run --separate-stderr rec-cat -z s.rec
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-cat: --null goes with --text"
	assert_output ""
}

@test "usage: an unknown option exits 2 and points to --help" {
	run --separate-stderr rec-cat --bogus
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-cat: unrecognized option '--bogus'"
	assert_equal "${stderr_lines[1]}" "Try 'rec-cat --help' for more information."
}

@test "usage: two modes at once exit 2" {
	run --separate-stderr rec-cat --text --stats
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-cat: --text, --stats, --validate and --header exclude each other"
}

@test "usage: --take (or --head) with a bad number exits 2" {
	run --separate-stderr rec-cat --take 1x
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-cat: --take: '1x' is not a number"
	run --separate-stderr rec-cat --head -1
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-cat: --head: '-1' is not a non-negative number"
}

@test "--version prints the name, the suite and the version" {
	run --separate-stderr rec-cat --version
	assert_success
	assert_regex "$output" '^rec-cat \(sluice\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "-h prints usage to stdout and exits 0" {
	run --separate-stderr rec-cat -h
	assert_success
	assert_no_stderr
	assert_line --index 0 'Usage: rec-cat [OPTION]... [FILE]...'
	assert_output --partial '--validate'
	run -0 rec-cat --help
	assert_line --index 0 'Usage: rec-cat [OPTION]... [FILE]...'
}

@test "a missing input file: status 1 naming it" {
	run --separate-stderr rec-cat nope.rec
	assert_error 1 "rec-cat: nope.rec: No such file or directory"
}

# ---- JSONL for each record type -------------------------------------------

@test "jsonl: text with its key, quotes, backslashes and control characters escaped" {
	mkframes header 'text@doc-1:say "hi"\n\ttab\\back\r\x01\x1f caf\xc3\xa9' end > s.rec
	run --separate-stderr rec-cat s.rec
	assert_success
	assert_output '{"type":"text","key":"doc-1","text":"say \"hi\"\n\ttab\\back\r\u0001\u001f café"}'
}

@test "jsonl: invalid UTF-8 in text shows as U+FFFD" {
	mkframes header 'text:a\xffb\xc3(c\xed\xa0\x80d' end > s.rec
	run rec-cat s.rec
	assert_output '{"type":"text","text":"a\ufffdb\ufffd(c\ufffd\ufffd\ufffdd"}'
}

@test "jsonl: tokens, u16" {
	mkframes header 'tokens16@t:0,1,50256,65535' end > s.rec
	run rec-cat s.rec
	assert_output '{"type":"tokens","key":"t","tokens":[0,1,50256,65535]}'
}

@test "jsonl: tokens, u32" {
	mkframes header tokens32:0,65536,200000,4294967295 end > s.rec
	run rec-cat s.rec
	assert_output '{"type":"tokens","tokens":[0,65536,200000,4294967295]}'
}

@test "jsonl: batch with a mask" {
	mkframes header batch16:2:2:1,2,3,4,5,6:1,1,1,1,1,0 end > s.rec
	run rec-cat s.rec
	assert_output '{"type":"batch","batch":{"B":2,"T":2,"rows":[[1,2,3],[4,5,6]],"mask":[[1,1,1],[1,1,0]]}}'
}

@test "jsonl: batch without a mask, u32" {
	mkframes header batch32:1:3:70000,1,2,3 end > s.rec
	run rec-cat s.rec
	assert_output '{"type":"batch","batch":{"B":1,"T":3,"rows":[[70000,1,2,3]]}}'
}

@test "jsonl: vector with metadata, floats in shortest round-trip form" {
	mkframes header 'vector@v1:0.1,-2.5,3,1e-07,0.3333333432674408:{"lang":"en","score":0.1}' end > s.rec
	run rec-cat s.rec
	assert_output '{"type":"vector","key":"v1","vector":[0.1,-2.5,3,1e-07,0.33333334],"metadata":{"lang":"en","score":0.1}}'
}

@test "jsonl: a pretty-printed json record comes out on one line" {
	mkframes header 'json@r:{\n  "a": 0.1,\n  "b": [\r\n    1,\n    "x y"\n  ]\n}\n' end > s.rec
	run rec-cat s.rec
	assert_equal "${#lines[@]}" 1
	assert_output '{"type":"json","key":"r","json":{   "a": 0.1,   "b": [      1,     "x y"   ] } }'
	assert_equal "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["json"])' "$output")" \
		"{'a': 0.1, 'b': [1, 'x y']}"
}

@test "jsonl: sample with a text part as a string and a binary part as base64" {
	mkframes header 'sample@s1:txt=hello\nworld,bin=\x00\x01\x02\xff,latin=caf\xe9' end > s.rec
	run rec-cat s.rec
	assert_output '{"type":"sample","key":"s1","parts":{"txt":"hello\nworld","bin":{"base64":"AAEC/w=="},"latin":{"base64":"Y2Fm6Q=="}}}'
}

@test "jsonl: every line of a mixed stream is one valid JSON object" {
	mkframes header 'text:a\x00b' tokens16:1 batch16:1:0:5 vector:0.5:{} 'json:{"a":[1,\n2]}' 'sample:a=\x00' end > s.rec
	rec-cat s.rec > out.jsonl
	run "$PY" -c '
import json, sys
types = [json.loads(line)["type"] for line in open(sys.argv[1], encoding="utf-8")]
print(" ".join(types))' out.jsonl
	assert_output "text tokens batch vector json sample"
}

# ---- the format's documentation -------------------------------------------

# The reader in sluice-rec(5) as a user copies it from the rendered page:
# roff requests dropped, roff escapes for backslash, minus and quotes undone.
extract_python_reader() {
	sed -n '/BEGIN PYTHON READER/,/END PYTHON READER/p' "$TOP/man/man5/sluice-rec.5" | sed '1d;$d' |
		"$PY" -c '
import re, sys
esc = {r"\e": "\\", r"\\": "\\", r"\(rs": "\\", r"\-": "-", r"\(aq": "'"'"'",
       r"\(dq": "\"", r"\(ga": "`", r"\(ti": "~", r"\(ha": "^", r"\&": "", r"\|": ""}
for line in sys.stdin:
    if re.match(r"\.(\\\"|[A-Za-z]{1,2}\b)", line):
        continue
    sys.stdout.write(re.sub(r"\\\((?:rs|aq|dq|ga|ti|ha)|\\[e\\&|-]", lambda m: esc[m.group(0)], line))'
}

@test "the Python reader from sluice-rec(5) reads a stream" {
	[ -f "$TOP/man/man5/sluice-rec.5" ] || fail "man/man5/sluice-rec.5 is missing"
	extract_python_reader > reader.py
	[ -s reader.py ] || fail "no Python reader between BEGIN/END PYTHON READER in sluice-rec(5)"
	cat reader.py - > drive.py <<-'EOF'

		import sys
		out = sys.stdout.buffer
		with open(sys.argv[1], "rb") as f:
		    for typ, dtype, key, payload in read_frames(f):
		        if typ == 0x10:
		            out.write(bytes(payload) + b"\n")
	EOF
	# Two concatenated streams, with binary bytes, an empty record and an
	# unknown frame type that the reader must pass over.
	"$PY" -c 'import sys; sys.stdout.buffer.write(b"one\n\x00\xff\r\n\ntab\there\n")' | rec-pack > a.rec
	mkframes header text:x 'raw@k:0x7f:0:skip me' 'text@key:last one' end > b.rec
	cat a.rec b.rec > s.rec
	rec-cat --text s.rec > want.txt
	run --separate-stderr "$PY" drive.py s.rec
	assert_success
	"$PY" drive.py s.rec | cmp - want.txt
}

@test "the Python reader from sluice-rec(5) rejects a stream without its end marker" {
	[ -f "$TOP/man/man5/sluice-rec.5" ] || fail "man/man5/sluice-rec.5 is missing"
	extract_python_reader > reader.py
	cat reader.py - > drive.py <<-'EOF'

		import sys
		with open(sys.argv[1], "rb") as f:
		    try:
		        n = sum(1 for _ in read_frames(f))
		    except ValueError as e:
		        print("ValueError:", e)
	EOF
	seq 3 | rec-pack > s.rec
	head -c "$(frame_offset s.rec 4)" s.rec > cut.rec
	run --separate-stderr "$PY" drive.py cut.rec
	assert_success
	assert_output "ValueError: missing end marker"
}

@test "a JSON record with an integer beyond int64 (a uint64 column) is valid and prints verbatim" {
	mkframes header 'json:{"n": 18446744073709551615, "m": -9223372036854775809}' end > big.rec
	run rec-cat big.rec
	assert_success
	assert_output '{"type":"json","json":{"n": 18446744073709551615, "m": -9223372036854775809}}'
}

# ---- trailers ---------------------------------------------------------------

@test "a trailer frame is kept apart from the data: printing and validating ignore it" {
	mkframes header text:a 'raw:3:0:{"lost":{"samples":2}}' end > t.rec
	mkframes header text:a end > plain.rec
	run rec-cat t.rec
	assert_success
	assert_output "$(rec-cat plain.rec)"
	rec-cat --validate t.rec
}

@test "--stats merges the trailers of many streams into one account: sums, merged objects, joined lists, disagreements listed" {
	mkframes header text:a 'raw:3:0:{"read":3,"lost":{"samples":2},"inputs":[{"input":"a"}],"tool":"x","ratio":0.5}' end:2 > a.rec
	mkframes header text:b text:c 'raw:3:0:{"read":4,"lost":{"samples":1,"shards":1},"inputs":[{"input":"b"}],"tool":"x","ratio":0.25}' end:3 > b.rec
	mkframes header text:d end > none.rec
	mkframes header text:e 'raw:3:0:{"read":1,"tool":"y"}' end:2 > c.rec
	run rec-cat --stats a.rec none.rec b.rec c.rec
	assert_success
	assert_equal "$(jq .streams <<< "$output")" 4
	assert_equal "$(jq .trailers <<< "$output")" 3
	assert_equal "$(jq -cS .trailer <<< "$output")" \
		'{"inputs":[{"input":"a"},{"input":"b"}],"lost":{"samples":3,"shards":1},"ratio":0.75,"read":8,"tool":["x","y"]}'
}

@test "--stats: a sum past what a JSON integer holds is a real number, not a wrapped negative one" {
	mkframes header text:a 'raw:3:0:{"n":9223372036854775807}' end:2 > a.rec
	mkframes header text:b 'raw:3:0:{"n":2}' end:2 > b.rec
	run rec-cat --stats a.rec b.rec
	assert_success
	"$PY" -c 'import json, sys; n = json.loads(sys.argv[1])["trailer"]["n"]; assert n > 9.2e18, n' "$output"
}

@test "--stats over rec-filter's parts: the merged trailer is the whole run's" {
	seq 1 300 | awk '{ printf "%s words here %s\n", ($1 % 7 ? "some" : "x"), $1 }' > a.txt
	seq 301 500 | awk '{ printf "and more %s words, %s\n", $1, ($1 % 5 ? "fine" : "") }' > b.txt
	rec-filter --gopher-quality a.txt b.txt > whole.rec
	for i in 0 1 2 3; do rec-filter --gopher-quality --shard $i/4 a.txt b.txt > p$i.rec; done
	rec-cat --stats whole.rec | jq -cS .trailer > want
	rec-cat --stats p0.rec p1.rec p2.rec p3.rec | jq -cS .trailer > got
	[ "$(jq .read want)" = 500 ] || fail "the whole read $(jq .read want)"
	cmp want got || fail "$(diff want got)"
}

@test "--stats shows the last trailer, and the end frame counts it" {
	mkframes header text:a 'raw:3:0:{"lost":{"samples":2}}' end:2 > t.rec
	run rec-cat --stats t.rec
	assert_success
	assert_equal "$(jq -c .trailer <<< "$output")" '{"lost":{"samples":2}}'
	assert_equal "$(jq .records <<< "$output")" 1
	mkframes header text:a 'raw:3:0:{}' end:1 > miscount.rec
	run --separate-stderr rec-cat miscount.rec
	assert_equal "$status" 8
}

@test "a trailer that is not a JSON object: status 8" {
	mkframes header text:a 'raw:3:0:[1,2]' end > t.rec
	run --separate-stderr rec-cat t.rec
	assert_error 8 "rec-cat: t.rec:120: trailer frame is not a JSON object"
}
