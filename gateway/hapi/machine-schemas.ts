/**
 * HAPI's machine-side schemas the gateway checks answers and requests against: the agents a
 * runner can start and its `agent-availability` answer (the web's new-session form relies on
 * that shape, so an answer that does not match is an error, as in HAPI).
 */
import { z } from 'zod';
import { fromJsonText } from '../../lib/json.js';
import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';

export const AGENT_FLAVORS = ['agy', 'claude', 'codex', 'dsh', 'copilot', 'cursor', 'gemini', 'grok', 'kimi', 'opencode', 'pi'] as const;

export const AgentAvailabilityResponse = z.object({
  agents: z.array(z.object({ agent: z.enum(AGENT_FLAVORS), available: z.boolean(), reason: z.enum(['not_found', 'invalid_configuration']).optional() })),
});

/** What a runner advertises in its machine metadata (HAPI's MACHINE_CAPABILITIES). */
export const MACHINE_CAPABILITY = { agentAvailability: 'agent-availability', stopRunner: 'stop-runner' } as const;

/** The machine's metadata as an object (empty when it has none). */
export function machineMetadata(m: Machine): Record<string, unknown> {
  const v = fromJsonText(m.metadataJson);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Whether the runner advertises `capability` in `metadata.capabilities`. */
export function hasCapability(m: Machine, capability: string): boolean {
  const caps = machineMetadata(m).capabilities;
  return Array.isArray(caps) && caps.includes(capability);
}
