// Builds dead-letter records: the original event, untouched, with headers that say why it failed, after
// how many attempts, and where it came from.
import { type SluiceError, toSluiceError } from '../errors.js';
import type { SluiceEvent } from '../event.js';

export interface DeadLetterOrigin {
  pipeline: string;
  component: string;
  topic?: string;
  attempts?: number;
  /** The sink's subscription, for a dead letter of delivery: a redrive goes back to that sink only. */
  subscription?: string;
  /**
   * Where in the sink's path the event failed: the number of the sink's processors it had passed (equal to their
   * count when the sink itself refused it). A redrive resumes there, so no processor runs twice on one event.
   */
  step?: number;
}

export const DLQ_HEADERS = {
  error: 'sluice-error',
  code: 'sluice-error-code',
  kind: 'sluice-error-kind',
  attempts: 'sluice-attempts',
  pipeline: 'sluice-pipeline',
  component: 'sluice-component',
  topic: 'sluice-source-topic',
  id: 'sluice-source-id',
  failedAt: 'sluice-failed-at',
  details: 'sluice-error-details',
  subscription: 'sluice-subscription',
  step: 'sluice-step',
} as const;

export function deadLetter(event: SluiceEvent, error: unknown, origin: DeadLetterOrigin): SluiceEvent {
  const e: SluiceError = toSluiceError(error);
  const headers: Record<string, string> = {
    ...event.headers,
    [DLQ_HEADERS.error]: e.message,
    [DLQ_HEADERS.code]: e.code,
    [DLQ_HEADERS.kind]: e.kind,
    [DLQ_HEADERS.pipeline]: origin.pipeline,
    [DLQ_HEADERS.component]: origin.component,
    [DLQ_HEADERS.failedAt]: new Date().toISOString(),
  };
  if (origin.attempts !== undefined) headers[DLQ_HEADERS.attempts] = String(origin.attempts);
  if (origin.topic !== undefined) headers[DLQ_HEADERS.topic] = origin.topic;
  if (event.id !== undefined) headers[DLQ_HEADERS.id] = event.id;
  if (e.details !== undefined) headers[DLQ_HEADERS.details] = JSON.stringify(e.details);
  if (origin.subscription !== undefined) headers[DLQ_HEADERS.subscription] = origin.subscription;
  if (origin.step !== undefined) headers[DLQ_HEADERS.step] = String(origin.step);
  return { key: event.key, value: event.value, ts: event.ts, headers };
}
