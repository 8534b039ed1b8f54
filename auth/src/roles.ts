// The one table of who may do what. Rules check scopes, never role names, so a new role is a row here.
export const ROLES = ['CUSTOMER', 'MANAGER', 'AUDITOR', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

const CUSTOMER_SCOPES = ['product:read', 'order:place', 'order:read:own', 'user:read:self', 'user:write:self'] as const;

export const ROLE_SCOPES: Readonly<Record<Role, readonly string[]>> = {
  CUSTOMER: CUSTOMER_SCOPES,
  MANAGER: [
    ...CUSTOMER_SCOPES,
    'product:write',
    'product:manage',
    'category:write',
    'stock:adjust',
    'order:read:any',
    'order:write:any',
  ],
  AUDITOR: [...CUSTOMER_SCOPES, 'audit:read', 'alert:read', 'alert:ack'],
  ADMIN: [
    ...CUSTOMER_SCOPES,
    'product:write',
    'product:manage',
    'product:archive',
    'category:write',
    'stock:adjust',
    'order:read:any',
    'order:write:any',
    'user:read:any',
    'user:write:any',
    'audit:read',
    'alert:read',
    'alert:ack',
  ],
};

export const ALL_SCOPES: readonly string[] = [...new Set(Object.values(ROLE_SCOPES).flat())].sort();

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function scopesForRoles(roles: readonly string[]): string[] {
  const scopes = new Set<string>();
  for (const role of roles) if (isRole(role)) for (const s of ROLE_SCOPES[role]) scopes.add(s);
  return [...scopes].sort();
}
