// The workflows the ekm worker registers.
export { inspectKey } from './inspectKey';
export { revokeKey } from './revokeKey';
export { roleLock } from './roleLock';
