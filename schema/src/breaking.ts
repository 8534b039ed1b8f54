import { diff, CriticalityLevel } from '@graphql-inspector/core';
import { apiSchemaOf } from './compose.ts';

/** Changes to the client-facing schema that would break an existing client. */
export async function findBreakingChanges(baseSupergraphSdl: string, nextSupergraphSdl: string): Promise<string[]> {
  const changes = await diff(apiSchemaOf(baseSupergraphSdl), apiSchemaOf(nextSupergraphSdl));
  return changes.filter((c) => c.criticality.level === CriticalityLevel.Breaking).map((c) => `breaking: ${c.message}`);
}
