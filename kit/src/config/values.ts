import { z } from 'zod';

/**
 * How one variable's text becomes a value. Each parser's message finishes a sentence that starts with the
 * variable's name ("MAX_QUERY_DEPTH must be …"), and never repeats the text: it may be a secret.
 */
export type ValueParser<T> = z.ZodType<T, string>;

/** A parser from a function that answers the value, or undefined when the text is not one. */
export function parsedAs<T>(expected: string, parse: (text: string) => T | undefined): ValueParser<T> {
  return z.string().transform((text, ctx) => {
    let value: T | undefined;
    try {
      value = parse(text);
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: (err as Error).message, input: text });
      return z.NEVER;
    }
    if (value === undefined) {
      ctx.issues.push({ code: 'custom', message: `must be ${expected}`, input: text });
      return z.NEVER;
    }
    return value;
  });
}

export const text = (): ValueParser<string> => z.string();

export const int = (min: number, max: number): ValueParser<number> =>
  parsedAs(`an integer from ${min} to ${max}`, (s) => (/^-?\d+$/.test(s.trim()) && Number(s) >= min && Number(s) <= max ? Number(s) : undefined));

export const port = (): ValueParser<number> => int(0, 65_535);

export const positiveNumber = (): ValueParser<number> =>
  parsedAs('a positive number', (s) => (s.trim() !== '' && Number.isFinite(Number(s)) && Number(s) > 0 ? Number(s) : undefined));

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];
export const bool = (): ValueParser<boolean> =>
  parsedAs('true or false', (s) => (TRUE.includes(s.trim().toLowerCase()) ? true : FALSE.includes(s.trim().toLowerCase()) ? false : undefined));

export const oneOf = <const T extends readonly string[]>(values: T): ValueParser<T[number]> =>
  parsedAs(`one of ${values.join(', ')}`, (s) => values.find((v) => v === s.trim()));

/** An absolute URL with one of the protocols (without the colon), e.g. `url('postgres', 'postgresql')`. */
export const url = (...protocols: string[]): ValueParser<string> =>
  parsedAs(`a ${protocols.map((p) => `${p}://`).join(' or ')} URL`, (s) => {
    if (!URL.canParse(s)) return undefined;
    return protocols.includes(new URL(s).protocol.replace(/:$/, '')) ? s : undefined;
  });

/** Comma-separated entries, each checked by `entry` (which throws a message naming the bad one). */
export const list = (entry: (item: string) => void = () => {}): ValueParser<string[]> =>
  parsedAs('a comma-separated list', (s) => {
    const items = s.split(',').map((i) => i.trim()).filter(Boolean);
    items.forEach(entry);
    return items;
  });

/** JSON text, then the shape `schema` gives it; problems inside are reported at their path. */
export const json = <T>(schema: z.ZodType<T>): ValueParser<T> =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.issues.push({ code: 'custom', message: 'must be JSON', input: s });
        return z.NEVER;
      }
    })
    .pipe(schema);
