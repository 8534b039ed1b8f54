const formatCents = (cents: number) => `${Math.trunc(cents / 100)}.${String(Math.abs(cents % 100)).padStart(2, '0')}`;
export const money = (cents: number, currency: string) => ({ amount: formatCents(cents), currency });
