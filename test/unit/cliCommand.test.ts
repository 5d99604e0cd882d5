// The command line the project prints (`./ekm`, as a path from where the user stands) is one a shell runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { directCli } from '../../sandbox/cliCommand';
import { projectRoot } from '../../sandbox/paths';

describe('the direct ekm command (not npx)', function () {
  it('is ./ekm at the project root and runs there', function () {
    assert.equal(directCli(projectRoot, projectRoot), './ekm');
    const help = execFileSync('sh', ['-c', `${directCli(projectRoot, projectRoot)} --help`], {
      cwd: projectRoot,
      encoding: 'utf8',
    });
    assert.match(help, /^Usage: ekm /);
  });

  it('is a path to the wrapper from elsewhere, and runs from there', function () {
    const elsewhere = os.tmpdir();
    const command = directCli(projectRoot, elsewhere);
    assert.equal(path.resolve(elsewhere, command), path.join(projectRoot, 'ekm'));
    const help = execFileSync('sh', ['-c', `${command} --help`], { cwd: elsewhere, encoding: 'utf8' });
    assert.match(help, /^Usage: ekm /);
  });

  it('quotes a path a shell would split', function () {
    assert.equal(directCli('/home/a b/ekm-lifecycle', '/tmp'), "'../home/a b/ekm-lifecycle/ekm'");
    assert.equal(directCli('/srv/ekm', '/srv'), 'ekm/ekm');
  });
});
