import type { ApolloServerPlugin } from '@apollo/server';
import { visit } from 'graphql';
import { SCANNER_USER_AGENT } from '@palisade/kit';
import type { RouterContext } from '../context.ts';
import type { AuditForwarder } from './useAuditForwarding.ts';

// Shapes of SQL, script and path injection; flagged for the security subgraph, never used to block.
const INJECTION = /('|")\s*(or|and)\s+['"\d\w]+\s*=\s*['"\d\w]+|union(\s+all)?\s+select|<\s*script|;\s*(drop|delete|insert|update)\s|\.\.\/|\$where|\bsleep\s*\(\s*\d+\s*\)|--\s*$/i;

// Enough of each string to see an injection's shape; the pattern's cost stays bounded whatever a client sends.
const INSPECTED_CHARS = 4_096;

function strings(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 6 || out.length > 200) return out;
  if (typeof value === 'string') out.push(value.slice(0, INSPECTED_CHARS));
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out, depth + 1));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => strings(v, out, depth + 1));
  return out;
}

/** Signals the detectors in the security subgraph use: injection-looking input, scanners, slow operations. */
export function useThreatSignals(audit: AuditForwarder, o: { /** SLOW_OPERATION_MS */ slowMs: number }): ApolloServerPlugin<RouterContext> {
  const { slowMs } = o;
  const scannersSeen = new Map<string, number>();
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      const ua = contextValue.caller.userAgent ?? '';
      const ip = contextValue.caller.ip ?? 'unknown';
      if (SCANNER_USER_AGENT.test(ua) && (scannersSeen.get(ip) ?? 0) < Date.now() - 60_000) {
        scannersSeen.set(ip, Date.now());
        if (scannersSeen.size > 10_000) scannersSeen.clear();
        audit.record(contextValue.caller, { action: 'security.scanner', outcome: 'DENIED', metadata: { userAgent: ua.slice(0, 120) } });
      }
      return {
        async didResolveOperation({ document, request }) {
          const literals: string[] = [];
          visit(document, { StringValue: (n) => void literals.push(n.value.slice(0, INSPECTED_CHARS)) });
          const suspicious = [...literals, ...strings(request.variables)].find((s) => INJECTION.test(s));
          if (suspicious) audit.record(contextValue.caller, { action: 'security.suspicious_input', outcome: 'DENIED', resourceType: 'Operation', resourceId: request.operationName ?? null, metadata: { sample: suspicious.slice(0, 120) } });
        },
        async willSendResponse({ request }) {
          const ms = performance.now() - started;
          if (ms > slowMs) audit.record(contextValue.caller, { action: 'operation.slow', outcome: 'SUCCESS', resourceType: 'Operation', resourceId: request.operationName ?? 'anonymous', metadata: { ms: Math.round(ms) } });
        },
      };
    },
  };
}
