import { MemoryElection } from '../../src/cluster/leadership-memory.ts';
import { leadershipContract } from './leadership.contract.ts';

const election = new MemoryElection();

leadershipContract('in-process (MemoryElection)', (n) => {
  const name = crypto.randomUUID();
  const candidates = Array.from({ length: n }, () => election.candidate(name));
  return {
    candidates,
    round: () => new Promise((resolve) => setImmediate(resolve)),
    // In one process a crash and a close look the same to the others.
    kill: (i) => candidates[i].close(),
    close: async () => {
      await Promise.all(candidates.map((c) => c.close()));
    },
  };
});
