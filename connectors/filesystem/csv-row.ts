// One CSV row (RFC 4180 quoting within a line) into its fields. Rows are read line by line, so a quoted field
// cannot hold a line break: such a row is reported as bad input rather than silently split.

/** The fields of `line`, or a reason it is not a CSV row. */
export function csvFields(line: string, delimiter: string): string[] | { problem: string } {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote === -1) return { problem: 'a quoted field is not closed on its line' };
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i < line.length && line[i] !== delimiter) return { problem: `text after a closing quote at column ${i + 1}` };
    } else {
      const next = line.indexOf(delimiter, i);
      const end = next === -1 ? line.length : next;
      fields.push(line.slice(i, end));
      i = end;
    }
    if (i >= line.length) return fields;
    i += delimiter.length;
  }
}
