#!/usr/bin/env bash
# Our S3 client beside the AWS CLI v2 (aws s3 cp) and boto3, on the same
# objects of the loopback store of the tests (tests/helpers/s3server.mjs:
# s3rver, with the SigV4-checking proxy in front), started here and stopped
# at the end.  Every row moves the same bytes on both sides:
#   get      BENCH_S3_BYTES (default 256 MB) of random bytes off the store to
#            /dev/null: tests/helpers/s3-tool get (our client's stream, no
#            parsing) beside `aws s3 cp s3://... -` and beside boto3's
#            get_object()['Body'] read in 1 MiB chunks.
#   JSONL    a JSON Lines object of about the same size to text records:
#            hf-stream s3://... beside `aws s3 cp s3://... - | rec-pack -J`.
#            The records are the same (checked) and both parsers are ours, so
#            what differs is how the bytes come off the store.
#   put      rec-pack -o s3://... of a text file beside `aws s3 cp` and boto3
#            upload_file of the very record file rec-pack sends (made by it
#            first and fetched back): one of BENCH_S3_SMALL_BYTES of text
#            (default 6 MB: one PUT on both sides, under aws's 8 MiB
#            multipart threshold) and one of BENCH_S3_BYTES (multipart on all
#            three: ours 16 MiB parts, four in flight; aws and boto3 8 MiB
#            parts, ten in flight).  Ours also packs the lines and writes its
#            temporary copy: the time of that, done locally, is printed.
# The rows run through the proxy, where our client is configured as users
# configure it; "get" and the large "put" against aws are run again on
# s3rver's own port, which checks nothing, to show how much of a ratio is
# the proxy's.  It is not nothing for uploads: over plain http botocore
# always signs the payload (hashes every part, where we send
# UNSIGNED-PAYLOAD, as we do on https), and the proxy then hashes those
# parts again to check them.
# The peers are Python programs: each run pays their start (0.5 to 1.3 s
# here; printed), which is why the objects are large; the small put row is
# mostly that start, and says only what a one-object upload costs.  Client
# and server share the machine's cores, so a ratio also says how much CPU a
# client leaves to the server.  The peers are configured by flags
# (--endpoint-url, endpoint_url=), as AWS CLI 2.9 and boto3 1.26 (Debian 12)
# do not read AWS_ENDPOINT_URL; their transfer settings are their defaults.
# Not compared: parquet (hf-stream's column reads): its peer would be
# pyarrow over boto3, and /usr/bin/python3 has no pyarrow here.
#
# Needs the AWS CLI v2 (BENCH_AWS, default /usr/bin/aws: Debian's awscli)
# and boto3 for /usr/bin/python3 (python3-boto3), node and the test suite's
# npm packages (make test-deps, run here).  Exits 77 without them.
# BENCH_S3_BYTES, BENCH_S3_SMALL_BYTES: the sizes above.
. "$(dirname "$0")/lib.sh"

: "${BENCH_S3_BYTES:=256000000}"
: "${BENCH_S3_SMALL_BYTES:=6000000}"
: "${BENCH_AWS:=/usr/bin/aws}"
py=/usr/bin/python3

case $("$BENCH_AWS" --version 2>/dev/null) in
aws-cli/2.*) ;;
*)
	echo "s3 bench: no AWS CLI v2 at $BENCH_AWS: apt-get install awscli (Debian 12's is v2), or set BENCH_AWS" >&2
	exit 77
	;;
esac
"$py" -c 'import boto3' 2>/dev/null ||
	{ echo "s3 bench: no boto3 for $py: apt-get install python3-boto3" >&2; exit 77; }
command -v node >/dev/null || { echo "s3 bench: no node on PATH (install nodejs)" >&2; exit 77; }
make -s -C "$TOP" test-deps build/tests/s3-tool >&2
s3tool=$TOP/build/tests/s3-tool

dir=$WORK/s3-$BENCH_S3_BYTES-$BENCH_S3_SMALL_BYTES
mkdir -p "$dir"
[ -s "$dir/big.bin" ] || { head -c "$BENCH_S3_BYTES" /dev/urandom > "$dir/big.bin.tmp" && mv "$dir/big.bin.tmp" "$dir/big.bin"; }
# lines of 200 to 2000 bytes cut from random words; docs.jsonl is big.txt's
# lines as {"text": LINE}
if [ ! -s "$dir/docs.jsonl" ]; then
	"$py" - "$dir" "$BENCH_S3_BYTES" "$BENCH_S3_SMALL_BYTES" <<'PY'
import json, os, random, sys
out, big, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(1)
words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
pool = " ".join(rng.choice(words) for _ in range(400000))
for name, total in (("small", small), ("big", big)):
    n = 0
    with open(os.path.join(out, name + ".txt.tmp"), "w") as t:
        while n < total:
            off = rng.randrange(len(pool) - 2000)
            line = pool[off:off + rng.randint(200, 2000)].strip() + "\n"
            t.write(line)
            n += len(line)
    os.rename(os.path.join(out, name + ".txt.tmp"), os.path.join(out, name + ".txt"))
with open(os.path.join(out, "big.txt")) as t, open(os.path.join(out, "docs.jsonl.tmp"), "w") as j:
    for line in t:
        j.write(json.dumps({"text": line[:-1]}) + "\n")
os.rename(os.path.join(out, "docs.jsonl.tmp"), os.path.join(out, "docs.jsonl"))
PY
fi
# the boto3 peer: get BUCKET KEY (to stdout) or put FILE BUCKET KEY
cat > "$dir/boto3-peer.py" <<'PY'
import sys, boto3
cmd, endpoint = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint)
if cmd == "get":
    out = sys.stdout.buffer
    for chunk in s3.get_object(Bucket=sys.argv[3], Key=sys.argv[4])["Body"].iter_chunks(1 << 20):
        out.write(chunk)
else:
    s3.upload_file(sys.argv[3], sys.argv[4], sys.argv[5])
PY

srv=$dir/server
server_pid=
stop_server() {
	[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$srv"
}
trap stop_server EXIT
trap 'exit 130' INT TERM
rm -rf "$srv"
mkdir -p "$srv"
node "$TOP/tests/helpers/s3server.mjs" --dir "$srv/data" --port-file "$srv/ports.json" \
	--server-log "$srv/s3rver.log" 2>"$srv/server.err" &
server_pid=$!
for _ in $(seq 100); do [ -s "$srv/ports.json" ] && break; sleep 0.1; done
[ -s "$srv/ports.json" ] || { echo "s3 bench: the S3 server did not start: $(cat "$srv/server.err")" >&2; exit 1; }
{ read -r proxy && read -r direct; } < <("$py" -c 'import json, sys; p = json.load(open(sys.argv[1])); print(p["proxy"]); print(p["s3"])' "$srv/ports.json")

: > "$srv/aws-config"
: > "$srv/aws-credentials"
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL \
	AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE AWS_NO_SIGN_REQUEST SLUICE_S3_ADDRESSING_STYLE
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 \
	AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=$srv/aws-config \
	AWS_SHARED_CREDENTIALS_FILE=$srv/aws-credentials AWS_EC2_METADATA_DISABLED=true

# The commands of each side against endpoint EP, as strings for bench_pair:
# ours EP is the start of our programs' paths, with their environment;
# aws_cp EP the peer's copy; boto CMD EP the boto3 peer.
ours() { printf "AWS_ENDPOINT_URL=%s '%s'" "$1" "$SLUICE_BIN"; }
aws_cp() { printf "'%s' --endpoint-url %s s3 cp --no-progress --only-show-errors" "$BENCH_AWS" "$1"; }
boto() { printf "'%s' '%s' %s %s" "$py" "$dir/boto3-peer.py" "$1" "$2"; }

"$BENCH_AWS" --endpoint-url "$proxy" s3 mb s3://bench >/dev/null
eval "$(aws_cp "$proxy") '$dir/big.bin' s3://bench/big.bin"
eval "$(aws_cp "$proxy") '$dir/docs.jsonl' s3://bench/docs.jsonl"
# what rec-pack sends, as the file the peers send
for size in small big; do
	eval "$(ours "$proxy")/rec-pack -q -o s3://bench/up-$size.rec '$dir/$size.txt'"
	AWS_ENDPOINT_URL=$proxy "$s3tool" get "s3://bench/up-$size.rec" > "$srv/$size.rec"
done
# both sides get the same bytes
AWS_ENDPOINT_URL=$proxy "$s3tool" get s3://bench/big.bin | cmp - "$dir/big.bin"
eval "$(aws_cp "$proxy") s3://bench/big.bin -" | cmp - "$dir/big.bin"
cmp <(eval "$(ours "$proxy")/hf-stream -q s3://bench/docs.jsonl" | "$SLUICE_BIN/rec-cat" --text) \
	<("$SLUICE_BIN/rec-pack" -q -J "$dir/docs.jsonl" | "$SLUICE_BIN/rec-cat" --text) ||
	{ echo "s3 bench: hf-stream and rec-pack -J made different records" >&2; exit 1; }

big=$(stat -c %s "$dir/big.bin")
jsonl=$(stat -c %s "$dir/docs.jsonl")
bigrec=$(stat -c %s "$srv/big.rec")
smallrec=$(stat -c %s "$srv/small.rec")
echo "s3: $big bytes of random bytes, $jsonl of JSONL, records of $smallrec and $bigrec bytes; MB/s are ours"
printf 'peer start: aws --version %.2f s, python3 -c "import boto3" %.2f s; rec-pack of the large text to a local file %.2f s\n' \
	"$(time_once "'$BENCH_AWS' --version")" "$(time_once "'$py' -c 'import boto3'")" \
	"$(time_once "'$SLUICE_BIN/rec-pack' -q -o '$srv/local.rec' '$dir/big.txt'")"

# get_row LABEL EP PEER: the large object off the store, beside PEER
get_row() {
	local label=$1 ep=$2 peer=$3 cmd
	case $peer in
	aws) cmd="$(aws_cp "$ep") s3://bench/big.bin -" ;;
	boto3) cmd="$(boto get "$ep") bench big.bin" ;;
	esac
	bench_pair "$label get, beside $peer" "AWS_ENDPOINT_URL=$ep '$s3tool' get s3://bench/big.bin" "$cmd" "$big"
}
# put_row LABEL EP SIZE PEER: rec-pack -o s3:// beside PEER (aws or boto3)
put_row() {
	local label=$1 ep=$2 size=$3 peer=$4 bytes cmd
	bytes=$(stat -c %s "$srv/$size.rec")
	case $peer in
	aws) cmd="$(aws_cp "$ep") '$srv/$size.rec' s3://bench/up-$size.rec" ;;
	boto3) cmd="$(boto put "$ep") '$srv/$size.rec' bench up-$size.rec" ;;
	esac
	bench_pair "$label put $size, beside $peer" \
		"$(ours "$ep")/rec-pack -q -o s3://bench/up-$size.rec '$dir/$size.txt'" "$cmd" "$bytes"
	# what the peer sent last is what we send
	AWS_ENDPOINT_URL=$proxy "$s3tool" get "s3://bench/up-$size.rec" | cmp - "$srv/$size.rec"
}

get_row "proxy:" "$proxy" aws
get_row "proxy:" "$proxy" boto3
bench_pair "proxy: JSONL records, beside aws" \
	"$(ours "$proxy")/hf-stream -q s3://bench/docs.jsonl" \
	"$(aws_cp "$proxy") s3://bench/docs.jsonl - | '$SLUICE_BIN/rec-pack' -q -J" "$jsonl"
put_row "proxy:" "$proxy" small aws
put_row "proxy:" "$proxy" big aws
put_row "proxy:" "$proxy" big boto3
get_row "s3rver:" "$direct" aws
put_row "s3rver:" "$direct" big aws
