import { GraphQLError, Kind, type FragmentDefinitionNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '@palisade/auth';
import type { CostModel } from '../cost-model.ts';
import { countSelections, measureOperation, VISITS_PER_SELECTION } from '../operation-measure.ts';
import type { RouterContext } from '../context.ts';
import type { DocumentShapeLimits } from '../document-shape.ts';

/** MAX_QUERY_* (kit/src/config/router.ts); the shape limits are checked before validation (document-shape.ts). */
export interface OperationLimits extends DocumentShapeLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxCost: number;
  /** Applied by the parser itself, before anything is built from the document. */
  maxTokens: number;
}

const tooComplex = (message: string, extensions: Record<string, unknown>) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, ...extensions, http: { status: 400 } } });

/** Refuses an operation before any subgraph is asked, when its shape or estimated cost is over the limits. */
export function useOperationLimits(limits: OperationLimits, model: CostModel, onRefused?: (ctx: RouterContext, reason: string) => void): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request, contextValue }) {
          // A name the document does not hold: the client's mistake, refused here rather than by the gateway (a 500).
          if (!operation) throw new GraphQLError('The document holds no operation by that name', { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } });
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
          // The walk visits each selection written in the document once; past a small multiple of that, it stops.
          const budget = VISITS_PER_SELECTION * countSelections(document);
          const m = measureOperation(schema, operation, fragments, request.variables ?? {}, model, budget);
          if (m.exhausted) {
            onRefused?.(contextValue, `measure ${m.visited} > ${budget} visits`);
            throw tooComplex(`Operation needs more than ${budget} steps to measure`, { limit: budget });
          }
          const over: ['depth' | 'aliases' | 'directives' | 'cost', number][] = [
            ['depth', limits.maxDepth],
            ['aliases', limits.maxAliases],
            ['directives', limits.maxDirectives],
            ['cost', limits.maxCost],
          ];
          for (const [what, limit] of over) {
            // Not `m[what] > limit`: a cost that overflowed into NaN must be refused, not waved through.
            if (!(m[what] <= limit)) {
              onRefused?.(contextValue, `${what} ${m[what]} > ${limit}`);
              throw tooComplex(`Operation ${what} ${m[what]} exceeds the limit of ${limit}`, { [what === 'cost' ? 'cost' : 'limit']: what === 'cost' ? m.cost : limit, ...(what === 'cost' ? { limit } : {}) });
            }
          }
        },
      };
    },
  };
}
