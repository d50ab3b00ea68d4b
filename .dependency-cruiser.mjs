// Import rules for peerboot (docs/ARCHITECTURE.md "Import rules"), checked by dependency-cruiser
// from scripts/run-tests.mjs next to lint: `npx depcruise --config .dependency-cruiser.mjs src test
// bench scripts packaging web/src`. Every rule is an error; the run prints each violation and fails.
// Type-only imports count (tsPreCompilationDeps): a type from the wrong folder couples it as well.

/** Test-only code: tests, shared suites, fixtures, the testkits. Never shipped (tsconfig.build.json;
 *  scripts/check-build-files.mjs uses this list too). */
export const TEST_ONLY = [
  '\\.test\\.tsx?$',
  '\\.suite\\.ts$',
  '-fixture\\.ts$',
  '^src/testkit/',
  '^web/src/testing/',
  '^web/src/test-setup\\.ts$',
];
/** Who may use test-only code: the above, the cross-process tests and the benchmarks. */
export const TEST_SIDE = [...TEST_ONLY, '^test/', '^bench/'];

export default {
  forbidden: [
    {
      name: 'protocol-is-pure',
      comment: 'Codecs run in fuzzers, simulations and the web console: no node: module (no sockets, files, clocks).',
      severity: 'error',
      from: { path: '^src/protocol/', pathNot: TEST_ONLY },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'protocol-imports-only-protocol',
      comment: 'protocol is the bottom layer: everything else may build on it, so it builds on nothing of ours.',
      severity: 'error',
      from: { path: '^src/protocol/', pathNot: TEST_ONLY },
      to: { path: '^(src|web)/', pathNot: '^src/protocol/' },
    },
    {
      name: 'contract-is-pure',
      comment: 'The wire schemas are shared by agent, server, CLI and the browser console: no node: module.',
      severity: 'error',
      from: { path: '^src/contract/', pathNot: TEST_ONLY },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'contract-imports-only-contract-and-protocol',
      comment: 'Agent and server meet in contract; if it imported either side, the other would pull it in.',
      severity: 'error',
      from: { path: '^src/contract/', pathNot: TEST_ONLY },
      to: { path: '^(src|web)/', pathNot: ['^src/contract/', '^src/protocol/'] },
    },
    {
      name: 'udp-through-the-platform-seam',
      comment: 'Raw UDP sockets are opened only by src/platform/udp-socket.ts, so an OS difference (Windows) has one place to be handled.',
      severity: 'error',
      from: { path: '^src/', pathNot: [...TEST_ONLY, '^src/platform/udp-socket\\.ts$'] },
      to: { path: '^dgram$|^node:dgram$', dependencyTypes: ['core'] },
    },
    {
      name: 'agent-not-server',
      comment: 'The agent bundle goes to every managed machine; server code (fastify, SQL) must not reach it.',
      severity: 'error',
      from: { path: '^src/agent/' },
      to: { path: '^src/server/' },
    },
    {
      name: 'server-not-agent',
      comment: 'The control plane talks to agents over the wire (contract), never through agent internals.',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/agent/' },
    },
    {
      name: 'test-code-only-from-tests',
      comment: 'Suites, fixtures and the testkits are not shipped (tsconfig.build.json leaves them out); product code importing them would pull them into dist/.',
      severity: 'error',
      from: { pathNot: TEST_SIDE },
      to: { path: TEST_ONLY },
    },
    {
      name: 'web-imports-only-contract',
      comment: 'The console is a browser bundle and speaks to the server only through the typed client and schemas.',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { path: '^src/', pathNot: '^src/contract/' },
    },
    {
      name: 'platform-imports-no-product',
      comment: 'platform is the seam to the OS under every program; it must not depend on any of them.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: ['^src/(agent|server|cli|lab|windows)/', '^web/'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import the checker cannot resolve would silently escape every rule above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // web/ resolves with Vite's (extensionless) rules; .tsx is only there.
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.mjs', '.js', '.cjs', '.json'] },
  },
};
