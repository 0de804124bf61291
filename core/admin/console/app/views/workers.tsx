import type { JSX } from 'preact';

export function WorkersView(): JSX.Element {
  return <p class="placeholder">Workers view: coming soon.</p>;
}
