import type { JSX } from 'preact';

export function TapView(): JSX.Element {
  return <p class="placeholder">Tap view: coming soon.</p>;
}
