/**
 * User agents of well-known attack tools. The router flags them as they arrive and the security subgraph's
 * detector groups them into alerts; one pattern, so the two never disagree about what a scanner is.
 */
export const SCANNER_USER_AGENT = /\b(sqlmap|nikto|nmap|dirb|gobuster|burp(suite)?)\b/i;
