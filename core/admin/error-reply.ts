// How a route group answers: 200 with the result; 404 or 409 for the codes that mean "no such thing" or "not
// now, it is in use"; 400 with the message for another request to fix (a config-kind error); 500 with the
// message for a failure of the fleet. Messages are the errors' own, which carry no secrets.
import { errorKind, toSluiceError } from '../errors.js';
import type { AdminReply } from './admin-route.js';

/** Codes a client acts on differently from "fix your request": it names something absent, or something busy. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  E_NO_SUBSCRIPTION: 404,
  E_SUBSCRIPTION_IN_USE: 409,
};

export async function answer(work: () => Promise<unknown>): Promise<AdminReply> {
  try {
    return { status: 200, body: await work() };
  } catch (err) {
    const e = toSluiceError(err);
    const status = STATUS_OF_CODE[e.code] ?? (errorKind(err) === 'config' ? 400 : 500);
    return { status, body: { error: e.message, code: e.code } };
  }
}
