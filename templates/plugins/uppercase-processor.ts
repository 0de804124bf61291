// A processor plugin to start from. Name it in a pipeline file:
//   plugins: [./uppercase-processor.ts]
//   pipelines: { p: { ..., processors: [ { type: uppercase, field: name } ] } }
import { defineProcessor, eachRecordSync, RecordError, withValue, z } from 'sluice';

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
