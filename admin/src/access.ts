/** The console's screens, and the scope each needs; the navigation shows only what the caller may use. */
export const SCREENS = [
  { name: 'Dashboard', path: 'dashboard', scope: 'audit:read' },
  { name: 'Alerts', path: 'alerts', scope: 'alert:read' },
  { name: 'Audit trail', path: 'audit', scope: 'audit:read' },
  { name: 'Products', path: 'products', scope: 'product:manage' },
  { name: 'Orders', path: 'orders', scope: 'order:read:any' },
  { name: 'Users', path: 'users', scope: 'user:read:any' },
] as const;

export type Screen = (typeof SCREENS)[number];
export const screensFor = (scopes: readonly string[]) => SCREENS.filter((s) => scopes.includes(s.scope));
