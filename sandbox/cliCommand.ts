// How the project's own output names the ekm command line: the executable wrapper at the project's root
// (`./ekm`), as a path from where the user stands. Not `npx ekm`: npx runs concurrent invocations one after
// another, so a responder scripting several keys at once would wait on npx rather than on the runs.
import * as path from 'node:path';

/** The `ekm` command as typed in a shell standing in `cwd`: `./ekm`, or `../clone/ekm`, quoted if need be. */
export function directCli(projectRoot: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, path.join(projectRoot, 'ekm'));
  // A bare name would be looked up on PATH; a path with a slash is run as it stands.
  const command = relative.includes(path.sep) ? relative : `.${path.sep}${relative}`;
  return /^[\w./-]+$/.test(command) ? command : `'${command.replace(/'/g, `'\\''`)}'`;
}
