import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { badInput } from './errors.ts';

/**
 * New passwords, after NIST SP 800-63B §3.1.1.2: long enough, no composition rules, and refused when they
 * are known to attackers — on the shipped list of common passwords, guessable by a strength estimator
 * (zxcvbn-ts: dictionaries, repeats, sequences, keyboard walks, dates, l33t), or built from the account's
 * own email, name or the product's name.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;
/** zxcvbn's 0–4 scale; 3 means at least 10^8 guesses. */
export const PASSWORD_MIN_SCORE = 3;
const PRODUCT_WORDS = ['palisade'];
// The estimator's cost grows fast with length and l33t candidates (digits and symbols): measured 0.6–1.2 s for
// a 256-character password at its defaults, 35 ms at most for 64 characters and 8 substitutions. It runs on
// the event loop, so it sees the first 64 characters only; a weak start makes a weak password anyway.
const ESTIMATED_LENGTH = 64;
const L33T_SUBSTITUTIONS = 8;

const LIST = fileURLToPath(new URL('../data/common-passwords.txt', import.meta.url));
let common: Set<string> | null = null;

function commonList(): Set<string> {
  common ??= new Set(readFileSync(LIST, 'utf8').split('\n').filter(Boolean));
  return common;
}

/** True for a password on the shipped list of the most common ones (compared case-insensitively). */
export function isCommonPassword(password: string): boolean {
  return commonList().has(password.toLowerCase());
}

export const COMMON_PASSWORD_COUNT = () => commonList().size;

// Its dictionaries are megabytes of JSON: loaded on the first password checked, once per process.
let estimator: Promise<ZxcvbnFactory> | null = null;
function loadEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= (async () => {
    const [{ ZxcvbnFactory }, shared, en] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en')]);
    return new ZxcvbnFactory({
      // The shipped list too, so a password built from one of its entries ("ilovemymomilovemymom1") is found.
      dictionary: { ...shared.dictionary, ...en.dictionary, 'passwords-shipped': [...commonList()] },
      graphs: shared.adjacencyGraphs,
      translations: en.translations,
      maxLength: ESTIMATED_LENGTH,
      l33tMaxSubstitutions: L33T_SUBSTITUTIONS,
    });
  })();
  estimator.catch(() => (estimator = null));
  return estimator;
}

/** What the account already says about its owner: a password built from it is the first thing tried. */
export interface PasswordOwner {
  email?: string | null;
  displayName?: string | null;
}

/** The words of the owner's email and name (4+ letters, the whole local part from 3), and the product's. */
export function ownerWords(owner: PasswordOwner): string[] {
  const words = new Set(PRODUCT_WORDS);
  const email = (owner.email ?? '').toLowerCase();
  const at = email.lastIndexOf('@');
  const local = at >= 0 ? email.slice(0, at) : email;
  const domain = at >= 0 ? email.slice(at + 1) : '';
  if (local.length >= 3) words.add(local);
  const wordsOf = (text: string) => text.split(/[^\p{L}\p{N}]+/u);
  // The domain without its top level: "mail.analytical-engines.org" → mail, analytical-engines, analytical, engines.
  const labels = domain.split('.').slice(0, -1);
  const pieces = [...wordsOf(local), ...labels, ...labels.flatMap(wordsOf), ...wordsOf((owner.displayName ?? '').toLowerCase())];
  for (const p of pieces) if (p.length >= 4) words.add(p);
  return [...words];
}

// zxcvbn finds runs like "3456789" or "qwerty" but not ones that wrap around ("8901234", "1098765432109",
// "cvbnmzxcvbnm"): a password whose steps are mostly to the neighbour in the alphabet, the digits or a keyboard
// row, wrapping included, is a sequence.
const CYCLES = ['abcdefghijklmnopqrstuvwxyz', '0123456789', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'azertyuiop', 'qwertzuiop', 'yxcvbnm'];
function isNeighbour(a: string, b: string): boolean {
  return CYCLES.some((c) => {
    const i = c.indexOf(a);
    const j = c.indexOf(b);
    return i >= 0 && j >= 0 && ((j - i + c.length) % c.length === 1 || (i - j + c.length) % c.length === 1);
  });
}
function isMostlySequence(lower: string): boolean {
  const chars = [...lower];
  let steps = 0;
  for (let i = 1; i < chars.length; i++) if (isNeighbour(chars[i - 1]!, chars[i]!)) steps++;
  return steps >= 0.75 * (chars.length - 1);
}

// zxcvbn scores most repeats low, but not all: a short unit with a separator repeated past its length check
// ("uu uu uu uu uu uu uu uu uu uu uu u") got through. A password that is one unit of up to 8 characters said
// over and over (the last time cut short) is refused whatever the estimator says.
function isRepetition(lower: string): boolean {
  const chars = [...lower];
  for (let unit = 1; unit <= 8 && unit * 2 <= chars.length; unit++) {
    if (chars.every((c, i) => c === chars[i % unit])) return true;
  }
  return false;
}

/**
 * Why this password may not be used, as a sentence for its owner; null when it may. Never repeats the
 * password itself.
 */
export async function passwordProblem(password: string, owner: PasswordOwner = {}): Promise<string | null> {
  if (typeof password !== 'string') return 'password must be text';
  // NIST counts characters, not UTF-16 units.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) return `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  const words = ownerWords(owner);
  const own = words.find((w) => lower.includes(w));
  if (own) return PRODUCT_WORDS.includes(own) ? 'password must not contain the name of this service' : 'password must not contain your email address or name';
  if (isCommonPassword(password)) return 'password is too common; choose another';
  if (isRepetition(lower)) return 'password is too easy to guess. Repeated characters like "aaa" or "ab ab ab" are easy to guess. Add more words that are less common.';
  if (isMostlySequence(lower)) return 'password is too easy to guess. Sequences like "abc" or "7890" are easy to guess. Add more words that are less common.';
  const result = (await loadEstimator()).check(password, words);
  if (result.score >= PASSWORD_MIN_SCORE) return null;
  const why = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(' ');
  return `password is too easy to guess.${why ? ` ${why}` : ' Add more words that are less common.'}`;
}

/** Throws BAD_USER_INPUT naming `field` when the password may not be used. */
export async function assertPasswordPolicy(password: string, owner: PasswordOwner, field: string): Promise<void> {
  const problem = await passwordProblem(password, owner);
  if (problem) throw badInput(problem, field);
}
