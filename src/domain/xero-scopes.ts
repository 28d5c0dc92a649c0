// Xero's OAuth scopes that XERO_SCOPES may name, and the ones Xero Guard needs. Apps created from
// 2 March 2026 must use Xero's granular scopes (accounting.invoices and so on instead of
// accounting.transactions); older apps may mix both until September 2027. Xero refuses a consent
// that asks for a scope the app may not use, so a typo is caught at start instead.
export const OPENID_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

const BROAD = [
  'accounting.transactions',
  'accounting.settings',
  'accounting.contacts',
  'accounting.attachments',
  'accounting.journals',
  'accounting.budgets',
] as const;

const GRANULAR = ['accounting.invoices', 'accounting.payments', 'accounting.banktransactions', 'accounting.manualjournals', 'accounting.classicexpenses'] as const;

const READ_ONLY = [
  'accounting.reports.read',
  'accounting.reports.tenninetynine.read',
  'accounting.reports.aged.read',
  'accounting.reports.balancesheet.read',
  'accounting.reports.profitandloss.read',
  'accounting.reports.trialbalance.read',
  'accounting.reports.executivesummary.read',
  'accounting.reports.banksummary.read',
  'accounting.reports.budgetsummary.read',
] as const;

const PAYROLL = ['payroll.employees', 'payroll.payruns', 'payroll.payslip', 'payroll.timesheets', 'payroll.settings'] as const;

const withRead = (names: readonly string[]) => names.flatMap((n) => [n, `${n}.read`]);

export const KNOWN_SCOPES: ReadonlySet<string> = new Set([
  ...OPENID_SCOPES,
  ...withRead(BROAD),
  ...withRead(GRANULAR),
  ...READ_ONLY,
  ...withRead(PAYROLL),
  'paymentservices',
  'files',
  'files.read',
  'assets',
  'assets.read',
  'projects',
  'projects.read',
]);

/**
 * What Xero Guard needs, and why: offline_access for the refresh token (without it every grant
 * dies in 30 minutes); accounting.settings.read (or accounting.settings) for the light
 * organisation probe that tells a lost user's access from a removed connection.
 */
export const NEEDED_SCOPES: readonly { scope: string; alternatives: readonly string[]; purpose: string }[] = [
  { scope: 'offline_access', alternatives: [], purpose: 'keeping the connection without signing in again (the refresh token)' },
  { scope: 'accounting.settings.read', alternatives: ['accounting.settings'], purpose: "reading the organisation's settings, which is how Xero Guard checks access" },
];

/** Problems with a XERO_SCOPES list: unknown names, and needed scopes left out. */
export function scopeProblems(scopes: readonly string[]): string[] {
  const problems = scopes.filter((s) => !KNOWN_SCOPES.has(s)).map((s) => `names "${s}", which is not a Xero scope Xero Guard knows (a typo?)`);
  for (const need of NEEDED_SCOPES) {
    if (!scopes.includes(need.scope) && !need.alternatives.some((a) => scopes.includes(a))) problems.push(`lacks ${need.scope}, needed for ${need.purpose}`);
  }
  return problems;
}

/**
 * The needed scopes a grant lacks, by the scopes Xero said it granted (the token response's
 * `scope`). An empty text means unknown (grants stored before the scopes were kept): nothing is
 * flagged. A refresh token in hand is offline_access at work, whatever the list says.
 */
export function missingScopes(granted: string | readonly string[], options: { holdsRefreshToken: boolean }): string[] {
  const list = typeof granted === 'string' ? granted.split(/\s+/).filter(Boolean) : granted;
  if (list.length === 0) return [];
  const have = new Set(list);
  return NEEDED_SCOPES.filter((need) => !(need.scope === 'offline_access' && options.holdsRefreshToken))
    .filter((need) => !have.has(need.scope) && !need.alternatives.some((a) => have.has(a)))
    .map((need) => need.scope);
}

/** Why Xero Guard needs a scope, in plain words; undefined for a scope it does not need. */
export function purposeOf(scope: string): string | undefined {
  return NEEDED_SCOPES.find((need) => need.scope === scope || need.alternatives.includes(scope))?.purpose;
}

/**
 * What a consent asks Xero for: the configured XERO_SCOPES, plus any needed scope they leave out
 * (the settings check refuses such a list at start, so this is a second line: a consent never
 * repairs a missing permission by asking for less than the check looks for).
 */
export function consentScopes(configured: readonly string[]): string[] {
  const scopes = [...configured];
  for (const need of NEEDED_SCOPES) {
    if (!scopes.includes(need.scope) && !need.alternatives.some((a) => scopes.includes(a))) scopes.push(need.scope);
  }
  return scopes;
}
