/** Live updates without reloading: a read repeated after each completes, until the view that started it goes. */

/** Runs `read` now and every `intervalMs` after each run ends, until the returned stop is called. */
export function every(intervalMs: number, read: () => Promise<boolean | undefined>): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    if (stopped) return;
    let done: boolean | undefined;
    try {
      done = await read();
    } catch (error) {
      // A view shows its own errors; one failed read does not stop the updates.
      console.warn("update failed", error);
    }
    if (!stopped && done !== true) timer = setTimeout(run, intervalMs);
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
