import DataLoader from 'dataloader';
import type { SubgraphContext } from '@palisade/kit';
import type { UserRow } from './db/schema.ts';
import type { AccountService } from './services/account.service.ts';

export interface UserContext extends SubgraphContext {
  accounts: AccountService;
  userById: DataLoader<string, UserRow | null>;
}

export const createUserContext = (accounts: AccountService) => (base: SubgraphContext): UserContext => ({
  ...base,
  accounts,
  userById: new DataLoader((ids) => accounts.byIds(ids)),
});
