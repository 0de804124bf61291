import type { JSX } from 'preact';

export function PipelinesView(): JSX.Element {
  return <p class="placeholder">Pipelines view: coming soon.</p>;
}
