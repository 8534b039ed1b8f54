import type { Caller } from '@palisade/auth';
import type { Logger } from '@palisade/kit';

export interface RouterContext {
  caller: Caller;
  requestId: string;
  /** Carries request, trace and user ids on every line. */
  log: Logger;
}
