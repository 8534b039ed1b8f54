import { userSelf, type PolicyTable } from '@palisade/auth';
import { wasIssued } from './issued-users.ts';

// Ownership decided here, where the data lives; scopes named in @policy are checked by auth/.
export const policies: PolicyTable = {
  'user:self': userSelf,
  // The user object an AuthPayload returns, to the one who just proved they are that user (issued-users.ts).
  'user:issued': (_ctx, parent) => wasIssued(parent),
};
