import { createRequire } from 'node:module';
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { Writable } from 'node:stream';
// Usage: node make-text-parquet.mjs OUT BYTES snappy|zstd -- a parquet file of about
// BYTES of real prose (the licence texts Debian ships, paragraph by paragraph,
// each row numbered so none repeats) in 1000-row row groups, written by
// arrow-rs (parquet-wasm) as a stream, so memory stays small.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'tests', 'node', 'package.json'));
const arrow = require('apache-arrow');
const pw = require('parquet-wasm');
const [out, bytesWanted, codec] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const dir = '/usr/share/common-licenses';
const paras = [];
for (const f of readdirSync(dir)) {
	try { for (const p of readFileSync(`${dir}/${f}`, 'utf8').split('\n\n')) if (p.trim()) paras.push(p); } catch {}
}
let made = 0, row = 0;
const batchRows = 20000;
const stream = new ReadableStream({
	pull(ctrl) {
		if (made >= bytesWanted) { ctrl.close(); return; }
		const texts = [];
		for (let i = 0; i < batchRows; i++, row++) {
			const t = `${row} ${paras[row % paras.length]}`;
			texts.push(t);
			made += Buffer.byteLength(t);
		}
		const t = new arrow.Table({ text: arrow.vectorFromArray(texts, new arrow.Utf8()) });
		for (const b of pw.Table.fromIPCStream(arrow.tableToIPC(t, 'stream')).recordBatches()) ctrl.enqueue(b);
	},
});
const props = new pw.WriterPropertiesBuilder().setCompression(codec === 'zstd' ? pw.Compression.ZSTD : pw.Compression.SNAPPY)
	.setMaxRowGroupSize(1000).build();
const outStream = await pw.transformParquetStream(stream, props);
await outStream.pipeTo(Writable.toWeb(createWriteStream(out)));
