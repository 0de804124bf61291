// How a route group answers: 200 with the result; 400 with the message for a request to fix (a config-kind
// error); 500 with the message for a failure of the fleet. Messages are the errors' own, which carry no secrets.
import { errorKind, toSluiceError } from '../errors.js';
import type { AdminReply } from './admin-route.js';

export async function answer(work: () => Promise<unknown>): Promise<AdminReply> {
  try {
    return { status: 200, body: await work() };
  } catch (err) {
    const e = toSluiceError(err);
    return { status: errorKind(err) === 'config' ? 400 : 500, body: { error: e.message, code: e.code } };
  }
}
