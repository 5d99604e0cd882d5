// OpenAI's registration of the key, as the request names it: read by every cloud's preflight.
import type { RevokeKeyRequest } from '../../providers/requests';
import { call } from './call';

/** The registration the request names (none for a ChatGPT Enterprise request without one). */
export function readExternalKey(request: RevokeKeyRequest) {
  return request.externalKeyId
    ? call(
        'read',
        'readExternalKey',
        `read OpenAI external key ${request.externalKeyId}`,
        request.externalKeyId,
      )
    : Promise.resolve(undefined);
}
