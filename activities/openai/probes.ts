// The runbook's "verify data inaccessibility": read each named object with the project's own API key and
// call one endpoint the key does not protect (the model list). Each probe is classified:
//   readable — 2xx: OpenAI could still decrypt it;
//   denied   — OpenAI's refusal because the customer key is unusable: a 4xx (not 401, 404, 408 or 429)
//              whose error code or message a configured matcher recognises (default: the twin's
//              `external_key_access_denied`; OpenAI has not published its answer);
//   unknown  — everything else: our project key refused (401), an unknown object (404), 408/429/5xx, no
//              answer, a 403 no matcher knows (e.g. a restricted key lacking a scope). Unknown is never
//              denied: a wrong key or an outage must not read as a successful revocation.
// The control call shows the API answers this project's key at all, so "denied" is about the data.
// When every probe is unknown for transient reasons the round proves nothing: the attempt fails as
// OpenAiUnavailable (after Retry-After) so the retry policy tries again. Neither the project key nor the
// data read is ever returned, thrown or logged.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';
import type { ProbeKind, ProbeSpec } from '../../common/revocationRequest';
import type { ProbeResult, ProbeRound } from '../../common/openaiViews';
import { AdminApiConfigError, AdminApiInputError, assertProjectId, type OpenAiAnswer } from './adminApi';
import {
  describeAnswer,
  errorDetail,
  failureForError,
  isSuccess,
  isTransient,
  openAiStep,
  redactKeys,
} from './answers';
import { assertProbeObjectId, type DataApi } from './dataApi';

export const defaultDeniedMatchers = ['^external_key_access_denied$'];

export interface Classified {
  outcome: ProbeResult['outcome'];
  httpStatus: number | null;
  code: string | null;
  requestId: string | null;
  why: string;
  /** Unknown only because OpenAI was unavailable: worth another attempt. */
  transient: boolean;
  retryAfterSeconds: number | null;
}

/** One probe's answer (or the error that stood for it), classified by the rules above. */
export function classifyProbe(got: OpenAiAnswer | Error, denied: RegExp[]): Classified {
  if (got instanceof Error) {
    return {
      outcome: 'unknown',
      httpStatus: null,
      code: null,
      requestId: null,
      why: `no answer from OpenAI (${redactKeys(got.message)}): says nothing about the key`,
      transient: true,
      retryAfterSeconds: null,
    };
  }
  const { code, message } = errorDetail(got.body);
  const base = {
    httpStatus: got.status,
    code,
    requestId: got.requestId,
    retryAfterSeconds: got.retryAfterSeconds,
  };
  const unknown = (why: string, transient = false): Classified => ({
    ...base,
    outcome: 'unknown',
    why,
    transient,
  });
  if (isSuccess(got.status))
    return {
      ...base,
      code: null,
      outcome: 'readable',
      why: `read (HTTP ${got.status}): OpenAI could decrypt it`,
      transient: false,
    };
  if (isTransient(got.status))
    return unknown(`OpenAI unavailable (${describeAnswer(got)}): says nothing about the key`, true);
  if (got.status === 401)
    return unknown(
      `OpenAI refused the project key (${describeAnswer(got)}): says nothing about the customer key`,
    );
  if (got.status === 404)
    return unknown(
      `OpenAI does not know this object in this project (${describeAnswer(got)}): check the probe`,
    );
  const text = `${code ?? ''} ${message ?? ''}`;
  const matched =
    got.status >= 400 && got.status < 500
      ? denied.find((m) => m.test(code ?? '') || m.test(text))
      : undefined;
  if (matched)
    return {
      ...base,
      outcome: 'denied',
      why: `refused because of the customer key (${describeAnswer(got)}, matched ${String(matched)})`,
      transient: false,
    };
  return unknown(`an answer no matcher recognises (${describeAnswer(got)})`);
}

function compile(matchers: string[]): RegExp[] {
  return matchers.map((m, i) => {
    try {
      return new RegExp(m, 'i');
    } catch (err) {
      // Thrown when the worker assembles its activities: a bad pattern must stop it, not a run.
      throw new Error(
        `denied matcher ${i} (${JSON.stringify(m)}) is not a regular expression: ${(err as Error).message}`,
      );
    }
  });
}

function read(dataApi: DataApi, projectId: string, kind: ProbeKind, id: string): Promise<OpenAiAnswer> {
  switch (kind) {
    case 'file':
      return dataApi.getFileContent(projectId, id);
    case 'response':
      return dataApi.getResponse(projectId, id);
    case 'model':
      return dataApi.getModel(projectId, id);
  }
}

export function probeProjectDataActivity(dataApi: DataApi, deniedMatchers: string[] = defaultDeniedMatchers) {
  const denied = compile(deniedMatchers);

  return async function probeProjectData({
    projectId,
    probes,
  }: {
    projectId: string;
    probes: ProbeSpec[];
  }): Promise<ProbeRound> {
    const what = `probe project ${projectId}`;
    // Input first, before any call: a probe of another project, or one that could never be denied, is a
    // mistake in the run's input, not an outcome.
    await openAiStep(what, async () => {
      assertProjectId(projectId);
      for (const p of probes) {
        if (p.projectId !== projectId)
          throw new AdminApiInputError(`probe ${p.kind} ${p.id} belongs to ${p.projectId}, not ${projectId}`);
        assertProbeObjectId(p.kind, p.id);
      }
    });

    /** The answer, or the network error that stands for it; the worker's own mistakes stop the round. */
    const attempt = async (send: () => Promise<OpenAiAnswer>): Promise<OpenAiAnswer | Error> => {
      try {
        return await send();
      } catch (err) {
        if (err instanceof AdminApiConfigError || err instanceof AdminApiInputError)
          throw failureForError(what, err);
        return err instanceof Error ? err : new Error(String(err));
      }
    };

    const at = new Date().toISOString();
    const classified: { spec: ProbeSpec; c: Classified }[] = [];
    // One at a time: rate limits on the data plane would otherwise turn a round into a row of 429s.
    for (const spec of probes) {
      const c = classifyProbe(await attempt(() => read(dataApi, projectId, spec.kind, spec.id)), denied);
      classified.push({ spec, c });
    }
    const control = await attempt(() => dataApi.listModels(projectId));

    if (classified.length > 0 && classified.every(({ c }) => c.transient)) {
      const waits = classified.map(({ c }) => c.retryAfterSeconds).filter((s): s is number => s !== null);
      throw ApplicationFailure.create({
        type: EkmError.OpenAiUnavailable,
        message: `${what}: every probe was unknown because OpenAI was unavailable: ${classified
          .map(({ spec, c }) => `${spec.kind} ${spec.id}: ${c.why}`)
          .join('; ')}`,
        nextRetryDelay: waits.length ? Math.ceil(Math.max(...waits) * 1000) : undefined,
      });
    }

    return {
      projectId,
      at,
      probes: classified.map(({ spec, c }) => ({
        projectId: spec.projectId,
        kind: spec.kind,
        id: spec.id,
        outcome: c.outcome,
        httpStatus: c.httpStatus,
        code: c.code,
        requestId: c.requestId,
        why: c.why,
      })),
      control:
        control instanceof Error
          ? {
              ok: false,
              httpStatus: null,
              requestId: null,
              why: `no answer from OpenAI (${redactKeys(control.message)})`,
            }
          : {
              ok: isSuccess(control.status),
              httpStatus: control.status,
              requestId: control.requestId,
              why: isSuccess(control.status)
                ? `GET /models answered HTTP ${control.status}: the API answers this project's key`
                : `GET /models did not answer 2xx (${describeAnswer(control)}): a "denied" probe may not be about the key`,
            },
    };
  };
}
