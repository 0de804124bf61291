// Runs the `sluice` command from source (as bin/sluice.js does from dist/), for tests that spawn it.
import { builtins } from '../../builtins.js';
import { main } from '../../core/cli/main.js';

await main(process.argv, builtins);
