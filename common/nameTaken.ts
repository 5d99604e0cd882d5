// What a run found under a name it gives but could not prove it made: the candidates a person chooses
// from when the run stops (`ekm resolve --adopt <id>`), carried in the NameTaken failure's details.
export interface Candidate<T = unknown> {
  /** What a person names to adopt it: a key ARN, an external key or project id, a role or key name. */
  id: string;
  /** What it is and why it is not provably this run's, in a sentence. */
  description: string;
  /** What the run uses if a person adopts it. */
  value: T;
}

export interface NameTakenDetails {
  name: string;
  candidates: Candidate[];
}
