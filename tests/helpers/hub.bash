# hub.bash - the loopback Hub (tests/helpers/hubserver.py) for the suites
# that run a recipe against it, and the dataset they serve.  Load after
# test_helper.

# hub_serve: the server on ./hub, its ports in ports.json, its requests in
# requests.jsonl; HF_ENDPOINT set.
hub_serve() {
	"$PY" "$HELPERS/hubserver.py" --root hub --port-file ports.json --log requests.jsonl \
		2> server.err 3>&- &
	for _ in $(seq 100); do [ -s ports.json ] && break; sleep 0.1; done
	[ -s ports.json ] || fail "the hub server did not start: $(cat server.err)"
	export HF_ENDPOINT=$(json_get ports.json 'j["hub"]')
}

# hub_stop: in teardown; the test has left its directory by then.
hub_stop() {
	local p=$BATS_TEST_TMPDIR/work/ports.json
	[ -f "$p" ] && kill "$(json_get "$p" 'j["pid"]')" 2>/dev/null || true
}

# licence_rows: every paragraph of the licence texts Debian ships, a JSON
# line {"text": ...} each.
licence_rows() {
	local f
	for f in /usr/share/common-licenses/*; do
		[ -f "$f" ] && tr -d '\000-\010\013-\037' < "$f" && echo
	done | awk -v RS= '{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, " "); gsub(/\n/, " "); printf "{\"text\":\"%s\"}\n", $0 }'
}
