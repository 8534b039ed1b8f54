import type { Caller } from '@palisade/auth';
import type { Logger } from '@palisade/kit';

export interface RouterContext {
  caller: Caller;
  requestId: string;
  /** A request from the admin console on this origin: it may use the console's refresh cookie. */
  console?: boolean;
  /** Carries request, trace and user ids on every line. */
  log: Logger;
}
