// What a cloud's configuration section tells the sandbox check (worker/sandboxLoopback.ts): each place the
// section makes the worker reach, so a sandbox worker is refused when one is not on this machine.

export interface SandboxEndpoint {
  /** The field, as the configuration error names it: ['aws', 'endpoint']. */
  path: string[];
  /** Its value as a URL; undefined when unset. */
  url: string | undefined;
  /** The sandbox's local stand-in, for the fix the error suggests. */
  example: string;
  /** What the worker reaches when the field is unset (the cloud itself); absent when unset is safe. */
  unset?: string;
}
