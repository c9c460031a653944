// s3server.mjs - a real S3-compatible server on loopback for the s3:// tests:
// s3rver (npm, tests/node) behind a front that verifies SigV4 the way AWS
// does, emulates what s3rver lacks, injects faults and logs every request.
//
// Usage:
//   node s3server.mjs --dir DIR --port-file FILE [--log FILE] [--faults FILE]
//        [--server-log FILE] [--region R] [--public BUCKET]...
//        [--min-part-size BYTES] [--vhost-domain DOMAIN]
//
// Binds three free ports on 127.0.0.1, then writes FILE atomically as
//   {"pid": PID, "s3": URL, "proxy": URL, "other": URL, "region": R}
// and serves until SIGTERM or SIGINT (exit 0).
//   s3     s3rver itself, its data under DIR, its own log in --server-log
//          (default DIR/../s3rver.log).  It does NOT check SigV4 signatures
//          (see below): a test that means to exercise our client goes through
//          the proxy, never here.
//   proxy  the endpoint the tests give our client (AWS_ENDPOINT_URL): it
//          checks what s3rver does not, applies the faults, and forwards the
//          rest to s3rver unchanged (the Host header included).
//   other  answers every request 404 and logs it with ALL its headers: where
//          the "redirect" fault sends the client, so a test can check that no
//          Authorization or x-amz-security-token followed to another host.
//
// What s3rver 3.7.1 does, read in its source (lib/middleware/authentication.js,
// lib/routes.js, lib/controllers/*.js, lib/stores/filesystem.js):
//   - one account, key id S3RVER, secret S3RVER.  An unknown key id gets 403
//     InvalidAccessKeyId (header and presigned).  But a SigV4 signature is
//     never computed ("Signature version 4 calculation is unimplemented"): a
//     wrong secret is accepted, and so is a wrong region, service or date in
//     the credential scope.  Only V2 signatures are checked.  It does check
//     that x-amz-content-sha256 is present and well formed (hex,
//     UNSIGNED-PAYLOAD or STREAMING-...), never that it matches the payload,
//     and that x-amz-date is within 15 minutes (RequestTimeTooSkewed).
//   - requests with no signature at all are served, every bucket readable and
//     writable: there are no ACLs nor policies, nor a way to set any.
//   - ListObjectsV2: max-keys (default and cap 1000), continuation-token,
//     start-after, prefix, delimiter; V1 marker (its listings' xmlns is
//     http://doc.s3.amazonaws.com/2006-03-01/, not AWS's; its continuation
//     tokens need DES, which this file maps to AES, see below).  GetObject
//     with one Range: bytes=A-B / A- (206, Content-Range; 416 InvalidRange);
//     a suffix range bytes=-N is MISREAD as bytes=0-N (206, the first N+1
//     bytes), so a test must not rely on one.  HeadObject, PutObject, DeleteObject,
//     DeleteObjects, CopyObject (x-amz-copy-source), ListBuckets,
//     Create/DeleteBucket, GetBucketLocation (always empty: us-east-1).
//     NoSuchKey, NoSuchBucket, BucketNotEmpty as S3 spells them.
//   - multipart: Create, UploadPart and Complete only.  Complete ignores the
//     ETags it is given and part sizes; AbortMultipartUpload,
//     ListMultipartUploads and ListParts answer 405/501; UploadPart with an
//     unknown upload id stores a stray part; aws-chunked payloads
//     (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) would be stored with their chunk
//     framing.  No x-amz-bucket-region header anywhere.
//   - virtual-hosted buckets only under an "s3." label (BUCKET.s3.DOMAIN).
//
// What the proxy adds, so that the tests see AWS's behaviour:
//   - SigV4 checked in full (Authorization header and presigned query),
//     by our reading of AWS's rules and, for header-signed requests, again
//     by the AWS SDK's own signer (@smithy/signature-v4, checkWithSdk):
//     wrong secret -> 403 SignatureDoesNotMatch (with StringToSign and
//     CanonicalRequest in the body, as AWS gives them); scope region other
//     than --region (default us-east-1) -> 400 AuthorizationHeaderMalformed
//     "... the region 'X' is wrong; expecting 'Y'" (<Region>Y</Region>);
//     wrong service, or a scope date other than x-amz-date's -> 400
//     AuthorizationHeaderMalformed; an x-amz-* header (or host) present but
//     not signed -> 403 AccessDenied; a hex x-amz-content-sha256 that is not
//     the payload's -> 400 XAmzContentSHA256Mismatch (UNSIGNED-PAYLOAD is
//     accepted, aws-chunked refused 501 NotImplemented).  Unknown key ids and
//     V2 signatures are left to s3rver.  The canonical URI is the decoded
//     path re-encoded (RFC 3986, '/' kept), as AWS computes it for S3.
//   - anonymous requests: 403 AccessDenied, as a private bucket answers,
//     except GET/HEAD in a bucket named by --public.
//   - BUCKET.DOMAIN:PORT (--vhost-domain, default localhost) addresses the
//     bucket (virtual-hosted style); s3rver is sent /BUCKET/KEY, Host as is.
//   - x-amz-bucket-region: R on HEAD bucket.
//   - multipart: ListMultipartUploads (GET ?uploads, prefix only, no
//     pagination), AbortMultipartUpload (204; 404 NoSuchUpload), NoSuchUpload
//     for UploadPart/Complete of an unknown upload; Complete checks every
//     part's ETag (400 InvalidPart), their order (InvalidPartOrder) and that
//     all but the last have --min-part-size bytes (default 5 MiB, as AWS;
//     400 EntityTooSmall).  All read s3rver's files (DIR/BUCKET/._S3rver_uploads).
//
// Faults (--faults FILE, re-read on every request, so a test may rewrite it
// between commands; absent or empty means none): a JSON array of rules, the
// first that matches and has times left fires:
//   {"match": {"method": "GET", "path": "REGEX", "query": "REGEX"},
//    "times": N,                    (default: every time)
//    "action": "503" | "500" | ... | "drop" | "reset" | "redirect" | "delay",
//    "retry_after": S,              ("503" etc.: a Retry-After header)
//    "code": "SlowDown",            ("503" etc.: the S3 error code; default
//                                    SlowDown for 503, InternalError for 500)
//    "after_bytes": K,              ("drop": the real response's headers and
//                                    its first K body bytes, then the
//                                    connection is closed)
//    "to": "other",                 ("redirect": 307 to the same path and
//                                    query on the other port)
//    "ms": M}                       ("delay": wait M ms, then serve normally)
// match: every field optional; path is matched against the path-style path
// (/BUCKET/KEY, as received, percent-encoded), query against the raw query
// string.  "reset" closes the connection before reading the request, which is
// never forwarded.  Counts start again whenever the file changes (mtime).
//
// Log (--log FILE): one JSON line per request, on the proxy and other ports,
// written when its answer is complete:
//   {"port": "proxy"|"other", "method", "path" (as received), "query" (raw),
//    "host", "authorization": bool, "presigned": bool,
//    "credential": {"key","date","region","service"} | null,
//    "signed_headers": [...] | null, "content_sha256": str|null,
//    "security_token": bool, "range": str|null, "body_bytes": N,
//    "status": N, "error": S3 error code | null, "fault": action | null,
//    "headers": {...}  (other port only: every header received)}
import fs from 'node:fs';
import http from 'node:http';
import crypto from 'node:crypto';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'node', 'package.json'));
const S3rver = require('s3rver');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');
const winston = require('winston');

const KEY_ID = 'S3RVER';
const SECRET = 'S3RVER';
const UPLOADS = '._S3rver_uploads';

function parseArgs(argv) {
	const o = { public: [], region: 'us-east-1', vhostDomain: 'localhost', minPartSize: 5 * 1024 * 1024 };
	const names = { '--dir': 'dir', '--port-file': 'portFile', '--log': 'log', '--faults': 'faults',
		'--server-log': 'serverLog', '--region': 'region', '--vhost-domain': 'vhostDomain',
		'--min-part-size': 'minPartSize' };
	for (let i = 0; i < argv.length; i += 2) {
		const a = argv[i], v = argv[i + 1];
		if (v === undefined) usage(`${a} needs a value`);
		if (a === '--public') o.public.push(v);
		else if (names[a]) o[names[a]] = v;
		else usage(`unknown option ${a}`);
	}
	if (!o.dir || !o.portFile) usage('--dir and --port-file are required');
	o.minPartSize = Number(o.minPartSize);
	return o;
}

function usage(why) {
	process.stderr.write(`s3server.mjs: ${why}\n`);
	process.exit(2);
}

const opt = parseArgs(process.argv.slice(2));
fs.mkdirSync(opt.dir, { recursive: true });

// ---- the request log and the fault rules ----

function logLine(entry) {
	if (opt.log) fs.appendFileSync(opt.log, JSON.stringify(entry) + '\n');
}

// Fire counts per rule index, reset when the file's mtime or text changes.
let rulesStamp = null, fired = [];

function loadRules() {
	if (!opt.faults) return [];
	let st, text;
	try {
		st = fs.statSync(opt.faults);
		text = fs.readFileSync(opt.faults, 'utf8');
	} catch {
		return [];
	}
	const stamp = `${st.mtimeMs}:${text}`;
	if (stamp !== rulesStamp) {
		rulesStamp = stamp;
		fired = [];
	}
	if (!text.trim()) return [];
	const rules = JSON.parse(text);
	return Array.isArray(rules) ? rules : [rules];
}

function pickFault(method, bucketPath, query) {
	const rules = loadRules();
	for (let i = 0; i < rules.length; i++) {
		const r = rules[i], m = r.match || {};
		if (m.method && m.method.toUpperCase() !== method) continue;
		if (m.path && !new RegExp(m.path).test(bucketPath)) continue;
		if (m.query && !new RegExp(m.query).test(query)) continue;
		if (r.times !== undefined && (fired[i] || 0) >= r.times) continue;
		fired[i] = (fired[i] || 0) + 1;
		return r;
	}
	return null;
}

// ---- S3 answers of our own ----

// Element text only, so quotes stay as AWS writes them ('the region 'X'').
const xmlEscape = (s) => String(s).replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]);
const xmlFields = (o) => Object.entries(o).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('');

class S3Fail extends Error {
	constructor(status, code, message, extra = {}, headers = {}) {
		super(message);
		Object.assign(this, { status, code, extra, headers });
	}
}

function sendXml(res, status, body, headers = {}) {
	const data = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n' + body);
	res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': data.length,
		'x-amz-request-id': crypto.randomBytes(8).toString('hex').toUpperCase(), ...headers });
	res.end(data);
}

function sendFail(res, f) {
	sendXml(res, f.status, `<Error>${xmlFields({ Code: f.code, Message: f.message, ...f.extra })}</Error>`, f.headers);
}

// ---- SigV4, written from AWS's documentation (independent of the npm
// signer the oracle client uses, so each checks the other) ----

const sha256hex = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

// RFC 3986 encoding: every byte but A-Z a-z 0-9 - . _ ~ as %XX.
function uriEncode(s, keepSlash) {
	let out = '';
	for (const b of Buffer.from(s, 'utf8')) {
		const c = String.fromCharCode(b);
		if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
		else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
	}
	return out;
}

function uriDecode(s) {
	try {
		return decodeURIComponent(s);
	} catch {
		return s;
	}
}

// [[key, value], ...] of a raw query string, decoded.
function queryPairs(raw) {
	if (!raw) return [];
	return raw.split('&').filter(Boolean).map((p) => {
		const eq = p.indexOf('=');
		return eq < 0 ? [uriDecode(p), ''] : [uriDecode(p.slice(0, eq)), uriDecode(p.slice(eq + 1))];
	});
}

function canonicalQuery(pairs) {
	return pairs.map(([k, v]) => [uriEncode(k), uriEncode(v)])
		.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
		.map(([k, v]) => `${k}=${v}`).join('&');
}

// The parts of a SigV4 request, from its Authorization header or its
// presigned query; null when it carries none (or only a V2 signature).
function parseAuth(req, pairs) {
	const h = req.headers.authorization;
	const q = Object.fromEntries(pairs);
	let a;
	if (h !== undefined) {
		const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(h);
		if (!m) return null;
		const parts = Object.fromEntries(m[1].split(',').map((s) => s.trim().split(/=(.*)/s).slice(0, 2)));
		a = { presigned: false, credential: parts.Credential, signedHeaders: parts.SignedHeaders,
			signature: parts.Signature, date: req.headers['x-amz-date'] };
	} else if (q['X-Amz-Algorithm'] === 'AWS4-HMAC-SHA256') {
		a = { presigned: true, credential: q['X-Amz-Credential'], signedHeaders: q['X-Amz-SignedHeaders'],
			signature: q['X-Amz-Signature'], date: q['X-Amz-Date'] };
	} else {
		return null;
	}
	const [key, date, region, service, term] = (a.credential || '').split('/');
	a.scope = { key, date, region, service, term };
	a.signed = a.signedHeaders ? a.signedHeaders.split(';') : [];
	return a;
}

const malformed = (a, msg, extra = {}) => a.presigned
	? new S3Fail(400, 'AuthorizationQueryParametersError', `Error parsing the X-Amz-Credential parameter; ${msg}`, extra)
	: new S3Fail(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; ${msg}`, extra);

// Throws the S3Fail AWS would answer; returns when the signature holds.
function verifySigV4(req, a, rawPath, pairs, body) {
	const s = a.scope;
	if (s.key !== KEY_ID) return; // s3rver answers InvalidAccessKeyId
	if (s.region !== opt.region)
		throw malformed(a, `the region '${s.region}' is wrong; expecting '${opt.region}'`, { Region: opt.region });
	if (s.service !== 's3')
		throw malformed(a, `incorrect service "${s.service}". This endpoint belongs to "s3".`);
	if (s.term !== 'aws4_request')
		throw malformed(a, `incorrect terminal "${s.term}". This endpoint uses "aws4_request".`);
	if (!a.date || !/^\d{8}T\d{6}Z$/.test(a.date))
		throw new S3Fail(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
	if (s.date !== a.date.slice(0, 8))
		throw malformed(a, `Invalid credential date "${s.date}". This date is not the same as X-Amz-Date: "${a.date.slice(0, 8)}".`);
	const unsigned = Object.keys(req.headers).filter((n) => (n === 'host' || n.startsWith('x-amz-')) && !a.signed.includes(n));
	if (unsigned.length)
		throw new S3Fail(403, 'AccessDenied', 'There were headers present in the request which were not signed',
			{ HeadersNotSigned: unsigned.join(', ') });
	let payload;
	if (a.presigned) {
		// S3's presigned URLs sign no payload, unless they name a hash
		payload = (pairs.find(([k]) => k.toLowerCase() === 'x-amz-content-sha256') || [])[1] || 'UNSIGNED-PAYLOAD';
	} else {
		payload = req.headers['x-amz-content-sha256'];
		if (payload === undefined)
			throw new S3Fail(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
		if (payload.startsWith('STREAMING-'))
			throw new S3Fail(501, 'NotImplemented', 'aws-chunked uploads are not supported by this test server');
		if (payload !== 'UNSIGNED-PAYLOAD') {
			const got = sha256hex(body);
			if (payload.toLowerCase() !== got)
				throw new S3Fail(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.",
					{ ClientComputedContentSHA256: payload, S3ComputedContentSHA256: got });
		}
	}
	const headerLines = a.signed.map((n) => {
		const vals = req.headersDistinct[n] || [];
		return `${n}:${vals.map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`;
	}).join('');
	const canonical = [
		req.method,
		uriEncode(uriDecode(rawPath), true),
		canonicalQuery(a.presigned ? pairs.filter(([k]) => k !== 'X-Amz-Signature') : pairs),
		headerLines,
		a.signedHeaders,
		payload,
	].join('\n');
	const scope = `${s.date}/${s.region}/${s.service}/${s.term}`;
	const toSign = ['AWS4-HMAC-SHA256', a.date, scope, sha256hex(canonical)].join('\n');
	let k = hmac('AWS4' + SECRET, s.date);
	for (const part of [s.region, s.service, s.term]) k = hmac(k, part);
	const want = hmac(k, toSign).toString('hex');
	if (want !== String(a.signature).toLowerCase())
		throw new S3Fail(403, 'SignatureDoesNotMatch',
			'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
			{ AWSAccessKeyId: s.key, StringToSign: toSign, SignatureProvided: a.signature, CanonicalRequest: canonical });
}

// A second opinion on a header-signed request that verifySigV4 accepted:
// the signature AWS's own SDK signer (@smithy/signature-v4) computes for
// the same method, canonical path, query, signed headers, date and
// credential scope.  A client must agree with both; where it agrees with
// verifySigV4 but not with the SDK, one of the two readings of AWS's rules
// is wrong, and the request is refused all the same.
async function checkWithSdk(req, a, rawPath, pairs) {
	const s = a.scope;
	if (a.presigned || s.key !== KEY_ID) return;
	const signer = new SignatureV4({ credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
		region: s.region, service: s.service, sha256: Sha256, uriEscapePath: false });
	const headers = {};
	for (const n of a.signed) headers[n] = (req.headersDistinct[n] || []).join(',');
	const query = {};
	for (const [k, v] of pairs) query[k] = k in query ? [].concat(query[k], v) : v;
	const d = a.date;
	const signingDate = new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8),
		+d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15)));
	const hostHeader = String(req.headers.host || '');
	const request = { method: req.method, protocol: 'http:', hostname: hostHeader.replace(/:\d+$/, ''),
		path: uriEncode(uriDecode(rawPath), true), query, headers };
	const signed = await signer.sign(request, { signingDate, signableHeaders: new Set(a.signed) });
	const m = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization || '');
	if (!m || m[1] !== String(a.signature).toLowerCase())
		throw new S3Fail(403, 'SignatureDoesNotMatch',
			'The request signature does not match the one the AWS SDK signer (@smithy/signature-v4) computes.',
			{ SignatureProvided: a.signature, SdkSignature: m ? m[1] : '', SdkAuthorization: signed.headers.authorization || '' });
}

// ---- multipart, emulated over s3rver's files ----

const bucketDir = (bucket) => path.join(opt.dir, bucket);
const uploadDir = (bucket, id) => path.join(bucketDir(bucket), UPLOADS, path.basename(id));

function needBucket(bucket) {
	if (!fs.existsSync(bucketDir(bucket)))
		throw new S3Fail(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
}

function needUpload(bucket, id) {
	needBucket(bucket);
	if (!id || !fs.existsSync(path.join(uploadDir(bucket, id), 'key')))
		throw new S3Fail(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: id || '' });
}

function listUploads(res, bucket, q) {
	needBucket(bucket);
	const root = path.join(bucketDir(bucket), UPLOADS);
	const prefix = q.prefix || '';
	const ups = [];
	for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) {
		const keyFile = path.join(root, id, 'key');
		if (!fs.existsSync(keyFile)) continue;
		const key = fs.readFileSync(keyFile, 'utf8');
		if (key.startsWith(prefix)) ups.push({ key, id, at: fs.statSync(keyFile).mtime.toISOString() });
	}
	ups.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.at < y.at ? -1 : 1));
	const items = ups.map((u) => `<Upload>${xmlFields({ Key: u.key, UploadId: u.id, Initiated: u.at, StorageClass: 'STANDARD' })}</Upload>`).join('');
	sendXml(res, 200, '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
		xmlFields({ Bucket: bucket, KeyMarker: '', UploadIdMarker: '', Prefix: prefix, MaxUploads: 1000, IsTruncated: 'false' }) +
		items + '</ListMultipartUploadsResult>');
}

// Complete's body against the stored parts, as S3 checks it.
function checkComplete(bucket, id, body) {
	const dir = uploadDir(bucket, id);
	const parts = [...body.toString('utf8').matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
		n: Number((/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(m[1]) || [])[1]),
		etag: ((/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1]) || [])[1] || '').replace(/&quot;|"/g, '').trim(),
	}));
	if (!parts.length)
		throw new S3Fail(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
	parts.forEach((p, i) => {
		if (i > 0 && p.n <= parts[i - 1].n)
			throw new S3Fail(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
	});
	parts.forEach((p, i) => {
		const file = path.join(dir, String(p.n));
		const md5 = fs.existsSync(`${file}.md5`) ? fs.readFileSync(`${file}.md5`, 'utf8') : null;
		if (md5 === null || md5 !== p.etag)
			throw new S3Fail(400, 'InvalidPart', "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
				{ UploadId: id, PartNumber: p.n, ETag: p.etag });
		const size = fs.statSync(file).size;
		if (i < parts.length - 1 && size < opt.minPartSize)
			throw new S3Fail(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size',
				{ ProposedSize: size, MinSizeAllowed: opt.minPartSize, PartNumber: p.n, ETag: p.etag });
	});
}

// Answers the request itself when the proxy emulates it; true if it did.
function emulate(req, res, bucket, key, q, body) {
	const m = req.method;
	if (!bucket) return false;
	if (!key && m === 'GET' && 'uploads' in q) {
		listUploads(res, bucket, q);
		return true;
	}
	if (!key || !('uploadId' in q)) return false;
	needUpload(bucket, q.uploadId);
	if (m === 'DELETE') {
		fs.rmSync(uploadDir(bucket, q.uploadId), { recursive: true, force: true });
		res.writeHead(204, { 'x-amz-request-id': 'EMULATED' });
		res.end();
		return true;
	}
	if (m === 'POST') checkComplete(bucket, q.uploadId, body);
	return false;
}

// ---- the servers ----

// The request's body, after the 100 Continue a client that sent
// "Expect: 100-continue" waits for (the servers answer it here, not Node,
// so that a "reset" comes before any answer at all).
function readBody(req, res) {
	if (/100-continue/i.test(req.headers.expect || '')) res.writeContinue();
	return new Promise((resolve, reject) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

function splitUrl(url) {
	const i = url.indexOf('?');
	return i < 0 ? [url, ''] : [url.slice(0, i), url.slice(i + 1)];
}

const errorCode = (xml) => (/<Code>([^<]*)<\/Code>/.exec(xml) || [])[1] || null;

let s3Port;

async function proxyRequest(req, res) {
	const [rawPath, rawQuery] = splitUrl(req.url);
	const host = req.headers.host || '';
	const hostname = host.replace(/:\d+$/, '');
	const suffix = '.' + opt.vhostDomain;
	const vbucket = hostname.endsWith(suffix) ? hostname.slice(0, -suffix.length) : null;
	const bucketPath = vbucket ? `/${vbucket}${rawPath}` : rawPath;
	const segs = bucketPath.split('/');
	const bucket = uriDecode(segs[1] || ''), key = uriDecode(segs.slice(2).join('/'));
	const pairs = queryPairs(rawQuery);
	const q = Object.fromEntries(pairs);
	const auth = parseAuth(req, pairs);
	const entry = { port: 'proxy', method: req.method, path: rawPath, query: rawQuery, host,
		authorization: 'authorization' in req.headers, presigned: Boolean(auth && auth.presigned),
		credential: auth ? { key: auth.scope.key, date: auth.scope.date, region: auth.scope.region, service: auth.scope.service } : null,
		signed_headers: auth ? auth.signed : null,
		content_sha256: req.headers['x-amz-content-sha256'] ?? null,
		security_token: 'x-amz-security-token' in req.headers || 'X-Amz-Security-Token' in q,
		range: req.headers.range ?? null, body_bytes: 0, status: null, error: null, fault: null };

	let fault;
	try {
		fault = pickFault(req.method, bucketPath, rawQuery);
	} catch (e) {
		fault = null;
		process.stderr.write(`s3server.mjs: bad faults file: ${e.message}\n`);
	}
	if (fault) entry.fault = fault.action;
	if (fault && fault.action === 'reset') {
		req.socket.destroy();
		logLine(entry);
		return;
	}

	const body = await readBody(req, res);
	entry.body_bytes = body.length;
	const done = (status, err) => {
		if (entry.status !== null) return; // a dropped answer may still end
		entry.status = status;
		entry.error = err;
		logLine(entry);
	};

	if (fault && fault.action === 'delay') await new Promise((r) => setTimeout(r, Number(fault.ms) || 0));
	if (fault && /^\d{3}$/.test(String(fault.action))) {
		const status = Number(fault.action);
		const code = fault.code || { 503: 'SlowDown', 500: 'InternalError' }[status] || 'InjectedFault';
		const headers = fault.retry_after !== undefined ? { 'Retry-After': String(fault.retry_after) } : {};
		sendFail(res, new S3Fail(status, code, status === 503 ? 'Please reduce your request rate.' : 'Injected by the test server.', {}, headers));
		return done(status, code);
	}
	if (fault && fault.action === 'redirect') {
		const loc = `${otherUrl}${rawPath}${rawQuery ? '?' + rawQuery : ''}`;
		sendXml(res, 307, `<Error>${xmlFields({ Code: 'TemporaryRedirect', Message: 'Please re-send this request to the specified temporary endpoint.', Endpoint: otherUrl })}</Error>`, { Location: loc });
		return done(307, 'TemporaryRedirect');
	}

	try {
		if (auth) {
			verifySigV4(req, auth, rawPath, pairs, body);
			await checkWithSdk(req, auth, rawPath, pairs);
		}
		else if (!('authorization' in req.headers) && !('Signature' in q)) {
			const readOnly = req.method === 'GET' || req.method === 'HEAD';
			if (!(readOnly && bucket && opt.public.includes(bucket)))
				throw new S3Fail(403, 'AccessDenied', 'Access Denied');
		}
		if (emulate(req, res, bucket, key, q, body)) return done(res.statusCode, null);
		if (req.method === 'PUT' && key && 'uploadId' in q) needUpload(bucket, q.uploadId);
	} catch (e) {
		if (!(e instanceof S3Fail)) throw e;
		sendFail(res, e);
		return done(e.status, e.code);
	}

	const headers = { ...req.headers };
	delete headers['transfer-encoding'];
	delete headers.expect; // the body is here already
	headers['content-length'] = String(body.length);
	const up = http.request({ host: '127.0.0.1', port: s3Port, method: req.method,
		path: bucketPath + (rawQuery ? '?' + rawQuery : ''), headers }, (ur) => {
		const out = { ...ur.headers };
		if (req.method === 'HEAD' && bucket && !key) out['x-amz-bucket-region'] = opt.region;
		res.writeHead(ur.statusCode, out);
		let sent = 0, errXml = '';
		const limit = fault && fault.action === 'drop' ? Number(fault.after_bytes) || 0 : Infinity;
		// end(), not destroy(): what was written still goes out first.
		const cut = () => {
			ur.destroy();
			res.socket.end();
			done(ur.statusCode, 'dropped');
		};
		if (limit === 0) {
			res.flushHeaders();
			return cut();
		}
		ur.on('data', (c) => {
			if (sent >= limit) return;
			if (ur.statusCode >= 400 && errXml.length < 4096) errXml += c.toString('utf8');
			if (sent + c.length >= limit && limit !== Infinity) {
				res.write(c.subarray(0, limit - sent));
				sent = limit;
				return cut();
			}
			sent += c.length;
			res.write(c);
		});
		ur.on('end', () => {
			res.end();
			done(ur.statusCode, ur.statusCode >= 400 ? errorCode(errXml) : null);
		});
	});
	up.on('error', (e) => {
		sendFail(res, new S3Fail(502, 'BadGateway', `s3rver: ${e.message}`));
		done(502, 'BadGateway');
	});
	up.end(body);
}

async function otherRequest(req, res) {
	const [rawPath, rawQuery] = splitUrl(req.url);
	const body = await readBody(req, res);
	sendFail(res, new S3Fail(404, 'NoSuchKey', 'This is the other host: it holds nothing.'));
	logLine({ port: 'other', method: req.method, path: rawPath, query: rawQuery, host: req.headers.host || '',
		authorization: 'authorization' in req.headers, security_token: 'x-amz-security-token' in req.headers,
		body_bytes: body.length, status: 404, error: 'NoSuchKey', fault: null, headers: req.headers });
}

function serve(handler) {
	const handle = (req, res) => {
		handler(req, res).catch((e) => {
			process.stderr.write(`s3server.mjs: ${e.stack}\n`);
			if (!res.headersSent) sendFail(res, new S3Fail(500, 'InternalError', e.message));
			else res.destroy();
		});
	};
	const server = http.createServer(handle);
	server.on('checkContinue', handle);
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// s3rver's ListObjectsV2 continuation tokens are DES-encrypted, and
// OpenSSL 3 has DES only in its legacy provider (without it every truncated
// listing is a 500).  Its 'des' becomes AES-128-CTR, keyed and IV'd by the
// same 8 bytes padded: a token is still the IV and the ciphertext, and
// deciphers to what it did.
for (const name of ['createCipheriv', 'createDecipheriv']) {
	const real = crypto[name];
	crypto[name] = (alg, key, iv, ...rest) => (alg === 'des'
		? real('aes-128-ctr', Buffer.concat([key, Buffer.alloc(8)]), Buffer.concat([iv, Buffer.alloc(8)]), ...rest)
		: real(alg, key, iv, ...rest));
}

const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: false, directory: opt.dir,
	serviceEndpoint: opt.vhostDomain, vhostBuckets: false, configureBuckets: [] });
// s3rver logs to the console; its own file instead, out of the tests' output.
s3.logger.clear();
s3.logger.add(new winston.transports.File({ filename: opt.serverLog || path.join(opt.dir, '..', 's3rver.log') }));
const s3addr = await s3.run();
s3Port = s3addr.port;
const proxy = await serve(proxyRequest);
const other = await serve(otherRequest);
const url = (srv) => `http://127.0.0.1:${srv.address().port}`;
const otherUrl = url(other);

const tmp = `${opt.portFile}.tmp`;
fs.writeFileSync(tmp, JSON.stringify({ pid: process.pid, s3: `http://127.0.0.1:${s3Port}`, proxy: url(proxy), other: otherUrl, region: opt.region }) + '\n');
fs.renameSync(tmp, opt.portFile);

function stop() {
	for (const srv of [proxy, other, s3.httpServer]) {
		srv.close();
		srv.closeAllConnections();
	}
	process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
