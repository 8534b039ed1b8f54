import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The trusted documents (Apollo's persisted-query manifest): their names are the operations worth a series. */
export const DEFAULT_OPERATIONS_MANIFEST = fileURLToPath(new URL('../../schema/operations/manifest.json', import.meta.url));

/** The label of an operation sent without a name. */
export const ANONYMOUS_OPERATION = 'anonymous';
/** The label of every operation whose name is not known ahead of time. */
export const OTHER_OPERATION = 'other';

const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
// Apollo's query planner names a subgraph fetch `<client operation>__<subgraph>__<n>`.
const PLANNED = /^(.+)__[_A-Za-z][_0-9A-Za-z]*__\d+$/;

/** Names of the operations in a persisted-query manifest; none when there is no manifest. */
export function operationNamesFromManifest(path = DEFAULT_OPERATIONS_MANIFEST): ReadonlySet<string> {
  if (!existsSync(path)) return new Set();
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as { operations?: { name?: unknown }[] };
  return new Set((manifest.operations ?? []).flatMap((op) => (typeof op.name === 'string' && NAME.test(op.name) ? [op.name] : [])));
}

/**
 * Maps a client-chosen operation name onto a bounded set of labels: a known name stays itself (in a subgraph,
 * the planner's `Known__product__0` is `Known`), no name is `anonymous`, anything else is `other`. Every
 * distinct label value is a series kept for the life of the process, so a client must not be able to mint them.
 */
export function operationLabeller(known: ReadonlySet<string>): (name: string | null | undefined) => string {
  return (name) => {
    if (!name) return ANONYMOUS_OPERATION;
    if (known.has(name)) return name;
    const base = PLANNED.exec(name)?.[1];
    return base && known.has(base) ? base : OTHER_OPERATION;
  };
}
