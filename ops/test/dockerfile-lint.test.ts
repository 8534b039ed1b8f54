import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { DOCKERFILE, REPO_ROOT } from '../src/dry-build-context.ts';

// dockerfile-utils is the validator behind VS Code's Docker support: unknown instructions, missing or malformed
// arguments, bad flags, and (as warnings) relative WORKDIR, several CMDs, lowercase instructions and the like.
const lint = (text: string) => validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`);

describe('ops/docker/Dockerfile lint', () => {
  it('has no diagnostics, not even warnings, and the same lint flags a broken Dockerfile', () => {
    expect(lint(readFileSync(join(REPO_ROOT, DOCKERFILE), 'utf8'))).toEqual([]);
    const broken = ['FROM node:20.20.2-bookworm-slim', 'WORKDIR app', 'COPY package.json', 'EXPOSE http', 'RUNN npm ci', 'CMD ["node", "a.js"]', 'CMD ["node", "b.js"]'].join('\n');
    expect(lint(broken)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^2: .*absolute/i),
      expect.stringMatching(/^3: COPY requires at least two arguments/),
      expect.stringMatching(/^4: Invalid containerPort/),
      expect.stringMatching(/^5: Unknown instruction: RUNN/),
      expect.stringMatching(/^[67]: .*CMD/),
    ]));
  });
});
