import { TEST_SETTINGS } from '../testing/settings.ts';
import { benchmarkSettings } from './benchmark.ts';
import { cliSettings, commonSettings } from './common.ts';
import { routerSettings } from './router.ts';
import { rowsOf, type SettingTree } from './setting.ts';
import { orderSettings, productSettings, securitySettings, userSettings } from './subgraphs.ts';

export const START = '<!-- config:start (npm run config:docs writes this table from kit/src/config) -->';
export const END = '<!-- config:end -->';

export interface SettingsSection {
  /** Who reads these settings, as the table's last column says it. */
  readBy: string;
  tree: SettingTree;
}

/** Every variable Palisade reads, by who reads it: the table's sections in order. */
export const SECTIONS: SettingsSection[] = [
  { readBy: 'every service', tree: commonSettings },
  { readBy: 'router', tree: routerSettings },
  { readBy: 'user', tree: userSettings },
  { readBy: 'product', tree: productSettings },
  { readBy: 'order', tree: orderSettings },
  { readBy: 'security', tree: securitySettings },
  { readBy: 'subgraphs (benchmark only)', tree: benchmarkSettings },
  { readBy: 'CLI', tree: cliSettings },
  { readBy: 'tests', tree: TEST_SETTINGS },
];

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The README's configuration table: a row per variable (or per family of them), in the sections' order. */
export function configTable(sections: readonly SettingsSection[] = SECTIONS): string {
  const rows = sections.flatMap(({ readBy, tree }) =>
    rowsOf(tree).map((r) => `| ${r.kind === 'family' ? r.names : `\`${r.env}\``} | ${cell(r.shown)} | ${cell(r.describe)} | ${readBy} |`),
  );
  return [START, '| variable | default | meaning | read by |', '|---|---|---|---|', ...rows, END].join('\n');
}

/** README text with its table replaced; null when the README has no table markers. */
export function withConfigTable(readme: string, table: string): string | null {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) return null;
  return readme.slice(0, a) + table + readme.slice(b + END.length);
}
