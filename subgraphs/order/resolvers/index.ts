import { DateTimeScalar } from '@palisade/kit';
import type { Resolvers } from '../generated/resolvers.ts';
import { orderResolvers } from './order.resolver.ts';

export const resolvers = { DateTime: DateTimeScalar, ...orderResolvers } satisfies Resolvers;
