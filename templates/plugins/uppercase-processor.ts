// A processor plugin to start from. Name it in a pipeline file:
//   plugins: [./uppercase-processor.ts]
//   pipelines: { p: { ..., processors: [ { type: uppercase, field: name } ] } }
// Plugins import only the public SDK: in a project of your own, `from 'sluice'`.
import { RecordError } from '../../core/errors.js';
import { withValue } from '../../core/event.js';
import { defineProcessor, eachRecordSync, z } from '../../core/plugin.js';

export default defineProcessor({
  name: 'uppercase',
  summary: 'Upper-case one text field of each event value.',
  config: z.object({
    field: z.string().min(1).describe('Name of the field of the event value to upper-case.'),
  }),
  create: ({ field }) => ({
    // Return new events; never change the batch you were given.
    process: (batch) =>
      eachRecordSync(batch, (event) => {
        const value = event.value as Record<string, unknown> | null;
        if (value === null || typeof value !== 'object' || typeof value[field] !== 'string') {
          throw new RecordError(`value has no text field "${field}"`);
        }
        return withValue(event, { ...value, [field]: (value[field] as string).toUpperCase() });
      }),
  }),
});
