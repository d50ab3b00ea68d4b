/**
 * Serves the built web console (web/dist, made by `npm run build:web`, which `npm ci` runs through
 * `prepare`) at `/`. Only files found in that folder are served, so no request path reaches the
 * file system. Hashed assets are immutable; index.html is re-read on every load so a rebuilt
 * console shows at once. Without a build, `/` says how to make one.
 */
import { readFile, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** web/dist beside src/ (from src/server/ under tsx, or dist/server/ when compiled). */
export const defaultConsoleDir = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * The console's security headers: scripts, data and connections from this origin only, no eval
 * (the shared contract compiles its TypeBox validators lazily, never in the console).
 */
export const consoleSecurityHeaders: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

async function listFiles(dir: string): Promise<Set<string>> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return new Set(entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length).split('\\').join('/').replace(/^\/?/, '')));
  } catch {
    return new Set();
  }
}

/** Registers `GET /`, `/assets/*` and `/favicon.svg`; every other path stays the API's. */
export async function registerConsole(app: FastifyInstance, dir: string = defaultConsoleDir): Promise<void> {
  let files = await listFiles(dir);
  let scannedAtMs = Date.now();
  // A rebuild adds new hashed names: look again before answering 404, at most once a second.
  const rescan = async () => {
    if (Date.now() - scannedAtMs < 1000) return;
    scannedAtMs = Date.now();
    files = await listFiles(dir);
  };
  const send = async (reply: FastifyReply, name: string, immutable: boolean) => {
    const body = await readFile(join(dir, name));
    reply.headers(consoleSecurityHeaders)
      .header('content-type', contentTypes[extname(name)] ?? 'application/octet-stream')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.send(body);
  };
  const notBuilt = (reply: FastifyReply) => reply.code(503).type('text/plain; charset=utf-8')
    .send(`The web console is not built: run \`npm run build:web\` (or \`npm ci\`) in the peerboot folder, then reload.\n(looked in ${dir})\n`);

  app.get('/', async (_req, reply) => {
    if (!files.has('index.html')) await rescan();
    if (!files.has('index.html')) return notBuilt(reply);
    return send(reply, 'index.html', false);
  });
  const asset = async (name: string, reply: FastifyReply) => {
    if (!files.has(name)) await rescan();
    if (!files.has(name)) return reply.code(404).send({ code: 'SERVER_ERR_NOT_FOUND', message: `console file ${name} not found (reload the page)` });
    return send(reply, name, name.startsWith('assets/'));
  };
  app.get('/assets/*', async (req, reply) => asset(`assets/${(req.params as { '*': string })['*']}`, reply));
  app.get('/favicon.svg', async (_req, reply) => asset('favicon.svg', reply));
}
