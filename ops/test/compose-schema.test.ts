import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/dry-build-context.ts';

// The compose specification's JSON schema, as dclint ships it (not among its package exports, hence the path).
// Its `$schema` is the https spelling of draft-07, which ajv does not know by that name; draft-07 is ajv's default.
const { $schema: _draft, ...schema } = JSON.parse(
  readFileSync(join(REPO_ROOT, 'node_modules/dclint/schemas/compose.schema.json'), 'utf8'),
) as Record<string, unknown>;
const validate = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true }).compile(schema);

/** Every place the document breaks the schema, as `path: message` (an empty list when it is valid). */
function schemaErrors(doc: unknown): string[] {
  if (validate(doc)) return [];
  const extra = (e: ErrorObject) => (e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '');
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}${extra(e)}`);
}

describe('docker-compose.yml against the compose specification', () => {
  // Compose resolves YAML merge keys (<<) before it validates; `x-` keys are the specification's extensions.
  const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Record<string, any>;

  it('is valid, and the same check rejects a broken copy of it', () => {
    expect(Object.keys(compose.services).length).toBeGreaterThan(10);
    expect(schemaErrors(compose)).toEqual([]);

    const broken = structuredClone(compose);
    broken.services.router.ports = 5;
    broken.servces = {};
    broken.services['user-prod'].depends_on.keys.condition = 'service_done';
    expect(schemaErrors(broken)).toEqual(expect.arrayContaining([
      '/: must NOT have additional properties (servces)',
      '/services/router/ports: must be array',
      '/services/user-prod/depends_on/keys/condition: must be equal to one of the allowed values',
    ]));
  });
});
