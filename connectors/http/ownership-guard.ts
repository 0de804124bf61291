// A request of a write goes on the wire only while its batch is still this process's. A request can wait inside
// the client (for a free keep-alive connection, or to connect) while the event loop is blocked past the batch's
// lock; when the loop wakes, the answer that frees a connection is handled before any timer could notice the
// lapse, and the waiting request would go out after another worker was given the batch and sent it. The check
// runs where undici starts the request on its socket, so nothing of it is written once the batch is not ours.
import type { Dispatcher } from 'undici';

/** The reason a request is aborted with when its batch may be another worker's. */
export class BatchNotOwnedError extends Error {
  readonly code = 'E_HTTP_NOT_OWNED';
}

/** `agent`, with every request checked against `isOwned` at the moment it would start on a socket. */
export function ownedOnly(agent: Dispatcher, isOwned: () => boolean): Dispatcher {
  return agent.compose(
    (dispatch) => (options, handler) =>
      dispatch(options, {
        ...forward(handler),
        onRequestStart(controller, context) {
          handler.onRequestStart?.(controller, context);
          if (!isOwned()) controller.abort(new BatchNotOwnedError('the batch may belong to another worker now'));
        },
      }),
  );
}

/** The handler's callbacks, bound to it (a spread would lose its prototype's methods). */
function forward(handler: Dispatcher.DispatchHandler): Dispatcher.DispatchHandler {
  return {
    onRequestUpgrade: handler.onRequestUpgrade?.bind(handler),
    onResponseStart: handler.onResponseStart?.bind(handler),
    onResponseData: handler.onResponseData?.bind(handler),
    onResponseEnd: handler.onResponseEnd?.bind(handler),
    onResponseError: handler.onResponseError?.bind(handler),
  };
}
