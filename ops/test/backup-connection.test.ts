import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connection } from '../src/db-backup.ts';

// What pg_dump/pg_restore/psql get on their command line is readable by every user of the machine (ps).
describe('db backup connection', () => {
  it('never puts the password on the command line, wherever the URL carries it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9!$&'()*+,;=~._-]{1,30}$/).map((s) => `pw-${s}`), fc.boolean(), (password, inQuery) => {
        const url = inQuery ? `postgres://app@db.internal:5432/palisade?sslmode=require&password=${encodeURIComponent(password)}` : `postgres://app:${encodeURIComponent(password)}@db.internal:5432/palisade?sslmode=require`;
        const { dbname, env } = connection(url);
        expect(dbname).not.toContain(encodeURIComponent(password));
        expect(dbname).toContain('sslmode=require');
        expect(env.PGPASSWORD).toBe(password);
      }),
    );
  });
});
