import type { PolicyTable } from '@palisade/auth';

// The catalog has no ownership rules: every product field is public or scope-gated in the SDL.
export const policies: PolicyTable = {};
