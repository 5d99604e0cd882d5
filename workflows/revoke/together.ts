// Reads made at once in one activity (activities/readTogether.ts), typed as the workflow would have
// called each alone.
import type { EkmActivities, ReadCall, ReadTogetherName } from '../../activities';
import { call, type CallKind } from './call';

type Reads = Pick<EkmActivities, ReadTogetherName>;

/** One read, carrying the type of its answer. */
export type Read<T> = ReadCall & { answer?: T };

export function read<K extends ReadTogetherName>(
  name: K,
  ...args: Parameters<Reads[K]>
): Read<Awaited<ReturnType<Reads[K]>>> {
  return { read: name, args };
}

type Answers<T extends readonly Read<unknown>[]> = { [I in keyof T]: T[I] extends Read<infer A> ? A : never };

/** Every read at once; the answers in the order asked. */
export async function readAll<T extends readonly Read<unknown>[]>(
  kind: CallKind,
  summary: string,
  reads: T,
): Promise<Answers<T>> {
  const answers = await call(
    kind,
    'readTogether',
    summary,
    reads.map(({ read: name, args }) => ({ read: name, args })),
  );
  return answers as Answers<T>;
}
