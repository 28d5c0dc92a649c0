// `npm run keys:rotate`: re-encrypts every stored Xero token under the first key of
// TOKEN_ENCRYPTION_KEY, so the keys after it can be removed. Reads DATABASE_URL and
// TOKEN_ENCRYPTION_KEY from the environment and the settings file, as `npm start` does; safe to run while the
// service runs (each grant is one compare-and-set write), safe to interrupt and to run again.
import dotenv from 'dotenv';
import { createDatabase } from '../src/adapters/db/index.ts';
import { reencryptStoredTokens } from '../src/adapters/xero/stored-token-keys.ts';
import { createTokenCipher } from '../src/adapters/xero/token-cipher.ts';
import { loadKeySettings } from '../src/config.ts';

async function main(): Promise<number> {
  // The settings file `npm start` reads: .env, or ENV_FILE (empty: none).
  const envFile = process.env.ENV_FILE ?? '.env';
  if (envFile !== '') dotenv.config({ path: envFile, quiet: true });
  const loaded = loadKeySettings(process.env);
  if (!loaded.ok) {
    for (const problem of loaded.problems) console.error(`keys:rotate: ${problem}`);
    return 1;
  }
  const { DATABASE_URL, TOKEN_ENCRYPTION_KEY } = loaded.settings;
  const cipher = createTokenCipher(TOKEN_ENCRYPTION_KEY);
  // Opened as `npm start` opens it, with the same migrations (idempotent, locked across replicas).
  const storage = await createDatabase(DATABASE_URL, { events: { endpoints: [] } });
  try {
    console.log(`keys:rotate: moving stored tokens to key ${cipher.currentKeyId} (the first in TOKEN_ENCRYPTION_KEY)`);
    const report = await reencryptStoredTokens(storage.store.grantTokens, cipher);
    console.log(
      `keys:rotate: ${report.reencrypted} token set${report.reencrypted === 1 ? '' : 's'} re-encrypted, ${report.alreadyCurrent} already under key ${cipher.currentKeyId}, ` +
        `${report.unreadable} unreadable, ${report.busy} busy`,
    );
    if (report.unreadable > 0) {
      console.log(
        `keys:rotate: ${report.unreadable} token set${report.unreadable === 1 ? '' : 's'} cannot be decrypted with any key in TOKEN_ENCRYPTION_KEY and ${report.unreadable === 1 ? 'was' : 'were'} left as ${report.unreadable === 1 ? 'it is' : 'they are'}: ` +
          'add the key they were stored under, or reconnect those organisations.',
      );
    }
    if (report.busy > 0) console.log('keys:rotate: busy token sets were being refreshed meanwhile; run keys:rotate again to be sure.');
    if (report.unreadable === 0 && report.busy === 0) {
      console.log(`keys:rotate: every stored token is under key ${cipher.currentKeyId}; the keys after the first can be removed from TOKEN_ENCRYPTION_KEY.`);
    }
    return 0;
  } finally {
    await storage.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('keys:rotate: failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
