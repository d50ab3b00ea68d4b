/**
 * Who belongs to a collection: its static members plus everything a rule matches (rules are ORed).
 * Rules: `subnet` (an agent address inside the prefix), `namePattern` (glob on the hostname of an
 * agent or the name of a machine, case-insensitive), `label` (key present, and equal to value when
 * given). Pure, so the policy builder and the console's member list agree.
 */
import type { AgentInterface, Collection, CollectionRule } from '../../contract/schemas.js';
import { prefixContains } from '../../protocol/ipv4.js';

/** What rules can look at. */
export interface MemberFacts {
  id: string;
  /** Hostname (agents) or name (machines). */
  name: string | null;
  labels: Record<string, string>;
  /** Interface addresses with prefix (agents only). */
  addresses: string[];
}

const globCache = new Map<string, RegExp>();
/** Glob with * and ? → anchored, case-insensitive RegExp. */
export function globToRegExp(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 'i');
    globCache.set(pattern, re);
  }
  return re;
}

/** Does one rule match? */
export function ruleMatches(rule: CollectionRule, m: MemberFacts): boolean {
  switch (rule.kind) {
    case 'subnet':
      return rule.cidr !== undefined && m.addresses.some((a) => prefixContains(rule.cidr!, a.split('/')[0]!));
    case 'namePattern':
      return rule.pattern !== undefined && m.name !== null && globToRegExp(rule.pattern).test(m.name);
    case 'label':
      return rule.key !== undefined && Object.hasOwn(m.labels, rule.key) && (rule.value === undefined || m.labels[rule.key] === rule.value);
  }
}

/** Is `m` a member (static, or through a rule)? Returns the reason, or null. */
export function membershipOf(collection: Pick<Collection, 'members' | 'rules'> & { memberSet?: Set<string> }, m: MemberFacts): string | null {
  const isStatic = collection.memberSet ? collection.memberSet.has(m.id) : collection.members.includes(m.id);
  if (isStatic) return 'static';
  const i = collection.rules.findIndex((r) => ruleMatches(r, m));
  return i >= 0 ? `rule:${i}:${collection.rules[i]!.kind}` : null;
}

/** Facts of an agent for rule matching. */
export function agentFacts(a: { id: string; hostname: string; labels: Record<string, string>; interfaces: AgentInterface[] }): MemberFacts {
  return { id: a.id, name: a.hostname, labels: a.labels, addresses: a.interfaces.flatMap((i) => i.addresses) };
}

/** A rule is well-formed for its kind; returns the name of the missing member, or null. */
export function ruleProblem(rule: CollectionRule): string | null {
  if (rule.kind === 'subnet' && !rule.cidr) return 'cidr';
  if (rule.kind === 'namePattern' && !rule.pattern) return 'pattern';
  if (rule.kind === 'label' && !rule.key) return 'key';
  return null;
}
