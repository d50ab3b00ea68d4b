/** Kept for tests that import it from here: the helpers live in src/lab/control-plane-setup.ts. */
export * from '../../../src/lab/control-plane-setup.js';
