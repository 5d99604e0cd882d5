// Independent reads made at once, failing as they failed one after the other: when several fail, the
// error is the first in the order given (a missing key before a missing role), not whichever came back
// first — so what a run is refused with does not depend on timing.
type AllAwaited<T> = { -readonly [I in keyof T]: Awaited<T[I]> };

export async function allInOrder<T extends readonly unknown[]>(work: T): Promise<AllAwaited<T>> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as AllAwaited<T>;
}
