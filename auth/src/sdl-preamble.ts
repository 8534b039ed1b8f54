import { readFileSync } from 'node:fs';

/**
 * What every subgraph's SDL starts with: the federation link, the access and limit vocabulary the shield and the
 * rate limiter read, and the shared types. Kept here, beside the code that gives the directives their meaning, so
 * a subgraph's schema.graphql holds only its own types and cannot drift from the others'.
 */
export const SDL_PREAMBLE = `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@authenticated", "@requiresScopes", "@policy", "@listSize", "@cost"])

"Marks a type or field anyone may read, signed in or not. Every field says who may use it; silence denies."
directive @public on OBJECT | FIELD_DEFINITION | INTERFACE

"""
A cost budget per caller (user, else client IP): on Query/Mutation shared by their fields, on a field its own (on a @public field, the client address's, whatever token is attached).
perEmail: the field's budget is per caller and the email it names (sign-in from a shared address).
"""
directive @rateLimit(limit: Int = 60, duration: Int = 60, perEmail: Boolean = false) on OBJECT | FIELD_DEFINITION

"""
Setting this argument or input field (to anything but null) needs these scopes, beyond what the field itself
needs: a weaker permission cannot do through an input what a stronger one guards.
"""
directive @requiresScopesToSet(scopes: [[String!]!]!) on ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION

scalar DateTime

type PageInfo @shareable @public {
  hasNextPage: Boolean!
  endCursor: String
}
`;

/** A subgraph's own SDL behind the shared preamble: what its server, composition and code generation all read. */
export const withPreamble = (own: string) => `${SDL_PREAMBLE}\n${own}`;

/** Reads a subgraph's schema.graphql with the preamble in front. */
export const readSubgraphSdl = (file: string) => withPreamble(readFileSync(file, 'utf8'));
