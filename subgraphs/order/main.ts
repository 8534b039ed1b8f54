import { configOrExit, runMain } from '@palisade/kit';
import { startOrderSubgraph } from './index.ts';

const config = configOrExit('order', ['order']);
await runMain('order', () => startOrderSubgraph({ config }), config.log);
