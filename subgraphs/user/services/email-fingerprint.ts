import { createHash } from 'node:crypto';

// A host name of letters, digits and hyphens with an alphabetic top-level label: what a mail domain looks like.
const DOMAIN = /^(?=.{4,100}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * What a failed sign-in to an unknown email records of what was typed: people type passwords into the email
 * field, so never the text itself. A hash prefix (of the trimmed, lower-cased input, as lockout keys it) still
 * tells one typed email from another, so detection can count distinct emails per address; the domain is kept
 * only when the input is shaped like an email whose domain looks like one.
 */
export function emailFingerprint(typed: string): { emailHash: string; emailDomain?: string } {
  const normal = typed.trim().toLowerCase();
  const emailHash = createHash('sha256').update(`palisade:login-email:${normal}`).digest('hex').slice(0, 16);
  const at = normal.lastIndexOf('@');
  const domain = at > 0 && !/\s/.test(normal) ? normal.slice(at + 1) : '';
  return DOMAIN.test(domain) ? { emailHash, emailDomain: domain } : { emailHash };
}
