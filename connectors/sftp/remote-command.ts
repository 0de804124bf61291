// Commands on an exec channel of the SSH connection (for SCP listings, `mv`, `mkdir -p`, and server-side
// checksums): output collected with a cap, the exit status returned, the whole run under the session deadline.
import { FatalError, RecordError, RetryableError, type SluiceError } from '../../core/errors.js';
import { FS_ERROR } from '../filesystem/file-system.js';
import { shellQuote } from './shell-quote.js';
import type { SshSession } from './ssh-session.js';

const MAX_STDERR = 4096;

export interface CommandResult {
  stdout: Buffer;
  stderr: string;
  /** Exit status; undefined when the command ended by a signal. */
  exitCode: number | undefined;
}

export async function runCommand(session: SshSession, command: string, what: string): Promise<CommandResult> {
  const stdout: Buffer[] = [];
  let stderr = '';
  let stdoutBytes = 0;
  let exitCode: number | undefined;
  let closed: Promise<void> = Promise.resolve();
  const progress = () => stdoutBytes + stderr.length;
  const channel = await session.exec(command, what, progress, (ch) => {
    closed = new Promise<void>((resolve, reject) => {
      ch.once('close', () => resolve());
      ch.once('error', reject);
    });
    // Observed below; this keeps a channel that fails after a deadline already passed from going unhandled.
    closed.catch(() => {});
    ch.on('data', (d: Buffer) => {
      stdout.push(d);
      stdoutBytes += d.length;
    });
    ch.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_STDERR) stderr += d.toString('utf8');
    });
    ch.on('exit', (code: number | null) => {
      exitCode = code ?? undefined;
    });
  });
  channel.end();
  await closed.catch((err) => {
    throw new RetryableError(`${session.settings.where}, ${what}: ${(err as Error).message}`, {
      code: FS_ERROR.unavailable,
      cause: err,
    });
  });
  if (session.isBroken && exitCode === undefined) {
    throw new RetryableError(`${session.settings.where}, ${what}: the connection dropped before the command ended`, {
      code: FS_ERROR.unavailable,
    });
  }
  return { stdout: Buffer.concat(stdout), stderr: stderr.slice(0, MAX_STDERR).trim(), exitCode };
}

/** The error for a command that ran but failed, judged by its exit status and the words on stderr. */
export function commandError(result: CommandResult, where: string, what: string): SluiceError {
  const message = `${where}, ${what}: ${result.stderr || `exit status ${result.exitCode ?? 'unknown (signal)'}`}`;
  if (result.exitCode === 127 || /command not found|not found$/m.test(result.stderr)) {
    return new FatalError(`${message}; the server cannot run this command (a shell with coreutils is needed)`, {
      code: FS_ERROR.unsupported,
    });
  }
  if (/No such file or directory/i.test(result.stderr)) return new RecordError(message, { code: FS_ERROR.notFound });
  if (/Permission denied|Operation not permitted/i.test(result.stderr)) {
    return new RecordError(message, { code: FS_ERROR.permission });
  }
  if (result.exitCode === undefined) return new RetryableError(message, { code: FS_ERROR.unavailable });
  return new RecordError(message, { code: FS_ERROR.fileError });
}

const CHECKSUM_COMMANDS: Record<string, string> = { sha256: 'sha256sum', md5: 'md5sum', sha1: 'sha1sum' };

/** Names of the checksums `remoteChecksum` can ask the server for. */
export const REMOTE_CHECKSUMS = Object.keys(CHECKSUM_COMMANDS);

/** A checksum computed by the server (`sha256sum` and friends over an exec channel), as lowercase hex. */
export async function remoteChecksum(session: SshSession, remotePath: string, algorithm: string): Promise<string> {
  const command = CHECKSUM_COMMANDS[algorithm];
  const what = `${algorithm} of ${remotePath}`;
  if (!command) {
    throw new FatalError(
      `${session.settings.where}: no server-side ${algorithm} (known: ${REMOTE_CHECKSUMS.join(', ')})`,
      {
        code: FS_ERROR.unsupported,
      },
    );
  }
  const result = await runCommand(session, `${command} -- ${shellQuote(remotePath)}`, what);
  if (result.exitCode !== 0) throw commandError(result, session.settings.where, what);
  const hex = /^\\?([0-9a-f]+)\s/.exec(result.stdout.toString('utf8'));
  if (!hex) {
    throw new RetryableError(`${session.settings.where}, ${what}: unexpected output from ${command}`, {
      code: FS_ERROR.unavailable,
    });
  }
  return hex[1];
}
