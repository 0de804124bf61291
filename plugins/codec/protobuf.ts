// Protocol Buffers messages ↔ values, with the message type taken from a .proto file (or inline .proto text).
// 64-bit integers are decimal text by default, because a JSON number cannot hold them exactly.
import { resolve } from 'node:path';
import protobuf from 'protobufjs';
import { ConfigError } from '../../core/errors.js';
import { type SluiceEvent, withValue } from '../../core/event.js';
import { defineProcessor, eachRecordSync, recordError, z } from '../../core/plugin.js';
import { messageProblem } from './protobuf-value-check.js';

const config = z
  .object({
    action: z
      .enum(['decode', 'encode'])
      .default('decode')
      .describe('decode: Protobuf bytes become the message as an object; encode: each value becomes Protobuf bytes.'),
    protoFile: z
      .string()
      .optional()
      .describe('Path of the .proto file (relative to the pipeline file); its imports are found beside it.'),
    proto: z.string().optional().describe('The .proto definitions inline, instead of protoFile.'),
    messageType: z.string().min(1).describe('Fully qualified message type of every event, such as gps.Position.'),
    longs: z
      .enum(['string', 'number'])
      .default('string')
      .describe('decode: 64-bit integers as decimal text (exact) or as numbers (inexact beyond 2^53).'),
    enums: z.enum(['string', 'number']).default('string').describe('decode: enum values as their names or numbers.'),
    defaults: z
      .boolean()
      .default(true)
      .describe('decode: include fields that are not set, with their default values (unset messages are null).'),
    fieldNames: z
      .enum(['proto', 'camelCase'])
      .default('proto')
      .describe('Field names as written in the .proto file, or converted to lowerCamelCase.'),
  })
  .refine((c) => (c.protoFile === undefined) !== (c.proto === undefined), {
    message: 'give the message definitions as exactly one of protoFile or proto',
  });

function messageTypes(namespace: protobuf.NamespaceBase): string[] {
  return namespace.nestedArray.flatMap((nested) => [
    ...(nested instanceof protobuf.Type ? [nested.fullName.replace(/^\./, '')] : []),
    ...(nested instanceof protobuf.Namespace ? messageTypes(nested) : []),
  ]);
}

function loadType(c: z.output<typeof config>, baseDir: string): protobuf.Type {
  const options = { keepCase: c.fieldNames === 'proto' };
  let root: protobuf.Root;
  try {
    root = c.protoFile
      ? new protobuf.Root().loadSync(resolve(baseDir, c.protoFile), options)
      : protobuf.parse(c.proto ?? '', options).root;
    root.resolveAll();
  } catch (err) {
    const source = c.protoFile ? `protoFile ${resolve(baseDir, c.protoFile)}` : 'proto';
    throw new ConfigError(`protobuf: cannot read ${source}: ${(err as Error).message}`, { cause: err });
  }
  const found = root.lookup(c.messageType);
  if (!(found instanceof protobuf.Type)) {
    const known = messageTypes(root).sort();
    throw new ConfigError(
      `protobuf: message type ${c.messageType} is not defined; the definitions hold ${known.join(', ') || 'no messages'}`,
    );
  }
  return found;
}

export default defineProcessor({
  name: 'protobuf',
  summary: 'Decode Protocol Buffers messages into objects, or encode objects as messages of a .proto type.',
  config,
  create: (c, ctx) => {
    const type = loadType(c, ctx.baseDir);
    const conversion: protobuf.IConversionOptions = {
      longs: c.longs === 'string' ? String : Number,
      enums: c.enums === 'string' ? String : undefined,
      defaults: c.defaults,
      arrays: true,
      objects: true,
    };

    const decode = (event: SluiceEvent): SluiceEvent => {
      if (!(event.value instanceof Uint8Array)) {
        throw recordError('protobuf decode: expected bytes; Protobuf is a binary format', undefined, 'E_DECODE');
      }
      try {
        return withValue(event, type.toObject(type.decode(event.value), conversion));
      } catch (err) {
        const message = `protobuf decode: value is not a ${type.name} message (${(err as Error).message})`;
        throw recordError(message, err, 'E_DECODE');
      }
    };

    const encode = (event: SluiceEvent): SluiceEvent => {
      const { value } = event;
      if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
        throw recordError(`protobuf encode: value must be an object of ${type.name} fields`, undefined, 'E_ENCODE');
      }
      const problem = messageProblem(type, value as Record<string, unknown>);
      if (problem) {
        throw recordError(`protobuf encode: ${type.name}.${problem.path}: ${problem.message}`, undefined, 'E_ENCODE');
      }
      try {
        return withValue(event, type.encode(type.fromObject(value as Record<string, unknown>)).finish());
      } catch (err) {
        throw recordError(
          `protobuf encode: value cannot be written as ${type.name} (${(err as Error).message})`,
          err,
          'E_ENCODE',
        );
      }
    };

    const one = c.action === 'decode' ? decode : encode;
    return { process: (batch) => eachRecordSync(batch, one) };
  },
});
