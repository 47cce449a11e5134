// @ts-check
/**
 * A page request never waits forever: after `timeoutMs()` without an answer it is sent again
 * (`retries` times), then the view gives up and says so (and keeps listening: a late answer still
 * renders). Used by the span view; the kernel may be busy, restarted, unreachable, or absent (a
 * saved notebook / static HTML export has no kernel at all).
 */

/**
 * @param {{ timeoutMs: () => number, retries: number,
 *           onRetry: (attempt: number) => void, onGiveUp: () => void }} opts
 */
export function createPageWatch(opts) {
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let attempt = 0;
  let gaveUp = false;

  const stop = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const arm = () => {
    stop();
    timer = setTimeout(() => {
      timer = null;
      if (attempt < opts.retries) {
        attempt += 1;
        opts.onRetry(attempt); // sends the request again, which calls sent(true)
      } else {
        gaveUp = true;
        opts.onGiveUp();
      }
    }, Math.max(50, opts.timeoutMs()));
  };

  return {
    /** A request went out; `retry` is true when it repeats an unanswered one. */
    sent(retry = false) {
      if (!retry) {
        attempt = 0;
        gaveUp = false;
      }
      arm();
    },
    /** An answer (page or error) arrived. */
    answered() {
      stop();
      attempt = 0;
      gaveUp = false;
    },
    /** True after the last retry went unanswered. */
    get gaveUp() {
      return gaveUp;
    },
    dispose: stop,
  };
}
