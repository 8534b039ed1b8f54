import { DateTimeScalar } from '@palisade/kit';
import { orderResolvers } from './order.resolver.ts';

export const resolvers = { DateTime: DateTimeScalar, ...orderResolvers };
