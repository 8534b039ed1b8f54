import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { asc, eq, sql } from 'drizzle-orm';
import { AUDIT_INGEST_PATH, buildAuditRecord, loadInternalKeys, queryRows, type StartedSubgraph } from '@palisade/kit';
import { postSigned, signedSubgraphRequest, suiteDatabase, testCaller, waitFor, testConfig } from '@palisade/kit/testing/index';
import { startSecuritySubgraph } from '../index.ts';
import { auditEvents } from '../db/schema.ts';
import { GENESIS_HASH, rowHash, verifyChain } from '../services/audit-chain.ts';

const running: { sg: StartedSubgraph; drop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.sg.stop();
    await r.drop();
  }
});

async function start(db?: Awaited<ReturnType<typeof suiteDatabase>>, file: string | null = join(mkdtempSync(join(tmpdir(), 'palisade-checkpoints-')), 'audit.checkpoints')) {
  const database = db ?? (await suiteDatabase());
  const sg = await startSecuritySubgraph({ config: testConfig(), port: 0, databaseUrl: database.url, pgliteDir: null, checkpointFile: file, checkpointIntervalMs: 100 });
  return { sg, database, file };
}
const auditor = testCaller({ userId: randomUUID(), roles: ['AUDITOR'] });
const send = async (sg: StartedSubgraph, n: number) =>
  postSigned((await loadInternalKeys('user', [])).signer, 'security', sg.url.replace(/\/graphql$/, '') + AUDIT_INGEST_PATH, {
    events: Array.from({ length: n }, () => buildAuditRecord('user', testCaller({ userId: randomUUID() }), { action: 'auth.login', outcome: 'SUCCESS' })),
  });
type Verification = { valid: boolean; checked: number; firstBrokenId: string | null; reason: string | null; checkpoint: { count: number } | null };
const verify = async (sg: StartedSubgraph): Promise<Verification> =>
  (await signedSubgraphRequest(sg.url, 'security', auditor, '{ verifyAuditTrail { valid checked firstBrokenId reason checkpoint { count } } }')).body.data!.verifyAuditTrail;
const checkpoint = async (sg: StartedSubgraph) =>
  (await signedSubgraphRequest(sg.url, 'security', auditor, '{ auditCheckpoint { count headHash signature publicKey } }')).body.data!.auditCheckpoint as { count: number } | null;
const countOf = async (sg: StartedSubgraph) => (await queryRows<{ n: number }>(sg.database.db, sql`select count(*)::int as n from security.audit_events`))[0]!.n;
/** Waits for a checkpoint that covers every record stored so far (its own record comes after it). */
const signedUpToNow = async (sg: StartedSubgraph) => {
  const n = await countOf(sg);
  await waitFor(async () => ((await checkpoint(sg))?.count ?? 0) >= n, 'a checkpoint over the trail');
};

/** Edits one record and recomputes every hash from the start, as the tables' owner could. */
const rewrite = async (sg: StartedSubgraph, index: number, patch: { action?: string; outcome?: string }) => {
  const rows = await sg.database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
  let prev = GENESIS_HASH;
  for (const [i, row] of rows.entries()) {
    const edited = i === index ? { ...row, ...patch } : row;
    const hash = rowHash(prev, edited);
    await sg.database.db.update(auditEvents).set({ action: edited.action, outcome: edited.outcome, prevHash: prev, hash }).where(eq(auditEvents.seq, row.seq));
    prev = hash;
  }
};

/** What the tables' owner can do: switch the trigger off and write whatever it likes. */
const asOwner = async (sg: StartedSubgraph, change: () => Promise<void>) => {
  await queryRows(sg.database.db, sql`alter table security.audit_events disable trigger audit_events_no_update_delete`);
  try {
    await change();
  } finally {
    await queryRows(sg.database.db, sql`alter table security.audit_events enable trigger audit_events_no_update_delete`);
  }
};

describe('tamper evidence that survives the table’s owner', () => {
  it('detects a record edited with every later hash recomputed', async () => {
    const { sg, database } = await start();
    running.push({ sg, drop: database.drop });
    await send(sg, 6);
    await signedUpToNow(sg);
    expect(await verify(sg)).toMatchObject({ valid: true, reason: null });

    await asOwner(sg, () => rewrite(sg, 2, { outcome: 'FAILURE' }));

    // The chain alone is consistent again: only the signed checkpoint can tell.
    expect((await verifyChain(sg.database.db)).valid).toBe(true);
    const v = await verify(sg);
    expect(v.valid).toBe(false);
    expect(v.reason).toMatch(/differs from the one signed/);
  });

  it('detects a deleted tail, also after a restart (from the append-only file)', async () => {
    const first = await start();
    await send(first.sg, 5);
    await signedUpToNow(first.sg);
    const signed = (await checkpoint(first.sg))!.count;
    await asOwner(first.sg, async () => {
      await queryRows(first.sg.database.db, sql`delete from security.audit_events where seq in (select seq from security.audit_events order by seq offset ${signed - 2})`);
    });
    expect((await verifyChain(first.sg.database.db)).valid).toBe(true);
    expect(await verify(first.sg)).toMatchObject({ valid: false, reason: expect.stringMatching(/^2 records signed .* are missing$/) });
    // New records after the deletion are not signed over: the checkpoint stays where it was.
    await send(first.sg, 3);
    expect((await verify(first.sg)).valid).toBe(false);
    expect((await checkpoint(first.sg))!.count).toBe(signed);
    await first.sg.stop();

    const again = await start(first.database, first.file);
    running.push({ sg: again.sg, drop: first.database.drop });
    expect(await verify(again.sg)).toMatchObject({ valid: false, checkpoint: { count: signed } });
    expect(readFileSync(first.file!, 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(1);
  });

  it('after a restart without a file, holds the chain against the checkpoint recorded in the trail', async () => {
    const first = await start(undefined, null);
    await send(first.sg, 4);
    await signedUpToNow(first.sg);
    const signed = (await checkpoint(first.sg))!.count;
    // Edited with every hash recomputed, the checkpoint records left as they were; then the service restarts.
    await asOwner(first.sg, () => rewrite(first.sg, 0, { action: 'auth.logout' }));
    await first.sg.stop();
    const again = await start(first.database, null);
    running.push({ sg: again.sg, drop: first.database.drop });
    expect((await verifyChain(again.sg.database.db)).valid).toBe(true);
    expect(await verify(again.sg)).toMatchObject({ valid: false, checkpoint: { count: signed } });
  });
});
