import { Kind, parse, type DocumentNode, type SelectionSetNode } from 'graphql';
import { ErrorCode } from '@palisade/auth';
import { HttpError } from '@palisade/kit';

/**
 * What makes graphql-js validation superlinear (OverlappingFieldsCanBeMerged compares the selections of one
 * set pairwise, and every pair of fragments spread in it): many fragments, many spreads, wide sets.
 */
export interface DocumentShapeLimits {
  maxFragments: number;
  maxSpreads: number;
  /** Fields and spreads in one selection set, the contents of its inline fragments included (validation merges them). */
  maxSelectionsPerSet: number;
}

export interface DocumentShape {
  fragments: number;
  spreads: number;
  /** The widest selection set seen (inline fragments merged into their set). */
  widestSet: number;
  /** Definitions and selections the check looked at: its work, at most once per node written. */
  visited: number;
  /** Why the document is refused, or null when validation may run. */
  refusal: string | null;
}

/** One pass over the document that stops at the first limit exceeded. */
export function measureDocumentShape(document: DocumentNode, limits: DocumentShapeLimits): DocumentShape {
  const s: DocumentShape = { fragments: 0, spreads: 0, widestSet: 0, visited: 0, refusal: null };
  for (const d of document.definitions) {
    s.visited++;
    if (d.kind === Kind.FRAGMENT_DEFINITION && ++s.fragments > limits.maxFragments) {
      s.refusal = `Document defines more than ${limits.maxFragments} fragments`;
      return s;
    }
  }
  const setDone = (width: number) => {
    s.widestSet = Math.max(s.widestSet, width);
    if (width > limits.maxSelectionsPerSet) s.refusal ??= `A selection set holds more than ${limits.maxSelectionsPerSet} fields and spreads`;
  };
  // Answers the set's width with its inline fragments merged in; checks every field's own set on the way.
  const walk = (set: SelectionSetNode): number => {
    let width = 0;
    for (const sel of set.selections) {
      if (s.refusal) return width;
      s.visited++;
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        width += walk(sel.selectionSet);
        continue;
      }
      width++;
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        if (++s.spreads > limits.maxSpreads) s.refusal = `Document holds more than ${limits.maxSpreads} fragment spreads`;
      } else if (sel.selectionSet) setDone(walk(sel.selectionSet));
    }
    return width;
  };
  for (const d of document.definitions) {
    if (s.refusal) break;
    if (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) setDone(walk(d.selectionSet));
  }
  return s;
}

/**
 * Refuses, before Apollo validates it, a document whose shape would make validation costly. Parsing is linear
 * and bounded by `maxTokens`; a document that does not parse is left to Apollo, which answers its syntax error.
 */
export function refuseCostlyToValidate(query: unknown, limits: DocumentShapeLimits & { maxTokens: number }): void {
  if (typeof query !== 'string') return;
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: limits.maxTokens, noLocation: true });
  } catch {
    return;
  }
  const shape = measureDocumentShape(document, limits);
  if (shape.refusal) throw new HttpError(400, ErrorCode.QUERY_TOO_COMPLEX, shape.refusal);
}
