import { configOrExit, runMain } from '@palisade/kit';
import { startUserSubgraph } from './index.ts';

const config = configOrExit('user', ['user']);
await runMain('user', () => startUserSubgraph({ config }), config.log);
