import { configOrExit, runMain } from '@palisade/kit';
import { startProductSubgraph } from './index.ts';

const config = configOrExit('product', ['product']);
await runMain('product', () => startProductSubgraph({ config }), config.log);
