import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '@palisade/auth';

/**
 * An answer with no data because a store or database a decision needed was down is a 503 (retry later),
 * as the contract says, not a 200 carrying an error; partial answers keep their 200.
 */
export function useUnavailableStatus<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          const empty = data == null || Object.values(data).every((v) => v === null);
          if (empty && errors?.some((e) => e.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) {
            response.http.status = 503;
            response.http.headers.set('retry-after', '1');
          }
        },
      };
    },
  };
}
