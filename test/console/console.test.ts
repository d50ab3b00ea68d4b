// Goal: the seed's workflow works in a real browser against a real control plane: an admin logs
// in, opens the P2P PXE settings, drags a collection into the targets, clicks Enable, and sees a
// real agent's state turn to serving; the overview then shows the subnet covered with that agent as
// the active responder, a live boot event arrives over SSE, a rogue-responder alert is raised, a
// form error from the server's validation sits next to its field with the typed text kept, and a
// server restart shows as a lost connection that recovers by itself.
// Method: `peerboot server` (tsx) on 127.0.0.1 with a SQLite database; `peerboot agent` in a lab
// network namespace (src/lab) reaching the server through a Unix-socket bridge, so its PXE and
// election traffic never leaves the namespace; Debian's chromium driven by playwright-core
// (headless, no network beyond loopback). A second, API-only agent posts boot events. Screenshots
// go to test-results/console/.
// Needs root, iproute2 and /usr/bin/chromium; without them the test fails under CI and is skipped otherwise.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ApiClient } from '../../src/contract/client.js';
import { repoRoot } from '../../src/lab/boot-root.js';
import { Lab, peerbootCliArgv } from '../../src/lab/lab.js';
import type { LabProcess } from '../../src/lab/lab-processes.js';
import { missingLabPrerequisites } from '../../src/lab/preflight.js';
import { adminClient, importProfilePackage, parseInitialAdmin } from '../agent/support/control-plane.js';

const root = repoRoot();
const shots = join(root, 'test-results', 'console');
const chromiumPath = '/usr/bin/chromium';
const problems = [...missingLabPrerequisites({ needKernel: false }), ...(existsSync(chromiumPath) ? [] : [`${chromiumPath} missing (apt-get install chromium)`])];
const blocked = problems.length > 0 ? `console browser test unavailable: ${problems.join('; ')}` : null;
const skip = blocked !== null && !process.env.CI ? blocked : false;
const AGENT_API_PORT = 8470;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let work: string;
let dataDir: string;
let server: ChildProcess | null = null;
let serverLog = '';
let url = '';
let port = 0;
let admin: ApiClient;
let creds: { username: string; password: string };
let lab: Lab | null = null;
let agent: LabProcess | null = null;
let unixBridge: Server | null = null;
let browser: BrowserContext | null = null;
let page: Page;
const agentLog: string[] = [];

/** Starts `peerboot server` on 127.0.0.1 (port 0 first, then the same port on a restart). */
async function startServer(): Promise<void> {
  serverLog = '';
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  server = child;
  child.stdout!.on('data', (b: Buffer) => { serverLog += b.toString(); });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${serverLog}`)), 60_000);
    child.stderr!.on('data', (b: Buffer) => {
      serverLog += b.toString();
      const m = /peerboot server (http:\/\/127\.0\.0\.1:(\d+))/.exec(serverLog);
      if (m) { clearTimeout(timer); port = Number(m[2]); resolve(m[1]!); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${serverLog}`)); });
  });
}

async function stopServer(): Promise<void> {
  const s = server;
  server = null;
  if (!s || s.exitCode !== null) return;
  const exited = new Promise((r) => s.once('exit', r));
  s.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000).then(() => s.kill('SIGKILL'))]);
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (agent?.exit) throw new Error(`the agent exited (${agent.exit.code ?? agent.exit.signal}): ${agentLog.slice(-20).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}\nagent log:\n${agentLog.slice(-30).join('\n')}`);
    await sleep(200);
  }
}

/** Follows a link of the console's navigation. */
async function nav(name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, name), fullPage: true });
}

before(async () => {
  if (blocked) return;
  mkdirSync(shots, { recursive: true });
  // The server serves web/dist: build it from the sources under test (a few seconds).
  const build = spawnSync('npm', ['run', '--silent', 'build:web'], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  assert.equal(build.status, 0, `npm run build:web failed: ${build.stderr}${build.stdout}`);
  work = mkdtempSync(join(tmpdir(), 'peerboot-console-'));
  dataDir = join(work, 'server-data');
  await startServer();
  creds = parseInitialAdmin(readFileSync(join(dataDir, 'initial-admin.txt'), 'utf8'));
  admin = await adminClient(url, creds);

  // What the admin finds when opening the console: a toolkit profile with its iPXE package, the
  // collection to drag, a decoy agent collection, and a machine collection (not a valid target).
  const toolkit = await importProfilePackage(admin, { name: 'ipxe-toolkit', kind: 'ipxe' }, {
    'undionly.kpxe': readFileSync('/usr/lib/ipxe/undionly.kpxe'),
    'ipxe.efi': readFileSync('/usr/lib/ipxe/ipxe.efi'),
  });
  await admin.call('putPxeSettings', { body: { enabled: false, targetCollectionIds: [], unknownComputers: { enabled: false, profileId: null }, toolkitProfileId: toolkit.profileId } });
  await admin.call('createCollection', { body: { name: 'Branch responders', memberKind: 'agent', rules: [{ kind: 'subnet', cidr: '10.77.0.0/24' }] } });
  await admin.call('createCollection', { body: { name: 'Laptops', memberKind: 'agent', rules: [{ kind: 'label', key: 'class', value: 'laptop' }] } });
  await admin.call('createCollection', { body: { name: 'Lab PCs', memberKind: 'machine', rules: [{ kind: 'namePattern', pattern: 'lab-*' }] } });
  const token = (await admin.call('createEnrollmentToken', { body: { name: 'console test' } })).token;

  // The real agent, in its own namespace; its API traffic goes 127.0.0.1:8470 (namespace) → Unix
  // socket → 127.0.0.1:port (here), re-resolved on every connection so a server restart is fine.
  const socketPath = join(work, 'api.sock');
  unixBridge = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    client.pipe(upstream).pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((r) => unixBridge!.listen(socketPath, r));
  lab = await Lab.create({ workDir: join(work, 'lab'), peers: 1 });
  const peer = lab.peer(1);
  lab.tracker.start({ name: 'api-bridge', netns: peer.netns, argv: [process.execPath, join(root, 'test', 'console', 'support', 'netns-api-bridge.mjs'), String(AGENT_API_PORT), socketPath] });
  await sleep(500);
  agent = lab.tracker.start({
    name: 'agent', netns: peer.netns, cwd: root,
    argv: [...peerbootCliArgv(), 'agent', '--server', `http://127.0.0.1:${AGENT_API_PORT}`, '--token', token, '--data-dir', join(work, 'agent-data'),
      '--interface', 'eth0', '--status-interval', '1', '--policy-poll-interval', '5', '--log-level', 'info'],
    onStdoutLine: (l) => agentLog.push(l),
    onStderrLine: (l) => agentLog.push(`stderr: ${l}`),
  });
  await waitFor('the agent to enroll and report', async () => (await admin.call('listAgents', {})).find((a) => a.lastSeenAt !== null), 60_000);

  // A fresh profile (--user-data-dir) per run: Playwright passes the folder itself.
  browser = await chromium.launchPersistentContext(join(work, 'chromium-profile'), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1366, height: 768 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = browser.pages()[0] ?? await browser.newPage();
});

after(async () => {
  await browser?.close().catch(() => {});
  await lab?.teardown().catch(() => {});
  unixBridge?.close();
  await stopServer();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('admin logs in, drags a collection into the targets, clicks Enable, and the agent turns to serving', { skip, timeout: 240_000 }, async () => {
  assert.equal(blocked, null, blocked ?? '');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(url);
  await page.getByLabel('Username').waitFor();
  await shot('01-login.png');
  // A wrong password: a form-level message, the username kept.
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('Wrong username or password.').waitFor();
  assert.equal(await page.getByLabel('Username').inputValue(), 'admin');
  await page.getByLabel('Password').fill(creds.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.locator('tr[data-cidr="10.77.0.0/24"]').waitFor();
  assert.match(await page.locator('tr[data-cidr="10.77.0.0/24"]').innerText(), /nothing can serve/);
  await shot('02-overview-disabled.png');

  await nav('P2P PXE settings');
  await page.getByRole('heading', { name: 'P2P PXE settings' }).waitFor();
  assert.equal(await page.getByTestId('pxe-state').innerText(), 'Disabled');
  const targets = page.locator('[data-zone="targets"]');
  const available = page.locator('[data-zone="available"]');
  await available.locator('[data-collection="Branch responders"]').waitFor();
  assert.equal(await available.locator('[data-collection="Lab PCs"]').count(), 0, 'machine collections cannot be targets');
  await shot('03-settings-before.png');

  await available.locator('[data-collection="Branch responders"]').dragTo(targets);
  await targets.locator('[data-collection="Branch responders"]').waitFor();
  assert.equal(await available.locator('[data-collection="Branch responders"]').count(), 0);
  assert.equal(await targets.locator('[data-collection="Laptops"]').count(), 0, 'only the dragged collection moved');
  await shot('04-settings-dragged.png');

  await page.getByRole('button', { name: 'Enable', exact: true }).click();
  await page.getByText(/P2P PXE enabled \(revision \d+\)/).waitFor();
  assert.equal(await page.getByTestId('pxe-state').innerText(), 'Enabled');
  await page.getByRole('button', { name: 'Disable', exact: true }).waitFor();
  const settings = await admin.call('getPxeSettings', {});
  assert.equal(settings.enabled, true);
  assert.deepEqual(settings.targetCollectionIds.length, 1);
  await shot('05-settings-enabled.png');

  await nav('Agents');
  const row = page.locator('[data-testid="agents-table"] tbody tr').first();
  await row.waitFor();
  const t0 = Date.now();
  await waitFor('the agent to show as serving in the console', async () => (await row.locator('[data-state]').getAttribute('data-state')) === 'serving', 90_000);
  const hostname = (await row.getAttribute('data-agent'))!;
  const agentRow = page.locator(`[data-testid="agents-table"] tr[data-agent="${hostname}"]`);
  process.stdout.write(`# agent ${hostname} shown as serving ${Date.now() - t0} ms after the agents page opened\n`);
  await shot('06-agents-serving.png');

  // A second agent (API only, another subnet) reports a boot and a foreign responder.
  const token = (await admin.call('createEnrollmentToken', { body: { name: 'simulated' } })).token;
  const sim = new ApiClient({ baseUrl: url });
  sim.token = (await sim.call('enroll', { body: { token, hostname: 'branch-lyon-07', version: '0.1.0', interfaces: [{ name: 'eth0', mac: '52:54:00:12:34:56', addresses: ['10.88.0.7/24'] }] } })).agentToken;
  await sim.call('agentStatus', { body: { hostname: 'branch-lyon-07', version: '0.1.0', interfaces: [{ name: 'eth0', mac: '52:54:00:12:34:56', addresses: ['10.88.0.7/24'] }], serving: false } });

  await nav('Overview');
  const covered = page.locator('tr[data-cidr="10.77.0.0/24"]');
  await waitFor('the subnet covered on the overview', async () => /covered/.test(await covered.innerText()) && (await covered.innerText()).includes(hostname), 30_000);
  await page.getByText('live', { exact: true }).waitFor();
  await sim.call('agentEvents', {
    body: {
      events: [
        { at: new Date().toISOString(), kind: 'dhcpOffer', mac: '52:54:00:aa:bb:01', arch: 7 },
        { at: new Date().toISOString(), kind: 'transferCompleted', mac: '52:54:00:aa:bb:01', file: 'ipxe.efi', bytes: 1024, durationMs: 40 },
        { at: new Date().toISOString(), kind: 'rogueResponder', mac: '52:54:00:66:66:66', reason: 'proxyDHCP offer from 10.88.0.250' },
      ],
    },
  });
  await page.getByRole('cell', { name: '52:54:00:aa:bb:01' }).first().waitFor({ timeout: 15_000 });
  await page.getByRole('heading', { name: /Rogue responder alerts/ }).waitFor({ timeout: 15_000 });
  await page.locator('tr[data-cidr="10.88.0.0/24"]').waitFor({ timeout: 15_000 });
  assert.match(await page.locator('tr[data-cidr="10.88.0.0/24"]').innerText(), /nothing can serve/);
  await shot('07-overview-serving.png');

  // A server validation error lands next to its field, and what was typed stays.
  await nav('Machines');
  await page.getByLabel('Name', { exact: true }).fill('lab-pc-01');
  await page.getByLabel('MAC address', { exact: true }).fill('52:54:00:zz:00:01');
  await page.getByRole('button', { name: 'Add computer' }).click();
  const macField = page.locator('.field', { has: page.getByLabel('MAC address', { exact: true }) });
  await macField.locator('.field-error').waitFor();
  assert.match(await macField.locator('.field-error').innerText(), /^Must be MAC address/);
  assert.equal(await page.getByLabel('MAC address', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'lab-pc-01', 'typed text kept');
  await shot('08-machines-field-error.png');

  // Lost connection: the server stops; the console says so, then recovers by itself.
  await nav('Agents');
  await agentRow.waitFor();
  await stopServer();
  await page.getByText('Connection to the server lost').waitFor({ timeout: 20_000 });
  await shot('09-connection-lost.png');
  await startServer();
  await page.getByText('Connection restored').waitFor({ timeout: 30_000 });
  await waitFor('the agent still serving after the restart', async () => (await agentRow.locator('[data-state]').getAttribute('data-state')) === 'serving', 30_000);
  await shot('10-connection-restored.png');

  // Every other page loads without an error state (screenshots for the record).
  for (const [i, title] of ['Collections', 'Deployments', 'Packages & profiles', 'Boot events'].entries()) {
    await nav(title);
    await page.getByRole('heading', { name: title, level: 1 }).waitFor();
    await page.waitForFunction(() => !document.querySelector('.state-loading'), undefined, { timeout: 15_000 });
    assert.equal(await page.locator('.state-error').count(), 0, `${title} shows no load error`);
    await shot(`${String(11 + i)}-${title.toLowerCase().replace(/[^a-z]+/g, '-')}.png`);
  }

  assert.deepEqual(errors, [], 'no uncaught errors in the page');
});
