// Redrive and discard of the selected dead letters (or every one matching the filter), each in two steps: a dry
// run counts what the change would touch, then the person confirms; a discard also needs its reason, which stays
// recorded. Only dead letters still in state `dead` are touched, by the API's own rule.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';

export interface LetterRef {
  topic: string;
  id: string;
}

export interface Skipped extends LetterRef {
  reason: string;
}

/** What an action applies to: one request body per dead-letter topic (ids are per topic), or one filter. */
export interface Selection {
  bodies: Array<Record<string, unknown>>;
  /** In words: "2 selected dead letters", "every dead letter matching the filter". */
  label: string;
}

export type Verb = 'redrive' | 'discard';

export interface ActionResult {
  verb: Verb;
  changed: LetterRef[];
  skipped: Skipped[];
}

interface RedriveAnswer {
  redriven: Array<LetterRef & { to: LetterRef }>;
  skipped: Skipped[];
}

type Step =
  | { name: 'idle' }
  | { name: 'counting'; verb: Verb }
  | { name: 'confirm'; verb: Verb; count: number; skipped: Skipped[] }
  | { name: 'working'; verb: Verb };

async function redrive(selection: Selection, isDryRun: boolean): Promise<RedriveAnswer> {
  const all: RedriveAnswer = { redriven: [], skipped: [] };
  for (const body of selection.bodies) {
    const answer = await api.post<RedriveAnswer>('/api/dead-letters/redrive', { ...body, dryRun: isDryRun });
    all.redriven.push(...answer.redriven);
    all.skipped.push(...answer.skipped);
  }
  return all;
}

async function discard(selection: Selection, reason: string): Promise<LetterRef[]> {
  const done: LetterRef[] = [];
  for (const body of selection.bodies) {
    done.push(
      ...(await api.post<{ discarded: LetterRef[] }>('/api/dead-letters/discard', { ...body, reason })).discarded,
    );
  }
  return done;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function ActionBar(props: {
  selection: Selection | undefined;
  onDone: (result: ActionResult) => void;
}): JSX.Element {
  const [step, setStep] = useState<Step>({ name: 'idle' });
  const [reason, setReason] = useState('');
  const [error, setError] = useState('');
  const confirmRef = useRef<HTMLElement>(null);
  const { selection } = props;

  useEffect(() => {
    if (step.name === 'confirm') confirmRef.current?.focus();
  }, [step.name]);

  const fail = (err: unknown) => {
    setError(err instanceof ApiError ? err.message : String(err));
    setStep({ name: 'idle' });
  };

  const start = async (verb: Verb) => {
    if (!selection) return;
    setError('');
    setReason('');
    setStep({ name: 'counting', verb });
    try {
      // A dry run of a redrive names every dead letter the selection holds: those it would send and those it
      // would skip, which a discard takes too.
      const dry = await redrive(selection, true);
      const count = verb === 'redrive' ? dry.redriven.length : dry.redriven.length + dry.skipped.length;
      setStep({ name: 'confirm', verb, count, skipped: verb === 'redrive' ? dry.skipped : [] });
    } catch (err) {
      fail(err);
    }
  };

  const confirm = async (verb: Verb) => {
    if (!selection) return;
    setStep({ name: 'working', verb });
    try {
      if (verb === 'redrive') {
        const done = await redrive(selection, false);
        props.onDone({ verb, changed: done.redriven, skipped: done.skipped });
      } else {
        props.onDone({ verb, changed: await discard(selection, reason.trim()), skipped: [] });
      }
      setStep({ name: 'idle' });
    } catch (err) {
      fail(err);
    }
  };

  const isBusy = step.name === 'counting' || step.name === 'working';
  return (
    <div class="dlq-actions">
      <div class="dlq-action-buttons">
        <span>{selection ? `Selected: ${selection.label}` : 'Select dead letters to redrive or discard them.'}</span>
        <button type="button" disabled={!selection || isBusy} onClick={() => start('redrive')}>
          Redrive…
        </button>
        <button type="button" class="secondary" disabled={!selection || isBusy} onClick={() => start('discard')}>
          Discard…
        </button>
        {step.name === 'counting' && <span class="muted">Counting…</span>}
        {step.name === 'working' && <span class="muted">{step.verb === 'redrive' ? 'Redriving…' : 'Discarding…'}</span>}
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {step.name === 'confirm' && (
        <div class="panel dlq-confirm" role="dialog" aria-labelledby="dlq-confirm-title">
          {step.verb === 'redrive' ? (
            <>
              <p id="dlq-confirm-title">
                Redrive {plural(step.count, 'dead letter')} to the sink {step.count === 1 ? 'it' : 'each'} failed in?
                Each is sent once.
              </p>
              {step.skipped.length > 0 && (
                <p class="warn">
                  {plural(step.skipped.length, 'dead letter')} would be skipped: {step.skipped[0].reason}
                </p>
              )}
              <div class="dlq-action-buttons">
                <button
                  type="button"
                  ref={confirmRef as never}
                  disabled={step.count === 0}
                  onClick={() => confirm('redrive')}
                >
                  Redrive {plural(step.count, 'dead letter')}
                </button>
                <button type="button" class="secondary" onClick={() => setStep({ name: 'idle' })}>
                  Cancel
                </button>
              </div>
            </>
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                if (reason.trim() !== '') void confirm('discard');
              }}
            >
              <p id="dlq-confirm-title">
                Discard {plural(step.count, 'dead letter')}? {step.count === 1 ? 'It stays' : 'They stay'} in the topic,
                marked discarded with your reason.
              </p>
              <label class="dlq-reason">
                Reason (required)
                <textarea
                  ref={confirmRef as never}
                  name="reason"
                  required
                  rows={2}
                  value={reason}
                  onInput={(e) => setReason(e.currentTarget.value)}
                />
              </label>
              <div class="dlq-action-buttons">
                <button type="submit" disabled={step.count === 0 || reason.trim() === ''}>
                  Discard {plural(step.count, 'dead letter')}
                </button>
                <button type="button" class="secondary" onClick={() => setStep({ name: 'idle' })}>
                  Cancel
                </button>
              </div>
            </form>
          )}
        </div>
      )}
    </div>
  );
}
