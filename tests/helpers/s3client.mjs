// s3client.mjs - the oracle S3 client of the s3:// tests: independent of our
// C code, it signs with AWS's own SigV4 signer (@smithy/signature-v4, from
// tests/node), so a test can lay out or read back a bucket without trusting
// the client under test.
//
// Usage: node s3client.mjs [--max-keys N] COMMAND ARGS...
//   mb BUCKET               create a bucket
//   put BUCKET KEY FILE     upload FILE ("-": stdin) as one PutObject
//   get BUCKET KEY          the object's bytes on stdout
//   head BUCKET KEY         "SIZE ETAG" of the object
//   rm BUCKET KEY           delete the object
//   ls BUCKET [PREFIX]      every key, one a line, following ListObjectsV2's
//                           continuation tokens (--max-keys: the page size)
//   uploads BUCKET [PREFIX] "KEY<TAB>UPLOADID" of each multipart upload in
//                           progress (ListMultipartUploads)
//   mpu-start BUCKET KEY    CreateMultipartUpload; prints the upload id
//   mpu-part BUCKET KEY ID N FILE   UploadPart N; prints its ETag
//   mpu-done BUCKET KEY ID N:ETAG...  CompleteMultipartUpload
//   mpu-abort BUCKET KEY ID AbortMultipartUpload
//   presign BUCKET KEY [SECONDS]  a presigned GET URL (default 300 s), as
//                           the SDK's S3 presigner writes it (UNSIGNED-PAYLOAD)
// The endpoint and credentials come from the environment: AWS_ENDPOINT_URL,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional),
// AWS_REGION (default us-east-1).  Requests are path-style.  Any answer but
// 2xx: a line "s3client: METHOD PATH: STATUS CODE: MESSAGE" on stderr, exit 1.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'node', 'package.json'));
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

function die(msg) {
	process.stderr.write(`s3client: ${msg}\n`);
	process.exit(1);
}

const env = process.env;
for (const v of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
	if (!env[v]) die(`${v} is not set`);
const endpoint = new URL(env.AWS_ENDPOINT_URL);
const signer = new SignatureV4({
	credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
		sessionToken: env.AWS_SESSION_TOKEN || undefined },
	region: env.AWS_REGION || 'us-east-1',
	service: 's3',
	sha256: Sha256,
	// S3 signs the path as sent, encoded once (we encode it below).
	uriEscapePath: false,
});

// RFC 3986, '/' kept: how S3 wants a key in the path.
const encodeKey = (k) => k.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g,
	(c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())).join('/');

// One signed request; resolves {status, headers, body} for 2xx, dies otherwise.
async function request(method, bucket, key, query = {}, body = Buffer.alloc(0)) {
	const p = '/' + bucket + (key !== undefined ? '/' + encodeKey(key) : '');
	const signed = await signer.sign({
		method, protocol: endpoint.protocol, hostname: endpoint.hostname, port: Number(endpoint.port) || 80,
		path: p, query, headers: { host: endpoint.host }, body,
	});
	const qs = new URLSearchParams(query).toString().replace(/\+/g, '%20');
	const res = await new Promise((resolve, reject) => {
		const req = http.request({ host: endpoint.hostname, port: endpoint.port || 80, method,
			path: p + (qs ? '?' + qs : ''), headers: { ...signed.headers, 'content-length': body.length } }, (r) => {
			const chunks = [];
			r.on('data', (c) => chunks.push(c));
			r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) }));
			r.on('error', reject);
		});
		req.on('error', reject);
		req.end(body);
	}).catch((e) => die(`${method} ${p}: ${e.message}`));
	if (res.status < 200 || res.status > 299) {
		const xml = res.body.toString('utf8');
		die(`${method} ${p}: ${res.status} ${tag(xml, 'Code') || '(no code)'}: ${tag(xml, 'Message') || '(no message)'}`);
	}
	return res;
}

const unxml = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
	.replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n))).replace(/&amp;/g, '&');
const tag = (xml, name) => { const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml); return m ? unxml(m[1]) : null; };
const tags = (xml, name) => [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]);

let args = process.argv.slice(2);
let maxKeys;
if (args[0] === '--max-keys') {
	maxKeys = args[1];
	args = args.slice(2);
}
const [cmd, bucket, a1, a2, a3, a4] = args;
const needs = { mb: 1, put: 3, get: 2, head: 2, rm: 2, ls: 1, uploads: 1,
	'mpu-start': 2, 'mpu-part': 5, 'mpu-done': 4, 'mpu-abort': 3, presign: 2 };
const need = needs[cmd];
if (need === undefined) die(`unknown command '${cmd ?? ''}' (${Object.keys(needs).join(', ')})`);
if (args.length - 1 < need) die(`${cmd} needs ${need} argument(s)`);

switch (cmd) {
case 'mb':
	await request('PUT', bucket);
	break;
case 'put':
	await request('PUT', bucket, a1, {}, fs.readFileSync(a2 === '-' ? 0 : a2));
	break;
case 'get':
	process.stdout.write((await request('GET', bucket, a1)).body);
	break;
case 'head': {
	const r = await request('HEAD', bucket, a1);
	process.stdout.write(`${r.headers['content-length']} ${r.headers.etag}\n`);
	break;
}
case 'rm':
	await request('DELETE', bucket, a1);
	break;
case 'ls': {
	let token;
	do {
		const q = { 'list-type': '2', prefix: a1 || '' };
		if (maxKeys) q['max-keys'] = maxKeys;
		if (token) q['continuation-token'] = token;
		const xml = (await request('GET', bucket, undefined, q)).body.toString('utf8');
		for (const c of tags(xml, 'Contents')) process.stdout.write(tag(c, 'Key') + '\n');
		token = tag(xml, 'IsTruncated') === 'true' ? tag(xml, 'NextContinuationToken') : null;
		if (tag(xml, 'IsTruncated') === 'true' && !token) die('ls: a truncated page without NextContinuationToken');
	} while (token);
	break;
}
case 'uploads': {
	const xml = (await request('GET', bucket, undefined, { uploads: '', prefix: a1 || '' })).body.toString('utf8');
	for (const u of tags(xml, 'Upload')) process.stdout.write(`${tag(u, 'Key')}\t${tag(u, 'UploadId')}\n`);
	break;
}
case 'mpu-start': {
	const xml = (await request('POST', bucket, a1, { uploads: '' })).body.toString('utf8');
	process.stdout.write(tag(xml, 'UploadId') + '\n');
	break;
}
case 'mpu-part': {
	const r = await request('PUT', bucket, a1, { partNumber: a3, uploadId: a2 }, fs.readFileSync(a4 === '-' ? 0 : a4));
	process.stdout.write(r.headers.etag + '\n');
	break;
}
case 'mpu-done': {
	const parts = args.slice(4).map((p) => {
		const [n, etag] = p.split(/:(.*)/s);
		return `<Part><PartNumber>${n}</PartNumber><ETag>${etag}</ETag></Part>`;
	}).join('');
	await request('POST', bucket, a1, { uploadId: a2 },
		Buffer.from(`<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`));
	break;
}
case 'mpu-abort':
	await request('DELETE', bucket, a1, { uploadId: a2 });
	break;
case 'presign': {
	const p = '/' + bucket + '/' + encodeKey(a1);
	const r = await signer.presign({ method: 'GET', protocol: endpoint.protocol, hostname: endpoint.hostname,
		port: Number(endpoint.port) || 80, path: p, query: {},
		headers: { host: endpoint.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
	{ expiresIn: Number(a2 || 300) });
	process.stdout.write(`${endpoint.origin}${p}?${new URLSearchParams(r.query).toString().replace(/\+/g, '%20')}\n`);
	break;
}
}
