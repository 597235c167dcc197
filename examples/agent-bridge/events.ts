/** The messages the two agents exchange, by type: the SDK types its handlers with this map. */
export interface BridgeEvents {
  /** planner → coder, on the `tasks` channel. */
  'task.assigned': { task: number; title: string };
  /** coder → planner, addressed to it (`to: "planner"`). */
  'task.done': { task: number; summary: string };
}

/** Where the hub is; RELAYKIT_TOKEN is a JWT when the hub requires one. */
export const HUB_URL = process.env.RELAYKIT_URL ?? 'http://localhost:3000';
export const TOKEN = process.env.RELAYKIT_TOKEN || undefined;
