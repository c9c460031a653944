// hfcache-oracle.mjs - the Hugging Face cache as @huggingface/hub (the
// official JS port of huggingface_hub's cache) sees and writes it, for
// tests/hfcache.bats.
//
//   node hfcache-oracle.mjs scan ROOT
//       scanCacheDir(ROOT) as JSON: {"repos": [{"id", "type", "revisions":
//       [{"commit", "refs": [...], "files": {PATH: BLOB-NAME}}]}],
//       "warnings": [...]}, everything sorted.  Note what the library
//       itself does: it lists only the top level of a snapshot (its
//       scanSnapshotDir skips subdirectories) and only the top level of
//       refs/ (refs/refs/convert/parquet is not read), and it compares a
//       ref's bytes with the snapshot names as they are, so a ref with a
//       trailing newline is reported as pointing to a missing commit.
//
//   node hfcache-oracle.mjs layout ROOT REPO REV PATH CONTENT-FILE [COMMIT]
//       downloadFileToCacheDir() for dataset REPO, file PATH at REV, its
//       bytes CONTENT-FILE: the library's own writer, with no network, by
//       handing it a `fetch` (a documented parameter) that answers the two
//       requests it makes (POST /api/datasets/REPO/paths-info/REV and GET
//       /datasets/REPO/resolve/REV/PATH, with Range) from memory.  The
//       file's oid is its git blob sha1, as the Hub reports for a file not
//       in LFS, so the blob is blobs/<sha1>.  The snapshot directory is REV
//       when REV is a 40-hex commit, else COMMIT (given to the library as
//       the file's lastCommit.id, which it uses).  The library writes no
//       refs/ file.  Prints the pointer path it returns.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { relative, basename } from "node:path";
import { scanCacheDir, downloadFileToCacheDir } from "@huggingface/hub";

const [cmd, ...args] = process.argv.slice(2);

function byKey(k) {
	return (a, b) => (a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0);
}

async function scan(root) {
	const info = await scanCacheDir(root);
	const repos = info.repos.map((r) => ({
		id: r.id.name,
		type: r.id.type,
		revisions: r.revisions
			.map((v) => {
				const files = {};
				for (const f of [...v.files].sort(byKey("path")))
					files[relative(v.path, f.path)] = basename(f.blob.path);
				return { commit: v.commitOid, refs: [...v.refs].sort(), files };
			})
			.sort(byKey("commit")),
	}));
	repos.sort(byKey("id"));
	const warnings = info.warnings.map((w) => String(w.message ?? w)).sort();
	process.stdout.write(JSON.stringify({ repos, warnings }) + "\n");
}

async function layout(root, repo, rev, path, contentFile, commit) {
	const content = readFileSync(contentFile);
	const oid = createHash("sha1")
		.update(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]))
		.digest("hex");
	const hub = "http://hub.invalid"; // never contacted: fetch below answers
	const requests = [];
	const fakeFetch = async (url, init = {}) => {
		url = String(url);
		const method = init.method ?? "GET";
		requests.push(`${method} ${url}`);
		const headers = new Headers(init.headers ?? {});
		if (method === "POST" && url.includes("/paths-info/")) {
			const body = [
				{
					type: "file",
					path,
					oid,
					size: content.length,
					lastCommit: { id: commit ?? rev, title: "oracle", date: "2026-01-01T00:00:00.000Z" },
				},
			];
			return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
		}
		if (method === "GET" && url.includes("/resolve/")) {
			const h = { ETag: `"${oid}"`, "Content-Type": "application/octet-stream" };
			const range = headers.get("Range");
			const m = range && /^bytes=(\d+)-(\d*)$/.exec(range);
			if (m) {
				const a = Number(m[1]);
				const b = m[2] === "" ? content.length - 1 : Math.min(Number(m[2]), content.length - 1);
				h["Content-Range"] = `bytes ${a}-${b}/${content.length}`;
				return new Response(content.subarray(a, b + 1), { status: 206, headers: h });
			}
			return new Response(content, { status: 200, headers: h });
		}
		return new Response("not found", { status: 404 });
	};
	console.debug = () => {}; // the library announces its download there
	const pointer = await downloadFileToCacheDir({
		repo: { type: "dataset", name: repo },
		path,
		revision: rev,
		hubUrl: hub,
		cacheDir: root,
		fetch: fakeFetch,
	});
	process.stdout.write(pointer + "\n");
}

try {
	if (cmd === "scan" && args.length === 1) await scan(args[0]);
	else if (cmd === "layout" && (args.length === 5 || args.length === 6)) await layout(...args);
	else {
		process.stderr.write("usage: hfcache-oracle.mjs scan ROOT | layout ROOT REPO REV PATH CONTENT-FILE [COMMIT]\n");
		process.exit(2);
	}
} catch (e) {
	process.stderr.write(`hfcache-oracle: ${e.message ?? e}\n`);
	process.exit(1);
}
