// An error on its way to the dead-letter topic, with every configured secret masked. Both the message and the
// details become headers a reader of the topic sees (`sluice-error`, `sluice-error-details`), and a plugin's
// details may quote a response or a driver message that echoes what it was sent.
import type { Redactor } from '../config/redactor.js';
import { type SluiceErrorJson, toSluiceError } from '../errors.js';

export function redactError(error: unknown, redactor: Redactor): unknown {
  const e = toSluiceError(error);
  const json = e.toJSON();
  const redacted: SluiceErrorJson = redactor.value(json);
  const unchanged =
    redacted.message === json.message && JSON.stringify(redacted.details) === JSON.stringify(json.details);
  return unchanged ? e : redacted;
}
