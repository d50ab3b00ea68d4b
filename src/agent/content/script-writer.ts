/**
 * Keeps the boot root's iPXE scripts (`s/<profileId>.ipxe`) in step with the policy, the ready
 * packages and the ready peers: one script per profile whose package is ready here, with the other
 * ready peers as fallbacks (content/ipxe-script.ts). A script is rewritten only when its text
 * changes, atomically, so a client never reads half a script.
 */
import { join } from 'node:path';
import type { AgentPolicy } from '../../contract/policy.js';
import type { Logger } from '../../platform/logger.js';
import type { ServingCandidate } from '../decision/load-spreading.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { profileScriptPath } from './boot-layout.js';
import { profileIpxeScript, type ScriptPeer } from './ipxe-script.js';

export class IpxeScriptWriter {
  readonly #written = new Map<string, string>();

  constructor(private readonly o: { bootRoot: string; httpPort: number | null; logger: Logger }) {}

  /** Writes what changed for `policy`, given which packages are ready and who else serves. */
  refresh(policy: AgentPolicy, isReady: (packageId: string) => boolean, candidates: readonly ServingCandidate[]): void {
    for (const profile of policy.profiles) {
      const pkg = profile.packageId;
      if (!pkg || !isReady(pkg)) continue;
      const fallbacks: ScriptPeer[] = candidates
        .filter((c) => !c.isSelf && c.readyPackages.includes(pkg))
        .map((c) => ({ baseUrl: this.o.httpPort !== null ? `http://${c.address}:${this.o.httpPort}` : `tftp://${c.address}` }));
      const text = profileIpxeScript(profile, pkg, fallbacks);
      if (text === null) continue;
      const rel = profileScriptPath(profile.id);
      if (this.#written.get(rel) === text) continue;
      try {
        writeFileAtomic(join(this.o.bootRoot, rel), text, 0o644);
        this.#written.set(rel, text);
      } catch (err) {
        this.o.logger.error('cannot write an iPXE script', { path: rel, error: (err as Error).message });
      }
    }
  }
}
