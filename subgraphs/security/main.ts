import { envInt, envOptional, runMain, subgraphOptionsFromEnv } from '@palisade/kit';
import { startSecuritySubgraph } from './index.ts';

await runMain('security', () =>
  startSecuritySubgraph({
    ...subgraphOptionsFromEnv('security'),
    checkpointFile: envOptional('AUDIT_CHECKPOINT_FILE') ?? null,
    checkpointIntervalMs: envInt('AUDIT_CHECKPOINT_INTERVAL_MS', 60_000),
    migrationDatabaseUrl: envOptional('SECURITY_MIGRATION_DATABASE_URL') ?? null,
  }),
);
