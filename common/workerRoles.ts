// What a worker runs: all (one worker does everything); read (workflows and reads, on taskQueue); mutating
// (the changes only, on mutatingTaskQueue, with credentials that may change keys and projects).
export const workerRoles = ['all', 'read', 'mutating'] as const;
export type WorkerRole = (typeof workerRoles)[number];
