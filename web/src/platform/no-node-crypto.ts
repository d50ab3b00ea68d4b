/**
 * Stand-in for `node:crypto` in the browser build. The shared contract's signing module
 * (src/contract/signature.ts) imports it, but the console only reads signed documents and never
 * signs or verifies; any call here is a bug and says so.
 */
const unavailable = (name: string) => (): never => {
  throw new Error(`node:crypto ${name} is not available in the web console`);
};

export const createHash = unavailable('createHash');
export const createPrivateKey = unavailable('createPrivateKey');
export const createPublicKey = unavailable('createPublicKey');
export const generateKeyPairSync = unavailable('generateKeyPairSync');
export const sign = unavailable('sign');
export const verify = unavailable('verify');
export const randomUUID = unavailable('randomUUID');
