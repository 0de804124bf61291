// A request the ingest server turns away, with the status to answer and the reason to tell the client.

export class RequestRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RequestRefused';
  }
}
