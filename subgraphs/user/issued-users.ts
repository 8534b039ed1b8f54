/**
 * A sign-in answers with the account it signed in to, though the request was made before it had a token.
 * Instead of rewriting the caller mid-request (which would open every later field of the operation, and
 * fights shield's per-request cache), the returned user object itself is marked, and the `user:issued`
 * policy opens that user's own fields on that very object: no other path to the user, no other field.
 */
const issued = new WeakSet<object>();

export function issuedTo<P extends { user: object }>(payload: P): P {
  issued.add(payload.user);
  return payload;
}

export const wasIssued = (parent: unknown): boolean => typeof parent === 'object' && parent !== null && issued.has(parent);
