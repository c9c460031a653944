# s3.bash - a real S3-compatible server on loopback for the s3:// suites:
# s3rver behind the checking, fault-injecting front of
# tests/helpers/s3server.mjs (read its header for what each port does, the
# fault rules and the log format), and the oracle client
# tests/helpers/s3client.mjs.  Load after test_helper.
#
# Where node or the npm packages (make test-deps) are missing, s3_serve
# skips the test saying which, except where SLUICE_TEST_REQUIRE names s3
# (CI: .ci/run), where it fails instead.

S3_NODE_MODULES=$TOP/tests/node/node_modules

# s3_missing: one line saying what this machine lacks to run the server and
# the oracle client; nothing when it has it all.
s3_missing() {
	local m
	command -v node >/dev/null || { echo "no node on PATH (install nodejs)"; return 0; }
	command -v jq >/dev/null || { echo "no jq on PATH (install jq)"; return 0; }
	for m in s3rver @smithy/signature-v4 @aws-crypto/sha256-js; do
		[ -f "$S3_NODE_MODULES/$m/package.json" ] ||
			{ echo "no $m in tests/node/node_modules (run make test-deps)"; return 0; }
	done
}

# s3_need: skip the test (fail it, when SLUICE_TEST_REQUIRE names s3) where
# s3_missing names something.
s3_need() {
	local why
	why=$(s3_missing)
	[ -n "$why" ] || return 0
	case " ${SLUICE_TEST_REQUIRE:-} " in
	*" s3 "*) fail "$why (SLUICE_TEST_REQUIRE names s3)" || return ;;
	esac
	skip "$why"
}

# s3_serve [ARGS...]: start the server (ARGS go to s3server.mjs: --region,
# --public BUCKET, --min-part-size N) with its files in $BATS_TEST_TMPDIR/s3,
# and wait for its ports.  Sets S3_URL (the proxy: where faults and checks
# apply), S3_DIRECT (s3rver itself, which checks no signature), S3_OTHER
# (the redirect target), S3_PORT (the proxy's port, for
# http://BUCKET.localhost:$S3_PORT), S3_PID, S3_LOG (requests, JSON lines),
# S3_FAULTS (the rules file), S3_DATA (s3rver's directory).  Exports the
# client environment: AWS_ENDPOINT_URL=$S3_URL, the key S3RVER/S3RVER,
# AWS_REGION=the server's (us-east-1 unless --region); no profile, session token or default region from the
# caller, and empty config and credentials files of the test's own, so
# nothing under $HOME is read.
s3_serve() {
	s3_need
	local d=$BATS_TEST_TMPDIR/s3
	mkdir -p "$d"
	rm -f "$d/ports.json"
	S3_LOG=$d/requests.jsonl S3_FAULTS=$d/faults.json S3_DATA=$d/data
	: >"$d/aws-config"
	: >"$d/aws-credentials"
	node "$HELPERS/s3server.mjs" --dir "$S3_DATA" --port-file "$d/ports.json" \
		--log "$S3_LOG" --faults "$S3_FAULTS" --server-log "$d/s3rver.log" "$@" \
		2>"$d/server.err" 3>&- &
	S3_PID=$!
	for _ in $(seq 100); do [ -s "$d/ports.json" ] && break; sleep 0.1; done
	[ -s "$d/ports.json" ] || fail "the S3 server did not start: $(cat "$d/server.err")"
	local region
	{ read -r S3_URL && read -r S3_DIRECT && read -r S3_OTHER && read -r region; } \
		< <(jq -r '.proxy, .s3, .other, .region' "$d/ports.json")
	S3_PORT=${S3_URL##*:}
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN \
		AWS_DEFAULT_REGION AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE
	export AWS_ENDPOINT_URL=$S3_URL AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
		AWS_REGION=$region AWS_CONFIG_FILE=$d/aws-config \
		AWS_SHARED_CREDENTIALS_FILE=$d/aws-credentials AWS_EC2_METADATA_DISABLED=true
}

# s3_stop: in teardown; stops the server this test started, if any.
s3_stop() {
	[ -n "${S3_PID:-}" ] || return 0
	kill -TERM "$S3_PID" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$S3_PID" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$S3_PID" 2>/dev/null || true
}

# s3_faults JSON: the fault rules from now on (s3server.mjs re-reads them on
# every request; a rewrite starts the counts again).  s3_faults '[]': none.
s3_faults() { printf '%s\n' "$1" >"$S3_FAULTS"; }

# The oracle client (independent of our C code): s3_client CMD ARGS... is
# any of its commands (see s3client.mjs); the others are shorthands.
s3_client() { node "$HELPERS/s3client.mjs" "$@"; }
s3_mb() { s3_client mb "$1"; }
s3_put() { s3_client put "$1" "$2" "$3"; }
s3_get() { s3_client get "$1" "$2"; }
s3_ls() { s3_client ls "$@"; }

# s3_curl ARGS...: curl signing with the AWS_* credentials and region
# (override them for one call: AWS_SECRET_ACCESS_KEY=wrong s3_curl ...), the
# payload hash S3_PAYLOAD_SHA256 (default UNSIGNED-PAYLOAD).  curl 7.88
# neither sorts the query nor writes "k=" for a bare "k" when it signs, so
# give it queries already in order, every parameter with its "=".
s3_curl() {
	curl -sS --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: ${S3_PAYLOAD_SHA256:-UNSIGNED-PAYLOAD}" "$@"
}

# s3_requests JQ-CONDITION: the logged requests for which the condition
# holds, one JSON line each (e.g. s3_requests '.method == "GET"').
s3_requests() { jq -c "select($1)" "$S3_LOG"; }
