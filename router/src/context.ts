import type { Caller } from '@palisade/auth';

export interface RouterContext {
  caller: Caller;
  requestId: string;
}
