// How a cloud's keys appear on the command line (providers/<cloud>/cli.ts): the flags that name a key and
// OpenAI at it, their help, how they become the key fields of a request, and what the CLI asks the worker
// before a start. Node side only (client/ imports it); the commands never test which cloud they are on.
import type { Client } from '@temporalio/client';
import type { KeyFlags } from '../client/keyFlags';
import type { RunSubject } from './runSubject';
import type { WatchedKey } from './watchRequests';
import type { SharedRevokeFields } from '../client/revokeFlags';
import type { RevokeKeyInput } from './requests';
import type { ProviderId } from './provider';

/** A commander option: its flags and its help text. */
export interface FlagHelp {
  flags: string;
  description: string;
}

/** The fields of a request that name the key and OpenAI at it (the rest comes from the shared flags). */
export type KeySubject = Pick<RunSubject, 'provider'> &
  (
    | { provider: 'aws'; keyArn: string; roleArn: string }
    | { provider: 'gcp'; keyName: string; principal: string }
  );

export interface CloudCli {
  id: ProviderId;
  /** The flag that names a key of this cloud ("--key", "--key-name"). */
  keyFlag: string;
  /** How help texts listing every cloud label this cloud's part ("AWS", "GCP"). */
  helpLabel: string;
  /** The schemas' key fields → this cloud's flags. */
  flagOfField: Record<string, string>;
  /** This cloud's flags on the other commands that take a key, in each command's wording. */
  keyOptions: {
    /** `ekm rotate`, `ekm usage`, `ekm schedule usage`: the key. */
    key: FlagHelp;
    /** `ekm rotate`, `ekm usage`: OpenAI at the key. */
    principal: FlagHelp;
    /** `ekm schedule usage`: OpenAI at the key, named beside the key flag. */
    principalBesideKey: FlagHelp;
    /** `ekm schedule watch`: a key pending deletion. */
    keyPendingDeletion: FlagHelp;
    /** `ekm key inspect`: the key to read. */
    keyToInspect: FlagHelp;
  };
  /** This cloud's key and principal options of `ekm revoke plan|start`. */
  revokeOptions: readonly FlagHelp[];
  /** Whether the flags name a key of this cloud (its key flag is given). */
  namesKey(flags: KeyFlags): boolean;
  /** "--key (with --role) for an AWS KMS key": this cloud's part of "give exactly one" of the key flags. */
  keyChoice(needsOpenAi: boolean): string;
  /** Refuses the other clouds' principal flag, and (with `needsOpenAi`) a missing one of this cloud. */
  checkKeyFlags(flags: KeyFlags, needsOpenAi: boolean): void;
  /** The key as given, checked as a reference to a key of this cloud (a usage error naming the flag). */
  keyRefOf(flags: KeyFlags): string;
  /** A key that checks like the one `keyRef` will resolve to, so flags are checked before Temporal is. */
  standInKey(keyRef: string, flags: KeyFlags): string;
  /** The key as the cloud's requests name it: resolved on the worker when the reference is not final. */
  resolveKey(client: Client, taskQueue: string, keyRef: string, startedBy: string): Promise<string>;
  /** The request's key field alone (`keyArn`, `keyName`). */
  keyFields(key: string): WatchedKey;
  /** The request's key and principal fields. */
  subjectFields(key: string, flags: KeyFlags): KeySubject;
  /** `ekm rotate` on this cloud: its label in the help, what "now" does, the days a period may be. */
  rotation: { label: string; now: string; periodDays: { min: number; max: number } };
  /**
   * `ekm revoke`'s checks of this cloud's flags, then the request (its key maybe a stand-in until
   * resolved); `shared` reads the flags every cloud shares, after this cloud's own are checked.
   */
  revokeRequest(
    flags: KeyFlags,
    shared: () => SharedRevokeFields,
  ): { input: RevokeKeyInput; keyRef: string; needsResolution: boolean };
  /** Says what a change on this cloud waits for beside its key's own id (AWS: a turn on the role, when the method edits it). */
  awaitLocks(client: Client, request: KeySubject, startingAs: string): Promise<void>;
}
