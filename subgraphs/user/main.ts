import { runMain, subgraphOptionsFromEnv } from '@palisade/kit';
import { startUserSubgraph } from './index.ts';

await runMain('user', () => startUserSubgraph(subgraphOptionsFromEnv('user')));
