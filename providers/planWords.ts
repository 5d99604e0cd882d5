// What a cloud says in a plan (providers/<cloud>/plan.ts, reached through its spec): the change on its key
// and OpenAI's access to it, in its own words. The plan activities (activities/planRevocation.ts,
// planRotation.ts) add the steps every cloud shares and hash the whole, the same way for every cloud.

/** A revocation's plan up to the validate, and the words of the key steps that come after it. */
export interface RevocationPlanWords {
  /** The changes the revoke makes, in order. */
  changes: string[];
  /** What else those changes stop. */
  alsoStops: string[];
  warnings: string[];
  /** The replacement and the old key's end, in the cloud's words (the runbook around them is shared). */
  keySteps: {
    replacement: string;
    workspaceReplacement: string;
    deletion: string;
  };
}

/** A rotation's one change on the key, and what of the key's state the change depends on (hashed). */
export interface RotationPlanWords {
  change: string;
  dependsOn: unknown;
  warnings: string[];
}
