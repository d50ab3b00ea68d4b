/**
 * peerboot's version: the `version` of package.json, read in this one place. A bundle (the agent's
 * single file, packaging/build-agent.mjs) has no package.json beside it, so its build defines
 * PEERBOOT_VERSION from package.json instead; everything else reads the file next to the code
 * (src/ under tsx, dist/ when built: both two folders below the repository root).
 */
import { readFileSync } from 'node:fs';

declare const PEERBOOT_VERSION: string | undefined;

function versionOfPackageJson(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}

export const peerbootVersion: string = typeof PEERBOOT_VERSION === 'string' ? PEERBOOT_VERSION : versionOfPackageJson();
