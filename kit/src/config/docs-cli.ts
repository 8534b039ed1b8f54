import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configTable, withConfigTable } from './docs.ts';

// `npm run config:docs` writes the README's configuration table from the settings; `-- --check` (run by
// `npm run schema:check`) fails when the committed table says something else.
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const readme = readFileSync(README, 'utf8');
const updated = withConfigTable(readme, configTable());
if (updated === null) {
  console.error('README.md has no configuration table markers');
  process.exit(1);
}
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error('stale: the configuration table in README.md does not match kit/src/config; run npm run config:docs');
    process.exit(1);
  }
  console.log('configuration table current');
} else {
  writeFileSync(README, updated);
  console.log('wrote the configuration table in README.md');
}
