// Block Kit's limits (reference/chat-facts.md 1.7 and 3.1). Slack rejects a whole message that
// breaks one (invalid_blocks, msg_too_long), so the renderers are tested against this checker and
// the sender checks again before a call: a broken render is a bug to see in the log, not a retry.
import type { Block, ButtonElement, HomeView, SelectElement, SlackMessage, TextObject } from './blocks.ts';

export const LIMITS = {
  blocksPerMessage: 50,
  blocksPerHome: 100,
  headerText: 150,
  sectionText: 3_000,
  fieldsPerSection: 10,
  fieldText: 2_000,
  contextElements: 10,
  contextText: 3_000,
  actionsElements: 25,
  buttonText: 75,
  selectPlaceholder: 150,
  selectOptions: 100,
  optionText: 75,
  optionValue: 150,
  buttonValue: 2_000,
  buttonUrl: 3_000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  messageText: 40_000,
  /**
   * Not documented: Slack answered msg_blocks_too_long at about 13,000 characters of block text
   * (slackapi/bolt-js#2509). We keep every message under this budget.
   */
  blockTextPerMessage: 12_000,
} as const;

export type LimitViolation = { path: string; problem: string };

export function checkMessage(message: SlackMessage): LimitViolation[] {
  const out: LimitViolation[] = [];
  if (!message.text || message.text.length > LIMITS.messageText) out.push({ path: 'text', problem: `fallback text must be 1-${LIMITS.messageText} chars` });
  checkBlocks(message.blocks, 'blocks', LIMITS.blocksPerMessage, out);
  (message.attachments ?? []).forEach((a, i) => checkBlocks(a.blocks, `attachments[${i}].blocks`, LIMITS.blocksPerMessage, out));
  const total = blockTextLength(message.blocks) + (message.attachments ?? []).reduce((n, a) => n + blockTextLength(a.blocks), 0);
  if (total > LIMITS.blockTextPerMessage) out.push({ path: 'blocks', problem: `${total} chars of block text (budget ${LIMITS.blockTextPerMessage})` });
  return out;
}

export function checkHome(view: HomeView): LimitViolation[] {
  const out: LimitViolation[] = [];
  checkBlocks(view.blocks, 'view.blocks', LIMITS.blocksPerHome, out);
  return out;
}

function checkBlocks(blocks: readonly Block[], path: string, maxBlocks: number, out: LimitViolation[]): void {
  if (blocks.length > maxBlocks) out.push({ path, problem: `${blocks.length} blocks (max ${maxBlocks})` });
  const ids = new Set<string>();
  blocks.forEach((block, i) => {
    const at = `${path}[${i}]`;
    if (block.block_id !== undefined) {
      if (block.block_id.length > LIMITS.blockId) out.push({ path: `${at}.block_id`, problem: 'longer than 255' });
      if (ids.has(block.block_id)) out.push({ path: `${at}.block_id`, problem: `duplicate block_id ${block.block_id}` });
      ids.add(block.block_id);
    }
    switch (block.type) {
      case 'header':
        if (block.text.type !== 'plain_text') out.push({ path: `${at}.text`, problem: 'header text must be plain_text' });
        textLength(block.text, 1, LIMITS.headerText, `${at}.text`, out);
        break;
      case 'section':
        if (!block.text && !block.fields?.length) out.push({ path: at, problem: 'section needs text or fields' });
        if (block.text) textLength(block.text, 1, LIMITS.sectionText, `${at}.text`, out);
        if (block.fields) {
          if (block.fields.length > LIMITS.fieldsPerSection) out.push({ path: `${at}.fields`, problem: `${block.fields.length} fields (max 10)` });
          block.fields.forEach((f, j) => textLength(f, 1, LIMITS.fieldText, `${at}.fields[${j}]`, out));
        }
        if (block.accessory) checkButton(block.accessory, `${at}.accessory`, out);
        break;
      case 'context':
        if (block.elements.length < 1 || block.elements.length > LIMITS.contextElements) out.push({ path: `${at}.elements`, problem: 'context needs 1-10 elements' });
        block.elements.forEach((e, j) => textLength(e, 1, LIMITS.contextText, `${at}.elements[${j}]`, out));
        break;
      case 'actions': {
        if (block.elements.length < 1 || block.elements.length > LIMITS.actionsElements) out.push({ path: `${at}.elements`, problem: 'actions needs 1-25 elements' });
        const actionIds = new Set<string>();
        block.elements.forEach((e, j) => {
          if (actionIds.has(e.action_id)) out.push({ path: `${at}.elements[${j}].action_id`, problem: 'duplicate action_id in block' });
          actionIds.add(e.action_id);
          if (e.type === 'static_select') checkSelect(e, `${at}.elements[${j}]`, out);
          else if (e.type === 'users_select') textLength(e.placeholder, 1, LIMITS.selectPlaceholder, `${at}.elements[${j}].placeholder`, out);
          else checkButton(e, `${at}.elements[${j}]`, out);
        });
        break;
      }
      case 'divider':
        break;
    }
  });
}

function checkSelect(select: SelectElement, at: string, out: LimitViolation[]): void {
  textLength(select.placeholder, 1, LIMITS.selectPlaceholder, `${at}.placeholder`, out);
  if (!select.action_id || select.action_id.length > LIMITS.actionId) out.push({ path: `${at}.action_id`, problem: 'action_id must be 1-255 chars' });
  if (select.options.length < 1 || select.options.length > LIMITS.selectOptions) out.push({ path: `${at}.options`, problem: 'a select needs 1-100 options' });
  select.options.forEach((o, k) => {
    textLength(o.text, 1, LIMITS.optionText, `${at}.options[${k}].text`, out);
    if (o.value.length < 1 || o.value.length > LIMITS.optionValue) out.push({ path: `${at}.options[${k}].value`, problem: 'option value must be 1-150 chars' });
  });
}

function checkButton(button: ButtonElement, at: string, out: LimitViolation[]): void {
  if (button.text.type !== 'plain_text') out.push({ path: `${at}.text`, problem: 'button text must be plain_text' });
  textLength(button.text, 1, LIMITS.buttonText, `${at}.text`, out);
  if (!button.action_id || button.action_id.length > LIMITS.actionId) out.push({ path: `${at}.action_id`, problem: 'action_id must be 1-255 chars' });
  if (button.value !== undefined && button.value.length > LIMITS.buttonValue) out.push({ path: `${at}.value`, problem: 'value longer than 2000' });
  if (button.url !== undefined && (button.url.length > LIMITS.buttonUrl || !/^https?:\/\//.test(button.url))) {
    out.push({ path: `${at}.url`, problem: 'url must be http(s) and at most 3000 chars' });
  }
  if (button.confirm) {
    textLength(button.confirm.title, 1, LIMITS.confirmTitle, `${at}.confirm.title`, out);
    textLength(button.confirm.text, 1, LIMITS.confirmText, `${at}.confirm.text`, out);
    textLength(button.confirm.confirm, 1, LIMITS.confirmButton, `${at}.confirm.confirm`, out);
    textLength(button.confirm.deny, 1, LIMITS.confirmButton, `${at}.confirm.deny`, out);
  }
}

function textLength(text: TextObject, min: number, max: number, at: string, out: LimitViolation[]): void {
  const n = text.text.length;
  if (n < min || n > max) out.push({ path: at, problem: `${n} chars (allowed ${min}-${max})` });
}

function blockTextLength(blocks: readonly Block[]): number {
  let n = 0;
  for (const b of blocks) {
    if (b.type === 'header') n += b.text.text.length;
    if (b.type === 'section') n += (b.text?.text.length ?? 0) + (b.fields ?? []).reduce((m, f) => m + f.text.length, 0);
    if (b.type === 'context') n += b.elements.reduce((m, e) => m + e.text.length, 0);
    if (b.type === 'actions') n += b.elements.reduce((m, e) => m + (e.type === 'static_select' ? e.placeholder.text.length + e.options.reduce((k, o) => k + o.text.text.length, 0) : e.type === 'users_select' ? e.placeholder.text.length : e.text.text.length), 0);
  }
  return n;
}
