// The shape every admin-port route has, so route groups (pipelines, offsets, dead letters, subscriptions, tap,
// query) live in their own files and the admin server only mounts lists of them. A route either returns a reply
// for the server to write as JSON, or writes the response itself (server-sent events) and returns undefined.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface AdminRequest {
  method: AdminMethod;
  /** Path parameters named in the route's path, such as `:pipeline`, already URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (undefined when there is none). */
  body: unknown;
  /** For routes that stream (tap): the raw request and response. */
  raw: { req: IncomingMessage; res: ServerResponse };
}

export interface AdminReply {
  status: number;
  body: unknown;
}

export interface AdminRoute {
  method: AdminMethod;
  /** Such as `/api/pipelines/:pipeline/pause`. */
  path: string;
  /** One line for the API reference. */
  summary: string;
  handle(req: AdminRequest): Promise<AdminReply | undefined>;
}
