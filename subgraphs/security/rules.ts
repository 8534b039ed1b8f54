import type { PolicyTable } from '@palisade/auth';

// Everything here is gated by scopes in the SDL; there is nothing a caller owns.
export const policies: PolicyTable = {};
