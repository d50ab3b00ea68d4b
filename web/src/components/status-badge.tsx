/** Coloured state words: always with text, never colour alone. */
import type { AgentState } from '../model/agent-state.js';

const agentTone: Record<AgentState, string> = { serving: 'good', standby: 'info', preparing: 'warn', idle: 'muted', offline: 'bad' };

export function AgentStateBadge(props: { state: AgentState; detail?: string }) {
  return <span className={`badge badge-${agentTone[props.state]}`} title={props.detail} data-state={props.state}>{props.state}</span>;
}

export function Badge(props: { tone: 'good' | 'bad' | 'warn' | 'info' | 'muted'; children: string }) {
  return <span className={`badge badge-${props.tone}`}>{props.children}</span>;
}
