// The fleet's signed record (fleet.sig.json, beside fleet.json and fleet.md): the SHA-256 of fleet.json and
// the head hash of each child's own signed evidence chain, signed with the worker's evidence key. It binds
// the fleet's account of every child's outcome to the children's records themselves: a fleet.json edited
// after it was written, or a child's chain replaced, no longer matches what was signed.
export const fleetRecordFormat = 'ekm-fleet-record/1';
export const fleetRecordFile = 'fleet.sig.json';
export const fleetStatusFile = 'fleet.json';

export interface FleetRecordChild {
  workflowId: string;
  runId: string;
  /** The head hash of the child's chain as stored when the fleet ended; null when none was stored. */
  chainHead: string | null;
}

/** What the signature covers. */
export interface FleetRecordStatement {
  format: typeof fleetRecordFormat;
  workflowId: string;
  runId: string;
  fleetJsonSha256: string;
  children: FleetRecordChild[];
}

export interface FleetRecord extends FleetRecordStatement {
  /** null when the worker had no evidence-signing key (the record then proves nothing of its writer). */
  signature: { algorithm: 'Ed25519'; fingerprint: string; value: string } | null;
}

/** The statement alone, in a fixed field order (what is signed is its canonical JSON). */
export function fleetRecordStatement(r: FleetRecordStatement): FleetRecordStatement {
  return {
    format: r.format,
    workflowId: r.workflowId,
    runId: r.runId,
    fleetJsonSha256: r.fleetJsonSha256,
    children: r.children.map((c) => ({ workflowId: c.workflowId, runId: c.runId, chainHead: c.chainHead })),
  };
}
