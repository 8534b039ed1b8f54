import { ErrorCode, PublicError } from '@palisade/auth';

/**
 * How a sign-in ended, as palisade_sign_ins_total counts it. `second_factor` is a step, not an end: the right
 * password without the one-time code it needs; the retry with the code is counted on its own. So the
 * authentication success rate is success / (success + failure + locked + throttled).
 */
export type SignInOutcome = 'success' | 'failure' | 'locked' | 'throttled' | 'second_factor' | 'error';

/** The answer asking for a one-time code, told apart from a wrong one by its class rather than its wording. */
export class SecondFactorRequired extends PublicError {
  constructor() {
    super(ErrorCode.UNAUTHENTICATED, 'A one-time code is required', { field: 'totpCode' });
  }
}

export function signInOutcome(err: unknown): SignInOutcome {
  if (err instanceof SecondFactorRequired) return 'second_factor';
  const code = err instanceof PublicError ? err.extensions.code : undefined;
  if (code === ErrorCode.ACCOUNT_LOCKED) return 'locked';
  if (code === ErrorCode.RATE_LIMITED) return 'throttled';
  return code === ErrorCode.UNAUTHENTICATED ? 'failure' : 'error';
}
