// What an OpenAI answer means to an activity, decided in one place for every OpenAI step: a value (a
// project or external key view), or a typed failure the retry policy understands.
//   408, 429, 5xx, no answer at all → retryable OpenAiUnavailable, after Retry-After when OpenAI sends one
//                                    (408 too: it is a timeout, which openai-node also retries);
//   any other non-2xx              → final OpenAiRefused naming the status, OpenAI's code and message and
//                                    the request id, so a person can quote it to OpenAI;
//   the worker's own configuration → final WorkerMisconfigured; an id of the wrong shape → final InvalidInput.
// Steps that must not repeat (a create) pass `{ once: true }`: then nothing is retryable, whatever the cause.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';
import type { ExternalKeyView, ProjectView } from '../../common/openaiViews';
import {
  AdminApiConfigError,
  AdminApiInputError,
  AdminApiProtocolError,
  type AdminListing,
  type OpenAiAnswer,
} from './adminApi';

export interface FailureOptions {
  /** The step is one attempt only (a create): never mark its failure retryable. */
  once?: boolean;
}

export interface OpenAiErrorDetail {
  code: string | null;
  message: string | null;
}

/** OpenAI echoes a masked key in 401 messages (sk-…abcd): nothing key-like goes into a run's history. */
export function redactKeys(text: string): string {
  return text.replace(/\bsk-[A-Za-z0-9_*…-]+/g, 'sk-[redacted]');
}

/** `{"error":{"code","message"}}`, OpenAI's error envelope; a bare string body is kept as the message. */
export function errorDetail(body: unknown): OpenAiErrorDetail {
  if (typeof body === 'string') return { code: null, message: body.trim() ? redactKeys(body.trim()) : null };
  const error = (body as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; message?: unknown; type?: unknown };
    const code = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : null;
    return { code, message: typeof e.message === 'string' ? redactKeys(e.message) : null };
  }
  if (typeof error === 'string') return { code: null, message: redactKeys(error) };
  return { code: null, message: null };
}

export const isSuccess = (status: number) => status >= 200 && status < 300;

/** Answers that say nothing about the request itself: try again later. */
export const isTransient = (status: number) => status === 408 || status === 429 || status >= 500;

/** `HTTP 404 not_found: The external key … was not found (request req_…)`, for messages and evidence. */
export function describeAnswer(answer: OpenAiAnswer): string {
  const { code, message } = errorDetail(answer.body);
  const said = [code, message].filter(Boolean).join(': ');
  return `HTTP ${answer.status}${said ? ` ${said}` : ''} (request ${answer.requestId ?? 'without id'})`;
}

function transientReason(status: number): string {
  if (status === 429) return `rate limited (HTTP ${status})`;
  if (status === 408) return `request timed out (HTTP ${status})`;
  return `OpenAI server error (HTTP ${status})`;
}

/** The failure for an answer that is not a 2xx. */
export function failureForAnswer(
  what: string,
  answer: OpenAiAnswer,
  options: FailureOptions = {},
): ApplicationFailure {
  const { code, message } = errorDetail(answer.body);
  const said = [code, message].filter(Boolean).join(': ');
  const tail = `${said ? ` — ${said}` : ''} (request ${answer.requestId ?? 'without id'})`;
  const details = [
    {
      httpStatus: answer.status,
      code,
      requestId: answer.requestId,
      retryAfterSeconds: answer.retryAfterSeconds,
    },
  ];
  if (isTransient(answer.status)) {
    return ApplicationFailure.create({
      type: EkmError.OpenAiUnavailable,
      message: `${what}: ${transientReason(answer.status)}${tail}`,
      nonRetryable: options.once === true,
      details,
      nextRetryDelay:
        answer.retryAfterSeconds !== null && !options.once
          ? Math.ceil(answer.retryAfterSeconds * 1000)
          : undefined,
    });
  }
  return ApplicationFailure.create({
    type: EkmError.OpenAiRefused,
    message: `${what}: OpenAI refused the request (HTTP ${answer.status})${tail}`,
    nonRetryable: true,
    details,
  });
}

/** A non-2xx answer where a value was expected; `openAiStep` turns it into `failureForAnswer`. */
export class UnexpectedAnswer extends Error {
  constructor(readonly answer: OpenAiAnswer) {
    super(`unexpected answer: ${describeAnswer(answer)}`);
  }
}

/** The failure for anything thrown while talking to OpenAI (an ApplicationFailure passes through). */
export function failureForError(what: string, err: unknown, options: FailureOptions = {}): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof UnexpectedAnswer) return failureForAnswer(what, err.answer, options);
  if (err instanceof AdminApiConfigError)
    return ApplicationFailure.create({
      type: EkmError.WorkerMisconfigured,
      message: `${what}: ${err.message}`,
      nonRetryable: true,
    });
  if (err instanceof AdminApiInputError)
    return ApplicationFailure.create({
      type: EkmError.InvalidInput,
      message: `${what}: ${err.message}`,
      nonRetryable: true,
    });
  const reason =
    err instanceof AdminApiProtocolError
      ? `an answer this client cannot read: ${err.message}`
      : `no answer from OpenAI: ${redactKeys(err instanceof Error ? err.message : String(err))}`;
  return ApplicationFailure.create({
    type: EkmError.OpenAiUnavailable,
    message: `${what}: ${reason}`,
    nonRetryable: options.once === true,
  });
}

/** Runs one OpenAI step, giving whatever goes wrong in it the type the retry policy needs. */
export async function openAiStep<T>(
  what: string,
  step: () => Promise<T>,
  options: FailureOptions = {},
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw failureForError(what, err, options);
  }
}

/** The body of a 2xx answer; anything else throws UnexpectedAnswer. */
export function expectOk(answer: OpenAiAnswer): unknown {
  if (!isSuccess(answer.status)) throw new UnexpectedAnswer(answer);
  return answer.body;
}

/** Every item of a listing; a page that was not a 2xx throws UnexpectedAnswer. */
export function expectListing(listing: AdminListing): Record<string, unknown>[] {
  if (!listing.ok) throw new UnexpectedAnswer(listing.answer);
  return listing.items;
}

function record(raw: unknown, what: string): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || typeof (raw as { id?: unknown }).id !== 'string')
    throw new AdminApiProtocolError(`${what} without an id: ${JSON.stringify(raw)?.slice(0, 200)}`);
  return raw as Record<string, unknown>;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** A project as OpenAI gives it; also the older shape (`title`, no `status`) a help article shows. */
export function toProjectView(raw: unknown): ProjectView {
  const p = record(raw, 'a project');
  const status =
    text(p.status) ?? (p.archived_at !== null && p.archived_at !== undefined ? 'archived' : 'active');
  return {
    id: p.id as string,
    name: text(p.name) ?? text(p.title) ?? '',
    status,
    externalKeyId: text(p.external_key_id) ?? null,
  };
}

/** An external key as OpenAI gives it (AWS fields when it is an AWS key). */
export function toExternalKeyView(raw: unknown): ExternalKeyView {
  const k = record(raw, 'an external key');
  const projectIds = Array.isArray(k.api_project_ids)
    ? k.api_project_ids.filter((id): id is string => typeof id === 'string')
    : [];
  return {
    id: k.id as string,
    name: text(k.name) ?? '',
    type: text(k.type) ?? 'unknown',
    ...(text(k.role_arn) ? { roleArn: text(k.role_arn) } : {}),
    ...(text(k.kms_arn) ? { kmsArn: text(k.kms_arn) } : {}),
    ...(text(k.external_id) ? { externalId: text(k.external_id) } : {}),
    projectIds,
  };
}
