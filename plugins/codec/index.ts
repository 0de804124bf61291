// The built-in codec processors, in the order `sluice plugins` lists them.
import type { Plugin } from '../../core/plugin.js';
import avro from './avro.js';
import base64 from './base64.js';
import csv from './csv.js';
import json from './json.js';
import lines from './lines.js';
import msgpack from './msgpack.js';
import ndjson from './ndjson.js';
import protobuf from './protobuf.js';
import text from './text.js';

export const codecPlugins: Plugin[] = [json, ndjson, csv, msgpack, avro, protobuf, text, lines, base64];
