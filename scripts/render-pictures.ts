// `npm run docs:pictures`: draws the README's pictures of the alert from what the real renderers
// produce: the Slack message (Block Kit) and the Teams card (Adaptive Card) for one alert, laid
// out as each client shows them, into docs/alert-slack.svg and docs/alert-teams.svg. A test
// re-draws them and fails when the files no longer match the renderers.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { viewSchema, type View } from '../src/domain/views/model.ts';
import { renderView } from '../src/adapters/slack/render.ts';
import { renderCard } from '../src/adapters/teams/cards/render.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PICTURES = { slack: path.join(REPO_ROOT, 'docs', 'alert-slack.svg'), teams: path.join(REPO_ROOT, 'docs', 'alert-teams.svg') };

const at = (minutes: number) => new Date(Date.UTC(2026, 2, 3, 9, 0) + minutes * 60_000).toISOString();

/** The alert people see most: the app was removed in Xero, and the connector already holds a link. */
export function pictureAlert(platform: 'slack' | 'teams'): View {
  const maya = platform === 'slack' ? { platform, userId: 'U0MAYA', name: 'Maya Patel' } : { platform, userId: '29:maya', name: 'Maya Patel' };
  return viewSchema.parse({
    type: 'alert',
    incidentId: 'inc-1',
    connectionId: 'con-1',
    tenantName: 'Acme Trading Ltd',
    cause: 'app_disconnected_in_xero',
    headline: 'Xero Guard was removed in Xero',
    explanation: 'Someone removed Xero Guard under Connected Apps in Xero, so it can no longer read this organisation.',
    nextStep: 'Maya reconnects with the link in her direct messages.',
    path: 'reconnect',
    next: [{ person: maya }, ' reconnects with the link in their direct messages: the app is already removed in Xero.'],
    inMotion: [[{ person: maya }, ' has a reconnect link by direct message (sent ', { at: at(1) }, { ago: at(1) }, ').']],
    linksSent: [{ to: maya, at: at(1), expiresAt: at(31) }],
    since: at(0),
    connectedBy: maya,
    lastGoodCheck: at(-5),
    steps: {},
    buttons: ['reconnect', 'sendLink'],
  });
}

const NAMES: Record<string, string> = { U0MAYA: 'Maya Patel' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const shortDate = (iso: string) => {
  const d = new Date(iso);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
};

/** Slack mrkdwn as the client shows it: dates by their fallback, mentions by name, no markers. */
function slackText(text: string): string {
  return text
    .replace(/<!date\^\d+\^\{ago\}\|[^>]*>/g, '1 minute ago')
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, (_m, fallback: string) => fallback.replace(/ UTC$/, ''))
    .replace(/<@(\w+)>/g, (_m, id: string) => `@${NAMES[id] ?? id}`)
    .replace(/:rotating_light:/g, '🚨')
    .replace(/[*_]/g, '');
}

/** Adaptive Card text as Teams shows it: mentions by name, DATE/TIME in the reader's zone (UTC here). */
function teamsText(text: string): string {
  return text
    .replace(/<at>([^<]*)<\/at>/g, '@$1')
    .replace(/\{\{DATE\(([^,)]+)(?:, \w+)?\)\}\} \{\{TIME\(([^)]+)\)\}\}/g, (_m, iso: string) => shortDate(iso))
    .replace(/\{\{DATE\(([^,)]+)(?:, \w+)?\)\}\}/g, (_m, iso: string) => shortDate(iso))
    .replace(/\\\*/g, '*')
    .replace(/\*\*/g, '');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line && (line + ' ' + word).length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
}

type Drawing = { parts: string[]; y: number };
const textLine = (d: Drawing, x: number, text: string, opts: { size?: number; bold?: boolean; color?: string } = {}) => {
  d.parts.push(`<text x="${x}" y="${d.y}" font-size="${opts.size ?? 14}"${opts.bold ? ' font-weight="700"' : ''} fill="${opts.color ?? '#1d1c1d'}">${esc(text)}</text>`);
};
const button = (d: Drawing, x: number, label: string, primary: boolean, fill = '#007a5a'): number => {
  const width = 24 + label.length * 8;
  d.parts.push(`<rect x="${x}" y="${d.y - 18}" width="${width}" height="28" rx="4" fill="${primary ? fill : '#ffffff'}" stroke="${primary ? fill : '#bbbbbb'}"/>`);
  d.parts.push(`<text x="${x + width / 2}" y="${d.y}" font-size="13" font-weight="700" fill="${primary ? '#ffffff' : '#1d1c1d'}" text-anchor="middle">${esc(label)}</text>`);
  return width;
};
const svg = (d: Drawing, width: number, background: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${d.y + 24}" viewBox="0 0 ${width} ${d.y + 24}" font-family="Lato, 'Segoe UI', Helvetica, Arial, sans-serif">\n  <rect width="${width}" height="${d.y + 24}" fill="${background}"/>\n  ${d.parts.join('\n  ')}\n</svg>\n`;

export function drawSlack(): string {
  const message = renderView(pictureAlert('slack'))[0]!;
  const d: Drawing = { parts: [], y: 40 };
  d.parts.push('<rect x="20" y="20" width="40" height="40" rx="6" fill="#13B5EA"/>', '<text x="40" y="47" font-size="18" font-weight="700" fill="#fff" text-anchor="middle">XG</text>');
  textLine(d, 74, 'Xero Guard', { size: 15, bold: true });
  d.parts.push('<rect x="160" y="26" width="30" height="16" rx="3" fill="#e8e8e8"/><text x="175" y="38" font-size="10" fill="#616061" text-anchor="middle">APP</text>');
  d.y += 28;
  for (const block of message.blocks as Record<string, any>[]) {
    if (block.type === 'header') {
      textLine(d, 74, slackText(block.text.text), { size: 17, bold: true });
      d.y += 28;
    } else if (block.type === 'section' && block.fields) {
      const fields = (block.fields as { text: string }[]).map((f) => slackText(f.text).split('\n'));
      for (let i = 0; i < fields.length; i += 2) {
        for (const [column, field] of [fields[i], fields[i + 1]].entries()) {
          if (!field) continue;
          const x = 74 + column * 300;
          d.parts.push(`<text x="${x}" y="${d.y}" font-size="14" font-weight="700" fill="#1d1c1d">${esc(field[0]!)}</text>`);
          d.parts.push(`<text x="${x}" y="${d.y + 20}" font-size="14" fill="#1d1c1d">${esc(field.slice(1).join(' '))}</text>`);
        }
        d.y += 46;
      }
    } else if (block.type === 'section') {
      for (const line of wrap(slackText(block.text.text), 84)) {
        textLine(d, 74, line);
        d.y += 20;
      }
      d.y += 8;
    } else if (block.type === 'context') {
      for (const element of block.elements as { text?: string }[]) {
        for (const line of wrap(slackText(element.text ?? ''), 96)) {
          textLine(d, 74, line, { size: 12, color: '#616061' });
          d.y += 17;
        }
      }
      d.y += 6;
    } else if (block.type === 'actions') {
      let x = 74;
      d.y += 6;
      for (const element of block.elements as Record<string, any>[]) {
        if (element.type === 'button') x += button(d, x, element.text.text, element.style === 'primary', element.style === 'danger' ? '#e01e5a' : '#007a5a') + 8;
        else if (element.type === 'users_select') {
          d.parts.push(`<rect x="${x}" y="${d.y - 18}" width="200" height="28" rx="4" fill="#ffffff" stroke="#bbbbbb"/>`);
          d.parts.push(`<text x="${x + 12}" y="${d.y}" font-size="13" fill="#616061">${esc(element.placeholder.text)}</text><text x="${x + 184}" y="${d.y}" font-size="11" fill="#616061">▾</text>`);
          x += 208;
        }
      }
      d.y += 30;
    }
  }
  return svg(d, 760, '#ffffff');
}

export function drawTeams(): string {
  const card = renderCard(pictureAlert('teams')) as Record<string, any>;
  const d: Drawing = { parts: [], y: 40 };
  d.parts.push('<rect x="20" y="20" width="32" height="32" rx="16" fill="#13B5EA"/>', '<text x="36" y="41" font-size="13" font-weight="700" fill="#fff" text-anchor="middle">XG</text>');
  textLine(d, 64, 'Xero Guard', { size: 13, bold: true, color: '#424242' });
  d.y += 16;
  const top = d.y;
  const body: string[] = [];
  const inner: Drawing = { parts: body, y: top + 30 };
  for (const element of card.body as Record<string, any>[]) {
    const blocks = element.type === 'Container' ? (element.items as Record<string, any>[]) : [element];
    for (const block of blocks) {
      if (block.type !== 'TextBlock') continue;
      const heading = block.weight === 'Bolder';
      if (element.type === 'Container' && element.style === 'attention') body.push(`<rect x="64" y="${inner.y - 22}" width="656" height="34" fill="#fdf3f4"/>`);
      for (const line of wrap(teamsText(block.text), heading ? 70 : 88)) {
        const label = /^\*\*[^*]+\*\*/.exec(block.text)?.[0]?.replace(/\*\*/g, '');
        if (!heading && label !== undefined && line.startsWith(label)) {
          body.push(`<text x="80" y="${inner.y}" font-size="14" fill="#242424"><tspan font-weight="700">${esc(label)}</tspan>${esc(line.slice(label.length))}</text>`);
        } else textLine(inner, 80, line, { size: heading ? 16 : 14, bold: heading, color: '#242424' });
        inner.y += heading ? 26 : 20;
      }
      inner.y += block.spacing === 'Medium' ? 8 : 2;
    }
  }
  inner.y += 10;
  let x = 80;
  for (const action of card.actions as Record<string, any>[]) x += button(inner, x, action.title, action.style === 'positive', '#5b5fc7') + 8;
  inner.y += 24;
  d.parts.push(`<rect x="64" y="${top}" width="656" height="${inner.y - top}" rx="6" fill="#ffffff" stroke="#e0e0e0"/>`);
  d.parts.push('<rect x="64" y="' + top + '" width="4" height="' + (inner.y - top) + '" fill="#c4314b"/>');
  d.parts.push(...body);
  d.y = inner.y;
  return svg(d, 740, '#f5f5f5');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(PICTURES.slack, drawSlack());
  writeFileSync(PICTURES.teams, drawTeams());
  console.log(`docs:pictures: wrote ${path.relative(process.cwd(), PICTURES.slack)} and ${path.relative(process.cwd(), PICTURES.teams)}`);
}
