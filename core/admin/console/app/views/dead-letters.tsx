import type { JSX } from 'preact';

export function DeadLettersView(): JSX.Element {
  return <p class="placeholder">Dead letters view: coming soon.</p>;
}
