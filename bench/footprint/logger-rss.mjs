#!/usr/bin/env node
// Which logger the agent uses, measured: resident memory of a bare Node process, of one that loads
// peerboot's JSON logger (src/platform/logger.ts, built into dist/) and of one that loads pino
// (already in node_modules through fastify), each writing 1000 lines to a no-op sink. Median of 5
// fresh processes after a forced GC. Run after `npm run build`: node bench/footprint/logger-rss.mjs
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const programs = {
  'node alone': 'globalThis.gc(); console.log(process.memoryUsage().rss);',
  'peerboot logger': `const { jsonLogger } = await import(${JSON.stringify(join(root, 'dist/platform/logger.js'))});
    const log = jsonLogger({ minLevel: 'info', write() {} }); for (let i = 0; i < 1000; i++) log.info('x', { i });
    globalThis.gc(); console.log(process.memoryUsage().rss);`,
  pino: `const { createRequire } = await import('node:module'); const pino = createRequire(${JSON.stringify(join(root, 'package.json'))})('pino');
    const log = pino({ level: 'info' }, { write() { return true; } }); for (let i = 0; i < 1000; i++) log.info({ i }, 'x');
    globalThis.gc(); console.log(process.memoryUsage().rss);`,
};
const mib = (n) => (n / 1048576).toFixed(1);
let base = 0;
for (const [name, code] of Object.entries(programs)) {
  const runs = Array.from({ length: 5 }, () => Number(spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], { encoding: 'utf8' }).stdout.trim()));
  const median = runs.sort((a, b) => a - b)[2];
  if (name === 'node alone') base = median;
  console.log(`${name.padEnd(16)} RSS median ${mib(median)} MiB (${mib(runs[0])}–${mib(runs[4])}), +${mib(median - base)} MiB over node alone`);
}
