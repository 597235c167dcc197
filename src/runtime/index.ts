import type { RuntimeAdapter } from './types.ts';

/**
 * Picks the adapter for the runtime this process runs on. Each adapter is imported
 * only on its own runtime, so `bun:sqlite` never loads on Deno and the reverse.
 */
export async function detectRuntime(): Promise<RuntimeAdapter> {
  const runtimes = globalThis as { Bun?: unknown; Deno?: unknown };
  if (runtimes.Bun !== undefined) return (await import('./bun.ts')).bunRuntime;
  if (runtimes.Deno !== undefined) return (await import('./deno.ts')).denoRuntime;
  throw new Error('Relaykit runs on Bun or Deno 2');
}

export type * from './types.ts';
