import { runMain, subgraphOptionsFromEnv } from '@palisade/kit';
import { startProductSubgraph } from './index.ts';

await runMain('product', () => startProductSubgraph(subgraphOptionsFromEnv('product')));
