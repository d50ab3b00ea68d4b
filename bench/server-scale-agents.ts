/**
 * Simulated agents for the control-plane scale bench (run as a child process of
 * bench/server-scale.ts, talking over IPC). Each agent is one raw TCP socket holding the policy
 * stream open (HTTP/1.0, so the body is the bare event stream), nothing else: no PXE, no chunks.
 * Receipt times are taken when a frame is complete; signatures are verified afterwards (per unique
 * document), so the measurement is of delivery, and every held document is still checked.
 *
 * Commands (IPC): enroll {servers, enrollToken, count, subnets} → {agents}; connect {assign} →
 * {connected}; awaitSerial {minSerial, timeoutMs} → {receiptsMs[], missing}; verify → {verified, failed}; close.
 */
import { connect, type Socket } from 'node:net';
import { verifyPolicy } from '../src/platform/crypto/signed-documents.js';

interface SimAgent {
  id: string;
  token: string;
  server: string;
  socket: Socket | null;
  buffer: string;
  headersDone: boolean;
  serial: number;
  receivedAtMs: number;
  lastDoc: string | null;
  lastEtag: string | null;
  streamsOpened: number;
}

const agents: SimAgent[] = [];
let publicKey = '';
/** The serial being waited for and how many agents still lack it (O(1) per frame, no scans). */
let target: { minSerial: number; remaining: number; done: () => void } | null = null;

function send(msg: unknown) {
  process.send!(msg);
}

async function enroll(msg: { servers: string[]; enrollToken: string; count: number; subnets: number; concurrency: number }) {
  let next = 0;
  const worker = async () => {
    while (next < msg.count) {
      const i = next++;
      const subnet = i % msg.subnets;
      const address = `10.${100 + Math.floor(subnet / 250)}.${subnet % 250}.${10 + Math.floor(i / msg.subnets) % 240}/24`;
      const server = msg.servers[i % msg.servers.length]!;
      const res = await fetch(`${server}/api/v1/agent/enroll`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          token: msg.enrollToken, hostname: `sim-${i}`, version: 'bench',
          interfaces: [{ name: 'eth0', mac: `02:00:${[(i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`, addresses: [address] }],
        }),
      });
      if (res.status !== 201) throw new Error(`enroll ${i}: HTTP ${res.status} ${await res.text()}`);
      const body = await res.json() as { agentId: string; agentToken: string; policyPublicKey: string };
      publicKey = body.policyPublicKey;
      agents[i] = { id: body.agentId, token: body.agentToken, server, socket: null, buffer: '', headersDone: false, serial: -1, receivedAtMs: 0, lastDoc: null, lastEtag: null, streamsOpened: 0 };
    }
  };
  await Promise.all(Array.from({ length: msg.concurrency }, worker));
  send({ type: 'enrolled', agents: agents.length });
}

function onFrame(a: SimAgent, frame: string) {
  let data = '';
  let event = 'message';
  let id: string | null = null;
  for (const line of frame.split('\n')) {
    if (line.startsWith('data: ')) data += line.slice(6);
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('id: ')) id = line.slice(4);
  }
  if (event !== 'policy' || !data) return;
  // The serial sits early in the document: read it without parsing 10,000 documents on the hot path.
  const receivedAtMs = Date.now();
  const m = /"serial":(\d+)/.exec(data);
  const before = a.serial;
  a.serial = m ? Number(m[1]) : a.serial;
  a.receivedAtMs = receivedAtMs;
  a.lastDoc = data;
  a.lastEtag = id;
  if (target && before < target.minSerial && a.serial >= target.minSerial && --target.remaining === 0) target.done();
}

function openStream(a: SimAgent, localAddress: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(a.server);
    const s = connect({ host: u.hostname, port: Number(u.port), localAddress });
    a.socket = s;
    a.buffer = '';
    a.headersDone = false;
    a.streamsOpened++;
    s.setEncoding('utf8');
    s.on('connect', () => {
      s.write(`GET /api/v1/agent/policy/stream HTTP/1.0\r\nHost: ${u.host}\r\nAuthorization: Bearer ${a.token}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    s.on('data', (chunk: string) => {
      a.buffer += chunk;
      if (!a.headersDone) {
        const end = a.buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = a.buffer.slice(0, a.buffer.indexOf('\r\n'));
        if (!/ 200 /.test(status)) { reject(new Error(`stream ${a.id}: ${status}`)); s.destroy(); return; }
        a.headersDone = true;
        a.buffer = a.buffer.slice(end + 4);
        resolve();
      }
      let idx: number;
      while ((idx = a.buffer.indexOf('\n\n')) >= 0) {
        const frame = a.buffer.slice(0, idx);
        a.buffer = a.buffer.slice(idx + 2);
        onFrame(a, frame);
      }
    });
    s.on('error', (err) => reject(err));
    s.on('close', () => { a.socket = null; });
  });
}

async function connectAll(msg: { batch: number; localAddresses: number }) {
  const t0 = Date.now();
  for (let i = 0; i < agents.length; i += msg.batch) {
    await Promise.all(agents.slice(i, i + msg.batch).map((a, j) => openStream(a, `127.0.${1 + ((i + j) % msg.localAddresses)}.${1 + ((i + j) % 250)}`)));
  }
  // Everyone's first document.
  const deadline = Date.now() + 60_000;
  while (agents.some((a) => a.serial < 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  send({ type: 'connected', connected: agents.filter((a) => a.socket).length, withPolicy: agents.filter((a) => a.serial >= 0).length, ms: Date.now() - t0 });
}

async function awaitSerial(msg: { minSerial: number; timeoutMs: number }) {
  const remaining = agents.filter((a) => a.serial < msg.minSerial).length;
  if (remaining > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, msg.timeoutMs);
      target = { minSerial: msg.minSerial, remaining, done: () => { clearTimeout(timer); resolve(); } };
    });
    target = null;
  }
  const holders = agents.filter((a) => a.serial >= msg.minSerial);
  send({ type: 'serial', receiptsMs: holders.map((a) => a.receivedAtMs), missing: agents.length - holders.length });
}

function verifyAll() {
  const seen = new Map<string, boolean>();
  let verified = 0;
  let failed = 0;
  for (const a of agents) {
    if (!a.lastDoc) { failed++; continue; }
    let ok = seen.get(a.lastDoc);
    if (ok === undefined) {
      const v = verifyPolicy(JSON.parse(a.lastDoc), publicKey);
      ok = v.ok && v.etag === a.lastEtag;
      seen.set(a.lastDoc, ok);
    }
    if (ok) verified++; else failed++;
  }
  send({ type: 'verified', verified, failed, uniqueDocuments: seen.size, reconnects: agents.reduce((n, a) => n + a.streamsOpened - 1, 0) });
}

process.on('message', (msg: { cmd: string } & Record<string, unknown>) => {
  const run = async () => {
    switch (msg.cmd) {
      case 'enroll': return enroll(msg as never);
      case 'connect': return connectAll(msg as never);
      case 'awaitSerial': return awaitSerial(msg as never);
      case 'verify': return verifyAll();
      case 'close':
        for (const a of agents) a.socket?.destroy();
        send({ type: 'closed' });
        setTimeout(() => process.exit(0), 50);
        return;
    }
  };
  run().catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }));
});
send({ type: 'ready' });
