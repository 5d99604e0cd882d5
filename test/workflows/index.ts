// The bundle the tests' workers run: the product's workflows and the harness's own.
export * from '../../workflows';
export * from './harness';
export * from './forgeEvidence';
export * from './cancelDeletionOutsideWatch';
export * from './lockRoleFromElsewhere';
export * from './approvalReplay';
