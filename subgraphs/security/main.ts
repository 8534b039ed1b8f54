import { runMain, subgraphOptionsFromEnv } from '@palisade/kit';
import { startSecuritySubgraph } from './index.ts';

await runMain('security', () => startSecuritySubgraph(subgraphOptionsFromEnv('security')));
