import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { badInput } from '@palisade/auth';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

// Postgres keeps timestamps from 4713 BC; JavaScript's year 0 is 1 BC, which Postgres spells differently.
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');

function parseDate(value: unknown): Date {
  if (typeof value !== 'string' || !ISO.test(value)) throw badInput('DateTime must be an ISO 8601 timestamp with a time zone');
  const [y, m, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  // V8 reads 2026-02-31 as 3 March; a calendar date that does not exist is refused instead.
  const calendar = new Date(Date.UTC(2000, m - 1, day));
  calendar.setUTCFullYear(y);
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || calendar.getUTCMonth() !== m - 1 || calendar.getUTCDate() !== day || d.getTime() < EARLIEST)
    throw badInput('DateTime is not a real date');
  return d;
}

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An ISO 8601 timestamp in UTC, e.g. 2026-01-31T12:00:00.000Z',
  serialize: (v) => (v instanceof Date ? v.toISOString() : new Date(v as string).toISOString()),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : null),
});

function literal(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.LIST:
      return ast.values.map(literal);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value)]));
    default:
      return null;
  }
}

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: literal,
});

const refuseInput = (): never => {
  throw badInput('JSON values are output only: no argument takes one');
};

/**
 * JSON for fields that only ever answer (a data export): an object is passed through, anything else is a bug
 * on the serving side, and no operation may send one in (no argument declares the type, and should one ever,
 * it is refused rather than trusted blindly).
 */
export const JSONOutputScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'A JSON object, in answers only',
  serialize: (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError('JSON output must be an object');
    return v;
  },
  parseValue: refuseInput,
  parseLiteral: refuseInput,
});
