// View models: what a chat message says, platform-neutral. Handlers build them; the Slack and
// Teams renderers only lay them out. They are stored as JSON in the outbox, so every one has a
// zod schema and the types flow from it. Times are ISO strings; renderers format them.
import { z } from 'zod';
import { CAUSES } from '../causes.ts';
import { STATES } from '../states.ts';
import { PLATFORMS } from '../permissions.ts';
import { phraseSchema } from './phrase.ts';

const iso = z.string();
export const personSchema = z.object({ platform: z.enum(PLATFORMS), userId: z.string(), name: z.string().optional() });
export type Person = z.infer<typeof personSchema>;

const stepSchema = z.object({ by: personSchema, at: iso });
export type StepDone = z.infer<typeof stepSchema>;

/** A reconnect link sent by direct message: to whom, when, until when it works. */
export const linkSentSchema = z.object({ to: personSchema, at: iso, expiresAt: iso });
export type LinkSent = z.infer<typeof linkSentSchema>;

export const ALERT_BUTTONS = ['disconnect', 'reconnect', 'confirmXero', 'sendLink'] as const;
export type AlertButton = (typeof ALERT_BUTTONS)[number];

/** The way out the alert points at (DESIGN.md section 2.1). */
export const REPAIR_PATHS = ['reconnect', 'full_reset', 'operator', 'resolved'] as const;
export type RepairPath = (typeof REPAIR_PATHS)[number];

export const alertViewSchema = z.object({
  type: z.literal('alert'),
  incidentId: z.string(),
  connectionId: z.string(),
  tenantName: z.string(),
  cause: z.enum(CAUSES),
  /** "Xero connection revoked", short, for the header after the organisation name. */
  headline: z.string(),
  /** The cause in plain words. */
  explanation: z.string(),
  /** What to do now, given the cause and the steps already done: plain words (fallback text). */
  nextStep: z.string(),
  /** The same next step with its people and times kept apart, for the renderers. */
  next: phraseSchema.optional(),
  /** Which way out: one reconnect, the full reset, the operator's fix; resolved once done. */
  path: z.enum(REPAIR_PATHS).default('full_reset'),
  /** What is already in motion: who holds a reconnect link, since when. */
  inMotion: z.array(phraseSchema).default([]),
  linksSent: z.array(linkSentSchema).default([]),
  since: iso,
  connectedBy: personSchema,
  lastGoodCheck: iso.optional(),
  xeroError: z.string().optional(),
  httpStatus: z.number().optional(),
  steps: z.object({
    disconnectedHere: stepSchema.optional(),
    confirmedInXero: stepSchema.optional(),
    reconnectRequested: stepSchema.optional(),
    reconnected: stepSchema.optional(),
  }),
  resolved: z.object({ at: iso, recoveredAfterMs: z.number(), by: personSchema.optional() }).optional(),
  /** Buttons still worth showing, in order. Empty once resolved. */
  buttons: z.array(z.enum(ALERT_BUTTONS)),
  /** Who said "I'm on it", and since when. */
  owner: stepSchema.optional(),
  /** Reminders wait until `until`; set only while the snooze lasts. */
  snoozed: z.object({ until: iso, by: personSchema }).optional(),
  /** "What fixed it?", once someone wrote it. */
  note: z.object({ text: z.string(), by: personSchema, at: iso }).optional(),
  /** Ownership, snooze and note buttons, laid out after the repair buttons. */
  lifecycleButtons: z.array(z.enum(['own', 'snooze', 'note'])).optional(),
});
export type AlertView = z.infer<typeof alertViewSchema>;

/** Many definite breaks at once: one message with a row per organisation. */
export const summaryViewSchema = z.object({
  type: z.literal('summary'),
  title: z.string(),
  text: z.string(),
  rows: z.array(
    z.object({ incidentId: z.string(), connectionId: z.string(), tenantName: z.string(), cause: z.enum(CAUSES), explanation: z.string(), resolved: z.boolean() }),
  ),
  /** Rows beyond what one message may show. */
  more: z.number().int().nonnegative(),
});
export type SummaryView = z.infer<typeof summaryViewSchema>;

/** Many transient failures together (Xero down), or its recovery. */
export const noticeViewSchema = z.object({
  type: z.literal('notice'),
  tone: z.enum(['info', 'warning', 'danger', 'good']),
  title: z.string(),
  text: z.string(),
  /** Organisation names, when the notice is about several. */
  organisations: z.array(z.string()).default([]),
});
export type NoticeView = z.infer<typeof noticeViewSchema>;

export const statusRowSchema = z.object({
  connectionId: z.string(),
  tenantName: z.string(),
  state: z.enum(STATES),
  since: iso,
  lastGoodCheck: iso.optional(),
  connectedBy: personSchema,
  tokenAgeMs: z.number().optional(),
  cause: z.enum(CAUSES).optional(),
  /** The cause in a few words, naming a missing permission when the scopes tell it. */
  causeHeadline: z.string().optional(),
  /** The open incident's owner ("I'm on it") and since when. */
  owner: stepSchema.optional(),
  /** The open incident's reminders wait until then. */
  snoozedUntil: iso.optional(),
});
export type StatusRow = z.infer<typeof statusRowSchema>;

export const statusViewSchema = z.object({
  type: z.literal('status'),
  /** "12 connections: 10 connected, 1 broken, 1 paused" */
  summary: z.string(),
  counts: z.record(z.enum(STATES), z.number()),
  /** Broken first, then degraded, reconnecting, paused, disconnected, connected; by name within each. */
  rows: z.array(statusRowSchema),
  /** Shown to admins only: trouble for the operator to fix (an events endpoint that stopped taking events). */
  operatorNotes: z.array(z.string()).optional(),
});
export type StatusView = z.infer<typeof statusViewSchema>;

export const errorsViewSchema = z.object({
  type: z.literal('errors'),
  title: z.string(),
  rows: z.array(
    z.object({
      /** The newest of the folded rows. */
      at: iso,
      /** The oldest of the folded rows, when several identical ones were folded into this one. */
      from: iso.optional(),
      count: z.number().int().positive().default(1),
      tenantName: z.string(),
      /** What went wrong, in plain words ("Xero said the app was removed"). */
      reason: z.string().default('Unknown problem'),
      /** The raw detail behind the reason (operation, Xero's status and words), for whoever digs. */
      detail: z.string().optional(),
      operation: z.string(),
      httpStatus: z.number().optional(),
      xeroError: z.string().optional(),
      cause: z.enum(CAUSES).optional(),
      /** A resolution note ("What fixed it?") and who wrote it, listed among the errors it answers. */
      note: z.string().optional(),
      by: personSchema.optional(),
    }),
  ),
});
export type ErrorsView = z.infer<typeof errorsViewSchema>;

/** A direct message carrying a single-use link (connect or reconnect). */
export const linkViewSchema = z.object({
  type: z.literal('link'),
  purpose: z.enum(['connect', 'reconnect']),
  text: z.string(),
  rich: phraseSchema.optional(),
  buttonText: z.string(),
  url: z.string(),
  expiresAt: iso,
});
export type LinkView = z.infer<typeof linkViewSchema>;

/** Plain answers: help, confirmations, thread replies, refusals. */
export const textViewSchema = z.object({
  type: z.literal('text'),
  tone: z.enum(['info', 'warning', 'danger', 'good']).default('info'),
  title: z.string().optional(),
  text: z.string(),
  /** The same text with its people and times kept apart, when it names any. */
  rich: phraseSchema.optional(),
  /** Lines shown as a list under the text (help, candidates). */
  lines: z.array(z.string()).default([]),
  /** A button that makes the channel the message is in the alert channel (the `here` command). */
  useChannelButton: z.string().optional(),
});
export type TextView = z.infer<typeof textViewSchema>;

export const viewSchema = z.discriminatedUnion('type', [
  alertViewSchema,
  summaryViewSchema,
  noticeViewSchema,
  statusViewSchema,
  errorsViewSchema,
  linkViewSchema,
  textViewSchema,
]);
export type View = z.infer<typeof viewSchema>;
