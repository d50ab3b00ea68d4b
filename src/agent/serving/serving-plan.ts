/**
 * What the agent should be running, decided from what it knows — a pure function, so every rule
 * here is tested on literal facts without sockets or timers (serving-plan.test.ts):
 *
 *   policy role = responder (PXE enabled) ─► TFTP + HTTP boot servers (every targeted agent: peers fetch from each other)
 *   election role = active   ─► proxyDHCP responder (only the elected one answers PXE on the LAN)
 *   election role = standby  ─► shadow proxyDHCP: answers only DISCOVERs the active left unanswered
 *                               (covers the ≈1.5 s failover for BIOS ROMs; pxe/shadow-gate.ts)
 *   a readable, unexpired agent certificate ─► election membership (identity/certificate-renewal.ts)
 *   rogue watch, swarm and reporters run from start to stop (agent.ts)
 *
 * The election weight is the configured one while this agent can serve, and 0 while it is not a
 * responder or its boot servers or responder failed to start within the last minute — so the LAN
 * elects someone who can answer.
 */
import type { Role } from '../election/election.js';
import { electionCertificate, type ElectionCertificate } from '../identity/certificate-renewal.js';

export interface ServingFacts {
  /** Wall-clock time (ms since 1970): certificates expire in wall time. */
  wallMs: number;
  /** The verified policy makes this agent a responder, and P2P PXE is enabled. */
  responder: boolean;
  /** This agent's role in its LAN's election (null: no election running). */
  electionRole: Role | null;
  /** The newest agent certificate held, and the one the running election uses. */
  certificate: string | null;
  electionCertificate: string | null;
  /** The configured election weight (device class default or --weight). */
  configuredWeight: number;
  /** Did these fail to start within the back-off period (supervisor.ts)? */
  bootServersFailed: boolean;
  pxeFailed: boolean;
}

/** The services by name (supervisor.ts), each with its configuration or null for "not running". */
export interface ServingPlan {
  /** The certificate the election runs with. */
  election: string | null;
  bootServers: true | null;
  pxe: true | null;
  shadow: true | null;
  /** The weight announced to the LAN. */
  weight: number;
  /** Why the election runs with this certificate (or without one), for the log. */
  certificateChange: ElectionCertificate['change'];
}

export function planServing(f: ServingFacts): ServingPlan {
  const cert = electionCertificate(f.certificate, f.electionCertificate, f.wallMs);
  const serving = f.responder;
  return {
    election: cert.certificate,
    bootServers: serving ? true : null,
    pxe: serving && f.electionRole === 'active' ? true : null,
    shadow: serving && f.electionRole === 'standby' ? true : null,
    weight: serving && !f.bootServersFailed && !f.pxeFailed ? f.configuredWeight : 0,
    certificateChange: cert.change,
  };
}
