import { desc, isNull, or, gt } from 'drizzle-orm';
import { generateSigningKeyPair, importSigningKey, MAX_ACCESS_TOKEN_SECONDS, CLOCK_SKEW_SECONDS, type SigningKey, type SigningAlg } from '@palisade/auth';
import type { Db } from '@palisade/kit';
import type { JWK } from 'jose';
import { signingKeys } from '../db/schema.ts';

const RELOAD_MS = 30_000;

/** The access-token signing keys: the newest active one signs; the JWKS lists all still verifying. */
export class SigningKeyService {
  private current: Promise<SigningKey> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Db) {}

  /**
   * Loads the key before serving and re-reads it in the background, so a rotation by another process
   * (`palisade keys rotate`) is picked up without a query inside anyone's transaction.
   */
  async start(): Promise<void> {
    this.current = Promise.resolve(await this.loadOrCreate());
    this.timer = setInterval(() => {
      this.loadOrCreate().then((k) => (this.current = Promise.resolve(k)), () => {});
    }, RELOAD_MS);
    this.timer.unref();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
  }

  signingKey(): Promise<SigningKey> {
    if (!this.current) throw new Error('signing keys not loaded');
    return this.current;
  }

  private async loadOrCreate(): Promise<SigningKey> {
    const [row] = await this.db.select().from(signingKeys).where(isNull(signingKeys.retiredAt)).orderBy(desc(signingKeys.createdAt)).limit(1);
    if (row) return importSigningKey({ kid: row.kid, alg: row.alg as SigningAlg, privateJwk: row.privateJwk, publicJwk: row.publicJwk });
    return this.rotate();
  }

  /** Adds a new key and retires the others; retired public keys stay published until their tokens expire. */
  async rotate(alg: SigningAlg = 'EdDSA'): Promise<SigningKey> {
    const pair = await generateSigningKeyPair(alg);
    await this.db.transaction(async (tx) => {
      await tx.update(signingKeys).set({ retiredAt: new Date() }).where(isNull(signingKeys.retiredAt));
      await tx.insert(signingKeys).values({ kid: pair.kid, alg, privateJwk: pair.privateJwk, publicJwk: pair.publicJwk });
    });
    const key = await importSigningKey(pair);
    this.current = Promise.resolve(key);
    return key;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const horizon = new Date(Date.now() - (MAX_ACCESS_TOKEN_SECONDS + CLOCK_SKEW_SECONDS) * 1000);
    const rows = await this.db.select({ jwk: signingKeys.publicJwk }).from(signingKeys).where(or(isNull(signingKeys.retiredAt), gt(signingKeys.retiredAt, horizon)));
    return { keys: rows.map((r) => r.jwk) };
  }
}
