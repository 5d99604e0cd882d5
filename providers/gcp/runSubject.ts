// A run on a Cloud KMS key, as its record names it: the key's resource name and OpenAI's IAM principal.
import type { RunSubjectCommon } from '../../common/runSubject';

export interface GcpRunSubject extends RunSubjectCommon {
  provider: 'gcp';
  /** projects/…/locations/…/keyRings/…/cryptoKeys/… */
  keyName: string;
  /** OpenAI's IAM principal, as the key's binding names it. */
  principal: string;
}
