import { configOrExit, runMain } from '@palisade/kit';
import { startSecuritySubgraph } from './index.ts';

const config = configOrExit('security', ['security']);
await runMain('security', () => startSecuritySubgraph({ config }), config.log);
