import { runMain, subgraphOptionsFromEnv } from '@palisade/kit';
import { startOrderSubgraph } from './index.ts';

await runMain('order', () => startOrderSubgraph(subgraphOptionsFromEnv('order')));
