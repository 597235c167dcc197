import type { RuntimeAdapter } from './types.ts';

/** Picks the adapter for the runtime this process runs on. */
export async function detectRuntime(): Promise<RuntimeAdapter> {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined') {
    return (await import('./bun.ts')).bunRuntime;
  }
  throw new Error('Relaykit needs Bun (Deno support comes through src/runtime/deno.ts)');
}

export type * from './types.ts';
