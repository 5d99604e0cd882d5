// A failure from Temporal says "Activity task failed" or "Workflow execution failed"; a person needs the
// reason underneath: the deepest non-empty message in the cause chain.
export function rootMessage(err: unknown): string {
  let message = String(err);
  for (
    let e = err as { message?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 10;
    depth++
  ) {
    if (e.message) message = e.message;
    e = e.cause as typeof e;
  }
  return message;
}
