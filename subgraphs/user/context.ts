import DataLoader from 'dataloader';
import type { SubgraphContext } from '@palisade/kit';
import type { UserRow } from './db/schema.ts';
import type { AccountService } from './services/account.service.ts';
import type { RecoveryService } from './services/recovery.service.ts';
import type { SessionService } from './services/session.service.ts';
import type { TotpService } from './services/totp.service.ts';
import type { DataRightsService } from './services/data-rights.service.ts';
import type { NotificationService } from './services/notification.service.ts';

export interface UserServices {
  accounts: AccountService;
  sessions: SessionService;
  recovery: RecoveryService;
  totp: TotpService;
  dataRights: DataRightsService;
  notifications: NotificationService;
}

export interface UserContext extends SubgraphContext, UserServices {
  userById: DataLoader<string, UserRow | null>;
}

export const createUserContext = (services: UserServices) => (base: SubgraphContext): UserContext => ({
  ...base,
  ...services,
  userById: new DataLoader((ids) => services.accounts.byIds(ids)),
});
