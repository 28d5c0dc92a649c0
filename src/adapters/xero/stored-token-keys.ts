// Which key the stored tokens are under, and moving them all to the encrypting key. The service
// surveys at start (so a changed key is one log line, not a mystery); `npm run keys:rotate`
// re-encrypts. Refreshes move tokens too, one grant at a time, since every write uses the first key.
import { TOKEN_COLUMNS as COLUMNS, type GrantEnvelopes as GrantTokens, type GrantTokensRepo, type TokenColumn as Column, type XeroConnectionsRepo } from '../../handlers/xero-repos.ts';
import type { TokenCipher } from './token-cipher.ts';

const PAGE = 500;

/** Where the stored tokens are: the grants, and the connections riding on them. */
export type StoredTokenRepos = { grants: GrantTokensRepo; connections: Pick<XeroConnectionsRepo, 'countLiveOnGrants'> };

export type TokenSurvey = {
  /** Grants holding tokens. */
  grants: number;
  /** Grants whose access or refresh token no configured key decrypts. */
  unreadable: number;
  /** Connections (not disconnected) riding on those grants. */
  unreadableOrganisations: number;
  /** Readable grants with a token still under an older key (or a legacy key id). */
  underOlderKeys: number;
};

export async function surveyStoredTokens(repos: StoredTokenRepos, cipher: TokenCipher): Promise<TokenSurvey> {
  const survey: TokenSurvey = { grants: 0, unreadable: 0, unreadableOrganisations: 0, underOlderKeys: 0 };
  const unreadableIds: string[] = [];
  for await (const row of grantsWithTokens(repos.grants)) {
    survey.grants++;
    if (!readable(cipher, row.accessTokenEnc) || !readable(cipher, row.refreshTokenEnc)) unreadableIds.push(row.id);
    else if (COLUMNS.some((c) => row[c] !== null && !cipher.isCurrent(row[c]))) survey.underOlderKeys++;
  }
  survey.unreadable = unreadableIds.length;
  for (let i = 0; i < unreadableIds.length; i += PAGE) {
    survey.unreadableOrganisations += await repos.connections.countLiveOnGrants(unreadableIds.slice(i, i + PAGE));
  }
  return survey;
}

export type ReencryptReport = {
  /** Grants whose tokens were rewritten under the encrypting key. */
  reencrypted: number;
  /** Grants already wholly under it. */
  alreadyCurrent: number;
  /** Grants whose access or refresh token no configured key decrypts: left as they are. */
  unreadable: number;
  /** Grants rewritten by someone else (a refresh, a consent) on every attempt: left to that writer. */
  busy: number;
};

/**
 * Re-encrypts every stored token under the first key. Each grant is one compare-and-set UPDATE (a
 * transaction of its own): it lands whole or not at all, and only if nobody wrote the grant since
 * it was read, so a crash mid-run leaves every token readable under the old or the new key, and a
 * concurrent refresh is never overwritten. The version is not bumped: the plaintext is unchanged,
 * and a refresher holding that version must still be able to save the tokens Xero just rotated.
 * Running it again finds nothing to do.
 */
export async function reencryptStoredTokens(grants: GrantTokensRepo, cipher: TokenCipher): Promise<ReencryptReport> {
  const report: ReencryptReport = { reencrypted: 0, alreadyCurrent: 0, unreadable: 0, busy: 0 };
  for await (const first of grantsWithTokens(grants)) {
    let row: GrantTokens | null = first;
    for (let attempt = 0; ; attempt++) {
      if (!row) break; // erased meanwhile: nothing left to move
      const outcome = await reencryptOne(grants, cipher, row);
      if (outcome !== 'changed_meanwhile') {
        report[outcome]++;
        break;
      }
      if (attempt === 2) {
        report.busy++;
        break;
      }
      row = await grants.envelopes(row.id);
    }
  }
  return report;
}

async function reencryptOne(grants: GrantTokensRepo, cipher: TokenCipher, row: GrantTokens): Promise<'reencrypted' | 'alreadyCurrent' | 'unreadable' | 'changed_meanwhile'> {
  const data: Partial<Record<Column, string | null>> = {};
  for (const column of COLUMNS) {
    const envelope = row[column];
    if (envelope === null || cipher.isCurrent(envelope)) continue;
    const plain = cipher.decrypt(envelope);
    if (plain.ok) data[column] = cipher.encrypt(plain.value);
    // The refresh token before the last one only serves Xero's 30-minute grace retry; one that no
    // key opens can never serve it, so it is dropped rather than left to pin the old key.
    else if (column === 'previousRefreshTokenEnc') data[column] = null;
    else return 'unreadable';
  }
  if (Object.keys(data).length === 0) return 'alreadyCurrent';
  return (await grants.rewriteEnvelopes(row, data)) ? 'reencrypted' : 'changed_meanwhile';
}

/** Every grant holding a token, a page at a time in id order (stable while rows are updated). */
async function* grantsWithTokens(grants: GrantTokensRepo): AsyncGenerator<GrantTokens> {
  let after: string | undefined;
  for (;;) {
    const page = await grants.withTokens(after, PAGE);
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

function readable(cipher: TokenCipher, envelope: string | null): boolean {
  return envelope === null || cipher.decrypt(envelope).ok;
}
