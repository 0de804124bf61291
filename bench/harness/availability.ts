// What the bench can measure on this checkout: a scenario whose plugin or driver has not landed says so and is
// skipped, rather than measuring something else under its name.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtins } from '../../builtins.js';

/** The built-in plugins among `names` that this checkout does not have. */
export function missingPlugins(...names: string[]): string[] {
  const have = new Set(builtins.map((p) => `${p.kind}:${p.name}`));
  return names.filter((n) => !have.has(n));
}

/** Why `sluice run|worker` cannot use Redis yet, or undefined when it can. */
export function redisCliMissing(): string | undefined {
  const drivers = fileURLToPath(new URL('../../core/cli/redis-drivers.ts', import.meta.url));
  return existsSync(drivers) ? undefined : 'the CLI has no Redis drivers yet (core/cli/redis-drivers.ts is missing)';
}

export function skipReason(plugins: string[], needsRedisCli = false): string | undefined {
  const missing = missingPlugins(...plugins);
  const reasons = [];
  if (missing.length > 0) reasons.push(`plugins not built in yet: ${missing.join(', ')}`);
  if (needsRedisCli) {
    const r = redisCliMissing();
    if (r) reasons.push(r);
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}
