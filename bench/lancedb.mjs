// lancedb.mjs - LanceDB (npm @lancedb/lancedb, pinned in bench/node-vs) for
// bench/vs.sh.  DIR is a data directory of bench/vs-data.py.
//
//   node lancedb.mjs build DIR DB [DIM]
//       a table of the points (id int32, vector fixed_size_list<f32>) in the
//       database directory DB, then an IVF_HNSW_SQ index over it: cosine,
//       m=16, ef_construction=200, one partition (so one HNSW graph, as in
//       hnswlib and ours; SQ is the only HNSW flavour without PQ that
//       LanceDB's Node API offers).  Prints "insert_seconds S index_seconds S".
//   node lancedb.mjs query DIR DB EF RUNS [DIM]
//       the queries one after the other (each awaited before the next),
//       top 10 by cosine with the given ef, RUNS times after a warm-up;
//       prints "seconds MEDIAN recall R".
// Run it with LANCE_CPU_THREADS set to bound LanceDB's CPU pool.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const require = createRequire(new URL("./node-vs/package.json", import.meta.url));
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");

const K = 10;

function f32(path) {
	const b = readFileSync(path);
	return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

function batchOf(vecs, dim, lo, hi) {
	const n = hi - lo;
	const ids = new Int32Array(n);
	for (let i = 0; i < n; i++) ids[i] = lo + i;
	const item = new arrow.Field("item", new arrow.Float32(), true);
	const fields = [new arrow.Field("id", new arrow.Int32(), false),
		new arrow.Field("vector", new arrow.FixedSizeList(dim, item), false)];
	const child = arrow.makeData({ type: new arrow.Float32(), length: n * dim,
		data: vecs.slice(lo * dim, hi * dim) });
	const vector = arrow.makeData({ type: fields[1].type, length: n, nullCount: 0, child });
	const id = arrow.makeData({ type: new arrow.Int32(), length: n, data: ids });
	const schema = new arrow.Schema(fields);
	const data = arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children: [id, vector] });
	return new arrow.RecordBatch(schema, data);
}

async function build(dir, db, dim) {
	const vecs = f32(join(dir, "base.f32"));
	const n = vecs.length / dim;
	const conn = await lancedb.connect(db);
	const t0 = performance.now();
	const step = 100000;
	let table = null;
	for (let lo = 0; lo < n; lo += step) {
		const t = new arrow.Table([batchOf(vecs, dim, lo, Math.min(n, lo + step))]);
		if (table) await table.add(t);
		else table = await conn.createTable("points", t, { mode: "overwrite" });
	}
	const t1 = performance.now();
	await table.createIndex("vector", {
		config: lancedb.Index.hnswSq({ distanceType: "cosine", m: 16, efConstruction: 200, numPartitions: 1 }),
	});
	const t2 = performance.now();
	console.log(`insert_seconds ${((t1 - t0) / 1000).toFixed(6)} index_seconds ${((t2 - t1) / 1000).toFixed(6)}`);
}

async function query(dir, db, ef, runs, dim) {
	const q = f32(join(dir, "queries.f32"));
	const nq = q.length / dim;
	const truth = new Int32Array(readFileSync(join(dir, "truth.i32")).buffer.slice(0));
	const conn = await lancedb.connect(db);
	const table = await conn.openTable("points");
	const one = (i) => table.vectorSearch(q.subarray(i * dim, (i + 1) * dim)).distanceType("cosine").ef(ef)
		.limit(K).select(["id", "_distance"]).toArray();
	let hits = 0;
	for (let i = 0; i < nq; i++) { // the warm-up, and the answers
		const rows = await one(i);
		const want = new Set(truth.subarray(i * K, (i + 1) * K));
		for (const r of rows) if (want.has(r.id)) hits++;
	}
	const times = [];
	for (let r = 0; r < runs; r++) {
		const t0 = performance.now();
		for (let i = 0; i < nq; i++) await one(i);
		times.push((performance.now() - t0) / 1000);
	}
	times.sort((a, b) => a - b);
	const m = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
	console.log(`seconds ${m.toFixed(6)} recall ${(hits / (nq * K)).toFixed(4)}`);
}

const [what, ...a] = process.argv.slice(2);
if (what === "build" && a.length >= 2) await build(a[0], a[1], Number(a[2] || 128));
else if (what === "query" && a.length >= 4) await query(a[0], a[1], Number(a[2]), Number(a[3]), Number(a[4] || 128));
else {
	console.error("usage: lancedb.mjs build DIR DB [DIM] | query DIR DB EF RUNS [DIM]");
	process.exit(2);
}
