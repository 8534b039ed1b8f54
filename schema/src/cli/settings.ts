/**
 * The schema check's own flags, read once here (schema/ builds on auth alone, so not through kit's
 * configuration). README "Configuration" describes them.
 */
export interface SchemaCheckSettings {
  /** The ref whose supergraph breaking changes are measured against; null tries origin/main, then main. */
  baseRef: string | null;
  /** SCHEMA_ALLOW_BREAKING=1: breaking changes are reported but accepted. */
  allowBreaking: boolean;
}

export function schemaCheckSettings(env: Readonly<Record<string, string | undefined>> = process.env): SchemaCheckSettings {
  return { baseRef: env.SCHEMA_BASE_REF || null, allowBreaking: env.SCHEMA_ALLOW_BREAKING === '1' };
}
