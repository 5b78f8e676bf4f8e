// Prints raw, gzip and brotli sizes of every file in a folder, and the totals.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const root = process.argv[2] ?? 'dist';
const files = [];
const walk = (d) => readdirSync(d).forEach((f) => { const p = join(d, f); statSync(p).isDirectory() ? walk(p) : files.push(p); });
walk(root);
files.sort();
const rows = files.map((f) => {
  const b = readFileSync(f);
  return [relative(root, f), b.length, gzipSync(b, { level: 9 }).length,
    brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length];
});
const total = rows.reduce((t, r) => [t[0], t[1] + r[1], t[2] + r[2], t[3] + r[3]], ['TOTAL', 0, 0, 0]);
const w = Math.max(...rows.map((r) => r[0].length), 5);
const line = (r) => `${r[0].padEnd(w)}  ${String(r[1]).padStart(9)}  ${String(r[2]).padStart(9)}  ${String(r[3]).padStart(9)}`;
console.log(line(['FILE', 'RAW', 'GZIP', 'BROTLI']));
rows.forEach((r) => console.log(line(r)));
console.log(line(total));
const budget = 150 * 1024;
console.log(total[3] <= budget ? `brotli total within the 150 KB budget (${(total[3] / 1024).toFixed(1)} KB)` : `WARNING: brotli total ${(total[3] / 1024).toFixed(1)} KB is over the 150 KB budget`);
