import type { Role } from './roles.ts';

/** Who is asking, as the router vouched for it. Subgraphs never read identity from anywhere else. */
export interface Caller {
  userId: string | null;
  sessionId: string | null;
  roles: Role[];
  scopes: string[];
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

export const anonymousCaller = (requestId: string, ip: string | null = null, userAgent: string | null = null): Caller => ({
  userId: null,
  sessionId: null,
  roles: [],
  scopes: [],
  requestId,
  ip,
  userAgent,
});

export const hasScope = (caller: Caller, scope: string) => caller.scopes.includes(scope);
