// The bundle the tests' workers run: the product's workflows and the harness's own.
export * from '../../workflows';
export * from './harness';
export * from './approvalReplay';
