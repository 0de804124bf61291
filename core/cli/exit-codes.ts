// What `sluice` exits with, so scripts and supervisors can tell failures apart.
export const EXIT = {
  ok: 0,
  /** A pipeline stopped on a fatal error, or the runtime failed. */
  failure: 1,
  /** The configuration is invalid; nothing was started. */
  config: 2,
  /**
   * An embedded run ended with events lost: stored events its sinks had not acknowledged when it stopped, or dead
   * letters that could not be written to their file.
   */
  lost: 3,
  /** A second signal cut the graceful shutdown short (128 + SIGINT). */
  interrupted: 130,
} as const;
