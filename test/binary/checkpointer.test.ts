/**
 * The WAL checkpointer's worker starts inside a compiled binary, whose bundle it cannot
 * load a worker file from (its source is inline), and does not keep the binary's
 * process alive. The probe is compiled with the flags of `bun run build`.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compile } from '../../scripts/compile.ts';
import { runToEnd } from '../helpers/process.ts';

const work = mkdtempSync(join(tmpdir(), 'relaykit-binary-checkpointer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const probe = join(work, 'probe');
const built = compile(resolve(import.meta.dir, '../storage/checkpointer-probe.ts'), probe);

for (const close of [false, true])
  test(`in the compiled binary the worker takes over checkpoints and the process exits ${close ? 'after closing the store' : 'with the store left open'}`, async () => {
    await built;
    // A worker that held the process would run into the kill.
    const {
      code,
      stdout: out,
      stderr: err,
    } = await runToEnd([probe, join(work, `hub-${close}.db`), ...(close ? ['--close'] : [])], { killAfterMs: 20_000 });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(out)).toEqual({ autocheckpoint: 0 });
  }, 60_000);
