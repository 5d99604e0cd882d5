// The workflows the ekm worker registers.
export { inspectKey } from './inspectKey';
