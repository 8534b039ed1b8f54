import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { stableStringify, type ContextSigner } from '@palisade/auth';
import { queryRows, type Db, type DbOrTx, type Logger, type Tx } from '@palisade/kit';

/** The chain's head at one moment, signed by the security subgraph's Ed25519 key. */
export interface AuditCheckpoint {
  /** Records in the chain up to and including the head. */
  count: number;
  headId: string | null;
  headHash: string;
  signedAt: string;
  keyId: string;
  /** base64url Ed25519 signature over the canonical JSON of the fields above. */
  signature: string;
}

const PURPOSE = 'palisade-audit-checkpoint';
const signedPart = (c: Omit<AuditCheckpoint, 'signature'>) =>
  Buffer.from(stableStringify({ purpose: PURPOSE, count: c.count, headId: c.headId, headHash: c.headHash, signedAt: c.signedAt, keyId: c.keyId }));

export interface CheckpointOptions {
  db: Db;
  signer: ContextSigner;
  log: Logger;
  /** An append-only file (one JSON checkpoint a line), kept where the database's owner cannot write. */
  file?: string | null;
  /** Records the checkpoint in the trail itself (audit.checkpoint), for auditors reading the trail; in take()'s transaction. */
  record?: (tx: Tx, c: AuditCheckpoint) => Promise<void>;
}

/**
 * Anchors the chain outside the database: whoever owns the audit tables can recompute every hash after an
 * edit, or delete the newest records, but cannot sign a checkpoint, nor rewrite this process's memory, its
 * log lines or an append-only file. `verifyChain` checks the chain against the latest one.
 */
export class AuditCheckpoints {
  private latestKnown: AuditCheckpoint | null = null;
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;

  constructor(private readonly o: CheckpointOptions) {
    this.privateKey = KeyObject.from(o.signer.key as unknown as Parameters<typeof KeyObject.from>[0]);
    this.publicKey = createPublicKey(this.privateKey);
    this.latestKnown = this.fromFile();
  }

  latest(): AuditCheckpoint | null {
    return this.latestKnown;
  }

  /** The public key checkpoints verify with, as the x of an OKP JWK (compare with PALISADE_PUBKEY_SECURITY). */
  publicKeyX(): string {
    return String(this.publicKey.export({ format: 'jwk' }).x);
  }

  isAuthentic(c: AuditCheckpoint): boolean {
    try {
      return verify(null, signedPart(c), this.publicKey, Buffer.from(c.signature, 'base64url'));
    } catch {
      return false;
    }
  }

  /**
   * Without a file, the newest authentic checkpoint recorded in the trail itself, so a restart still holds the
   * chain against something. Weaker than the file: the tables' owner can delete those records with the tail.
   */
  async restore(): Promise<AuditCheckpoint | null> {
    if (this.latestKnown) return this.latestKnown;
    return (this.latestKnown = await this.recorded(this.o.db, 20));
  }

  /** The newest authentic checkpoint recorded in the trail, by this replica or another one. */
  private async recorded(db: DbOrTx, tries: number): Promise<AuditCheckpoint | null> {
    const rows = await queryRows<{ resource_id: string | null; metadata: Partial<AuditCheckpoint> | null }>(
      db,
      sql`select resource_id, metadata from security.audit_events where action = 'audit.checkpoint' and service = 'security' order by seq desc limit ${tries}`,
    );
    for (const r of rows) {
      const m = r.metadata ?? {};
      const c = { count: Number(m.count), headId: r.resource_id, headHash: String(m.headHash), signedAt: String(m.signedAt), keyId: String(m.keyId), signature: String(m.signature) };
      if (this.isAuthentic(c)) return c;
    }
    return null;
  }

  /** The last authentic line of the file; a forged or torn line is skipped (and said). */
  private fromFile(): AuditCheckpoint | null {
    if (!this.o.file || !existsSync(this.o.file)) return null;
    const lines = readFileSync(this.o.file, 'utf8').split('\n').filter(Boolean);
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const c = JSON.parse(lines[i]!) as AuditCheckpoint;
        if (this.isAuthentic(c)) return c;
      } catch {}
      this.o.log.error({ line: i + 1 }, 'audit checkpoint file holds a line that is not an authentic checkpoint');
    }
    return null;
  }

  /**
   * Signs the current head, unless nothing but checkpoint records were appended since the last checkpoint.
   * Every replica checkpoints the one shared trail, so one at a time (an advisory lock; a replica that finds it
   * taken leaves this round to the holder), each held against the newest checkpoint any of them recorded:
   * otherwise two replicas would take turns signing each other's checkpoint records, for ever.
   */
  async take(): Promise<AuditCheckpoint | null> {
    const checkpoint = await this.o.db.transaction(async (tx) => {
      const [lock] = await queryRows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(hashtext('palisade-audit-checkpoint')) as ok`);
      if (!lock?.ok) return null;
      const recorded = await this.recorded(tx, 1);
      const last = recorded && recorded.count > (this.latestKnown?.count ?? 0) ? recorded : this.latestKnown;
      this.latestKnown = last;
      // One statement, one snapshot: the count and the head agree.
      const [head] = await queryRows<{ n: number; id: string | null; hash: string | null; action: string | null }>(
        tx,
        sql`select (select count(*)::int from security.audit_events) as n, h.id::text as id, h.hash, h.action
            from (select 1) one left join lateral (select id, hash, action from security.audit_events order by seq desc limit 1) h on true`,
      );
      if (!head?.n || !head.hash) return null;
      if (last && (head.n === last.count || head.action === 'audit.checkpoint')) return null;
      if (last) {
        // Never sign over a trail that no longer extends the last checkpoint: that would launder the change.
        const [atHead] = await queryRows<{ hash: string }>(tx, sql`select hash from security.audit_events order by seq offset ${last.count - 1} limit 1`);
        if (head.n < last.count || atHead?.hash !== last.headHash) {
          this.o.log.error({ checkpointCount: last.count, count: head.n }, 'audit trail no longer matches its last checkpoint; not signing');
          return null;
        }
      }
      const unsigned = { count: head.n, headId: head.id, headHash: head.hash, signedAt: new Date().toISOString(), keyId: this.o.signer.kid };
      const signed: AuditCheckpoint = { ...unsigned, signature: sign(null, signedPart(unsigned), this.privateKey).toString('base64url') };
      await this.o.record?.(tx, signed);
      return signed;
    });
    if (!checkpoint) return null;
    this.latestKnown = checkpoint;
    this.o.log.info({ auditCheckpoint: checkpoint }, 'audit checkpoint');
    if (this.o.file) appendFileSync(this.o.file, JSON.stringify(checkpoint) + '\n', { flag: 'a', mode: 0o600 });
    return checkpoint;
  }
}
