// The options every command that talks to a fleet's Redis takes, spelled once.
import { Option } from 'commander';

export const redisOption = () =>
  new Option('--redis <url>', 'Redis URL (overrides `redis:` in the files)').env('SLUICE_REDIS');
export const prefixOption = () => new Option('--prefix <prefix>', 'key prefix of the deployment').default('sluice');
