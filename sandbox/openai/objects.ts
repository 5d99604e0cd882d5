// The data endpoints' objects in the shapes OpenAI's API answers with (its public OpenAPI spec, as the
// official `openai` package types them), so that real clients parse them: the package walks a Response's
// `output` to build `output_text`, for instance, and throws when it is missing. Only what the key
// protects is stored sealed (a response's text, a file's bytes); the rest is filled in here.
import type { StoredObject } from './state';

/** The model a stored response or batch names when its record does not say. */
export const defaultModel = 'gpt-4o-mini-2024-07-18';

/** A rough token count, so usage is plausible (about four characters a token). */
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * A stored Response from its sealed record (`{model?, input?, output_text?, status?}`): one assistant
 * message whose `output_text` content is the stored text. `output_text` itself is left out, as OpenAI
 * does: it is a convenience the SDKs compute from `output`.
 */
export function responseObject(object: StoredObject, sealed: Record<string, unknown>) {
  const text = str(sealed.output_text) ?? '';
  const input = str(sealed.input) ?? '';
  const inputTokens = tokens(input);
  const outputTokens = tokens(text);
  return {
    id: object.id,
    object: 'response' as const,
    created_at: object.createdAt,
    status: str(sealed.status) ?? 'completed',
    completed_at: object.createdAt + 1,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    max_tool_calls: null,
    model: str(sealed.model) ?? defaultModel,
    output: [
      {
        id: `msg_${object.id.replace(/^resp_/, '')}`,
        type: 'message' as const,
        status: 'completed' as const,
        role: 'assistant' as const,
        content: [{ type: 'output_text' as const, text, annotations: [], logprobs: [] }],
      },
    ],
    parallel_tool_calls: true,
    previous_response_id: null,
    prompt_cache_key: null,
    reasoning: { effort: null, summary: null },
    safety_identifier: null,
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_logprobs: 0,
    top_p: 1,
    truncation: 'disabled',
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
    user: null,
    metadata: {},
  };
}

/** A completed batch from its (unprotected) record: `{endpoint, input_file_id, output_file_id, model?}`. */
export function batchObject(object: StoredObject) {
  const m = object.metadata;
  const at = object.createdAt;
  const requests = typeof m.request_count === 'number' ? m.request_count : 1;
  return {
    id: object.id,
    object: 'batch' as const,
    endpoint: str(m.endpoint) ?? '/v1/responses',
    model: str(m.model) ?? defaultModel,
    errors: null,
    input_file_id: str(m.input_file_id) ?? null,
    completion_window: '24h',
    status: 'completed' as const,
    output_file_id: str(m.output_file_id) ?? null,
    error_file_id: null,
    created_at: at,
    in_progress_at: at,
    expires_at: at + 86400,
    finalizing_at: at,
    completed_at: at,
    failed_at: null,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts: { total: requests, completed: requests, failed: 0 },
    metadata: null,
  };
}

/** A file's metadata, which the key does not protect (its bytes are counted when it is stored). */
export function fileObject(object: StoredObject) {
  const m = object.metadata;
  return {
    id: object.id,
    object: 'file' as const,
    bytes: typeof m.bytes === 'number' ? m.bytes : 0,
    created_at: object.createdAt,
    expires_at: null,
    filename: str(m.filename) ?? `${object.id}.jsonl`,
    purpose: str(m.purpose) ?? 'batch_output',
    status: 'processed' as const,
    status_details: null,
  };
}

/** A model: OpenAI's own (`owned_by: system`) or one fine-tuned by the organisation. */
export function modelObject(id: string, created: number, ownedBy: string) {
  return { id, object: 'model' as const, created, owned_by: ownedBy };
}
