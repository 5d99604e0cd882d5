// The workflows the ekm worker registers.
export { inspectKey } from './inspectKey';
export { restoreAccess } from './restoreAccess';
export { revokeKey } from './revokeKey';
export { roleLock } from './roleLock';
export { roleQueue } from './roleQueue';
export { rotateKey } from './rotateKey';
export { sweepEndedRuns } from './sweepEndedRuns';
export { verifyKeyUsage } from './verifyKeyUsage';
export { watchKeyDeletion } from './watchKeyDeletion';
export { revokeFleet } from './revokeFleet';
// Each type's Worker Versioning behavior, declared on the functions above.
import './versioningBehaviors';
