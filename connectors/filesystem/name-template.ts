// Folder and file names with placeholders, shared by the source's moveTo/failedTo and the sink's fileName:
// {yyyy} {mm} {dd} {hh} and {date} (yyyy-mm-dd) in UTC, plus whatever fields the caller passes ({topic} …).
// Values are made safe for one path segment, so an id or a topic name cannot add or climb folders, nor name
// the folder itself or its parent (`.`, `..`).

export function fillTemplate(template: string, fields: Record<string, string>, at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const all: Record<string, string> = {
    yyyy: String(at.getUTCFullYear()),
    mm: pad(at.getUTCMonth() + 1),
    dd: pad(at.getUTCDate()),
    hh: pad(at.getUTCHours()),
    date: `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`,
    ...fields,
  };
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in all ? safeSegment(all[name] as string) : whole,
  );
}

/** A value as part of one path segment: no separators, and never `.` or `..`, which would name a folder. */
function safeSegment(value: string): string {
  const safe = value.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^\.+$/.test(safe) ? safe.replace(/\./g, '_') : safe;
}

/** Placeholders in `template` that `known` does not have, for config errors. */
export function unknownPlaceholders(template: string, known: readonly string[]): string[] {
  const names = new Set(['yyyy', 'mm', 'dd', 'hh', 'date', ...known]);
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string).filter((n) => !names.has(n));
}
