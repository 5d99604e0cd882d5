/** The task queue the ekm worker polls unless its configuration names another. */
export const defaultTaskQueue = 'ekm-lifecycle';
