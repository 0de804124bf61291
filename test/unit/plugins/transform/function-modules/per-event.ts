// A function processor module: one event in, zero, one or several out, by what the value asks for.
import { RetryableError } from '../../../../../core/errors.js';
import type { SluiceEvent } from '../../../../../core/event.js';

export default function perEvent(event: SluiceEvent): unknown {
  switch (event.value) {
    case 'drop':
      return null;
    case 'twice':
      return [
        { ...event, value: 'one' },
        { ...event, value: 'two' },
      ];
    case 'throw':
      throw new Error('cannot handle this one');
    case 'retry':
      throw new RetryableError('the lookup service is down');
    case 'forget':
      return undefined;
    case 'number':
      return 42;
    case 'bad-key':
      return { ...event, key: 7 };
    case 'bare':
      return { value: 'only a value' };
    default:
      return { ...event, value: { original: event.value, seenBy: 'per-event' } };
  }
}
