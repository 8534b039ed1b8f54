import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Who may do what is decided by the SDL's annotations and the policies they name (each subgraph's rules.ts),
 * before a resolver runs. Services and resolvers hold only what the data's state allows. These shapes are
 * how a "who may" decision looks in code: scopes or roles read off the caller, the caller compared with an
 * owner, a FORBIDDEN answered by hand.
 */
const WHO_MAY = [/\bhasScope\(/, /\bcaller\.(scopes|roles)\b/, /[!=]==\s*(ctx\.)?caller\.userId\b/, /\bcaller\.userId\s*[!=]==/, /\bforbidden\(/];

/** Lines that match a shape above but are not a decision about the caller, each with why. */
const NOT_WHO_MAY: Record<string, string> = {
  "subgraphs/user/services/account.service.ts: if (!other?.n) throw forbidden('That would leave no active administrator');":
    'a state rule about the target (the last administrator), whoever asks',
  "subgraphs/user/services/data-rights.service.ts: if (!other?.n) throw forbidden('The last active administrator cannot delete their account: make another administrator first');":
    'the same state rule, for an administrator deleting their own account',
};

const root = fileURLToPath(new URL('../../', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

function whoMayLines(): string[] {
  const subgraphs = readdirSync(join(root, 'subgraphs'));
  const files = subgraphs.flatMap((s) => ['services', 'resolvers'].flatMap((d) => {
    try {
      return sources(join(root, 'subgraphs', s, d));
    } catch {
      return [];
    }
  }));
  expect(files.length).toBeGreaterThan(10);
  return files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((line) => WHO_MAY.some((re) => re.test(line)))
      .map((line) => `${relative(root, f)}: ${line.trim()}`),
  );
}

describe('access is decided in the schema, not in services or resolvers', () => {
  it('no service or resolver decides who may, but the listed exceptions', () => {
    expect(whoMayLines().filter((l) => !NOT_WHO_MAY[l])).toEqual([]);
  });

  it('every listed exception still exists (a fixed gap leaves the list)', () => {
    const seen = new Set(whoMayLines());
    expect(Object.keys(NOT_WHO_MAY).filter((l) => !seen.has(l))).toEqual([]);
  });

  it('recognises the branch cancelOrder used to have', () => {
    const before = ["const isStaff = hasScope(caller, 'order:write:any');", 'const isOwner = order.customerId === caller.userId;', 'if (!isOwner && !isStaff) throw forbidden();'];
    for (const line of before) expect(WHO_MAY.some((re) => re.test(line)), line).toBe(true);
  });
});
