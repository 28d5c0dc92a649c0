// Conformance check for the Teams app, run by .ci/run:
//   1. teams/manifest.json, and the manifest `npm run teams:package` would build from it, validate
//      against the Teams manifest schema (v1.19);
//   2. the icons are PNGs of the right sizes, the outline one white on transparent;
//   3. every Adaptive Card the renderer can produce (test/fixtures/card-samples.ts) validates
//      against the Adaptive Card 1.5 schema, stays at version 1.5 at most and under Teams' size limit.
// The Teams manifest schema comes from the npm package @microsoft/app-manifest, which publishes
// Microsoft's schemas; the Adaptive Card schema, which no package publishes, is a copy kept in
// test/contracts/adaptive-cards/ with its licence and source.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { decodePng } from './teams-png.ts';
import { fillManifest, readManifestTemplate, REPO_ROOT, TEAMS_DIR, type Manifest } from './teams-package.ts';
import { sampleCards } from '../test/fixtures/card-samples.ts';
import { cardBytes } from '../src/adapters/teams/cards/card.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const require = createRequire(import.meta.url);
const TEAMS_SCHEMAS_DIR = path.join(path.dirname(require.resolve('@microsoft/app-manifest/package.json')), 'build', 'json-schemas', 'teams');
export const TEAMS_MANIFEST_SCHEMA = path.join(TEAMS_SCHEMAS_DIR, 'v1.19', 'MicrosoftTeams.schema.json');
export const ADAPTIVE_CARD_SCHEMA = path.join(REPO_ROOT, 'test', 'contracts', 'adaptive-cards', 'adaptive-card-1.5.json');
/** Teams refuses bot messages of about 28 KB; leave room for the activity around the card. */
export const MAX_CARD_BYTES = 26_000;

function compile(file: string): ValidateFunction {
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  // Both schemas name an older draft (04 and 06); their keywords are the ones ajv's default draft
  // reads the same way, once the draft-04 style `id` is renamed `$id`.
  delete schema.$schema;
  if (typeof schema.id === 'string') {
    schema.$id = schema.id;
    delete schema.id;
  }
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

let validators: { card: ValidateFunction; manifest: ValidateFunction } | undefined;
function getValidators() {
  validators ??= { card: compile(ADAPTIVE_CARD_SCHEMA), manifest: compile(TEAMS_MANIFEST_SCHEMA) };
  return validators;
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

/**
 * Teams' people picker is an Input.ChoiceSet with `choices.data` (Data.Query over
 * graph.microsoft.com/users), documented by Teams for its cards but absent from the 1.5 schema:
 * that one property is set aside before validation, and only in that exact form.
 */
function withoutPeoplePicker(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPeoplePicker);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const picker = key === 'choices.data' && (value as { type?: unknown }).type === 'Input.ChoiceSet' && JSON.stringify(inner) === JSON.stringify({ type: 'Data.Query', dataset: 'graph.microsoft.com/users' });
    if (!picker) out[key] = withoutPeoplePicker(inner);
  }
  return out;
}

/**
 * Mentions in a card need `msteams.entities` at its root (Teams documents it; the 1.5 schema has
 * no such property). It is set aside before validation only when it holds nothing but mentions,
 * each one's `<at>` text found in the card.
 */
function withoutMentions(card: unknown): { card: unknown; problems: string[] } {
  if (!card || typeof card !== 'object' || !('msteams' in card)) return { card, problems: [] };
  const { msteams, ...rest } = card as Record<string, unknown>;
  const problems: string[] = [];
  const keys = msteams && typeof msteams === 'object' ? Object.keys(msteams) : [];
  const entities = (msteams as { entities?: unknown }).entities;
  if (keys.length !== 1 || !Array.isArray(entities) || entities.length === 0) problems.push('/msteams holds something other than mention entities');
  const body = JSON.stringify(rest);
  for (const entity of Array.isArray(entities) ? entities : []) {
    const e = entity as { type?: unknown; text?: unknown; mentioned?: { id?: unknown; name?: unknown } };
    const shaped = e.type === 'mention' && typeof e.text === 'string' && /^<at>[^<]+<\/at>$/.test(e.text) && typeof e.mentioned?.id === 'string' && typeof e.mentioned?.name === 'string';
    if (!shaped) problems.push(`/msteams/entities has a malformed mention ${JSON.stringify(entity)}`);
    else if (!body.includes(JSON.stringify(e.text).slice(1, -1))) problems.push(`/msteams/entities mentions ${String(e.text)}, which no text in the card holds`);
  }
  return { card: rest, problems };
}

export function checkCard(card: unknown): string[] {
  const validate = getValidators().card;
  const mentions = withoutMentions(card);
  const problems = validate(withoutPeoplePicker(mentions.card)) ? [...mentions.problems] : [...mentions.problems, ...describe(validate.errors)];
  const version = (card as { version?: string }).version ?? '';
  if (!/^1\.[0-5]$/.test(version)) problems.push(`version ${version} is above 1.5, the most Teams renders`);
  const bytes = cardBytes(card);
  if (bytes > MAX_CARD_BYTES) problems.push(`is ${bytes} bytes, over the ${MAX_CARD_BYTES}-byte budget`);
  return problems;
}

export function checkManifest(manifest: Manifest): string[] {
  const validate = getValidators().manifest;
  return validate(manifest) ? [] : describe(validate.errors);
}

export function checkIcons(manifest: Manifest, dir = TEAMS_DIR): string[] {
  const problems: string[] = [];
  const expect = [
    { name: manifest.icons?.color as string, size: 192, outline: false },
    { name: manifest.icons?.outline as string, size: 32, outline: true },
  ];
  for (const icon of expect) {
    const file = path.join(dir, icon.name ?? '');
    if (!icon.name || !existsSync(file)) {
      problems.push(`icon ${icon.name} is missing`);
      continue;
    }
    const image = decodePng(readFileSync(file));
    if (image.width !== icon.size || image.height !== icon.size) problems.push(`${icon.name} is ${image.width}x${image.height}, must be ${icon.size}x${icon.size}`);
    if (icon.outline) {
      let opaque = 0;
      for (let i = 0; i < image.pixels.length; i += 4) {
        const [r, g, b, a] = [image.pixels[i]!, image.pixels[i + 1]!, image.pixels[i + 2]!, image.pixels[i + 3]!];
        if (a > 0 && (r !== 255 || g !== 255 || b !== 255)) {
          problems.push(`${icon.name} has a pixel that is neither white nor transparent`);
          break;
        }
        if (a === 255) opaque++;
      }
      if (opaque === image.pixels.length / 4) problems.push(`${icon.name} has no transparent background`);
      if (opaque === 0) problems.push(`${icon.name} is empty`);
    }
  }
  return problems;
}

/** Everything, as lines to print; empty when all is well. */
export function checkTeams(): string[] {
  const problems: string[] = [];
  const template = readManifestTemplate();
  for (const p of checkManifest(template)) problems.push(`teams/manifest.json: ${p}`);
  const filled = fillManifest(template, { MicrosoftAppId: '11111111-2222-3333-4444-555555555555', PUBLIC_URL: 'https://guard.example.org' }, '1.2.3');
  for (const p of checkManifest(filled)) problems.push(`packaged manifest: ${p}`);
  for (const p of checkIcons(template)) problems.push(`teams icons: ${p}`);
  for (const { name, card } of sampleCards()) {
    for (const p of checkCard(card)) problems.push(`card "${name}": ${p}`);
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = checkTeams();
  if (problems.length > 0) {
    for (const problem of problems) console.error(`check-teams: ${problem}`);
    process.exit(1);
  }
  console.log(`check-teams: manifest, icons and ${sampleCards().length} cards are valid`);
}
