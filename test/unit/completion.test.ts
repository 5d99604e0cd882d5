// `ekm completion bash`: the script the binary prints, sourced in a real bash, completes every command and
// option of the commander program (read from buildProgram, not from a list kept by hand).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../client/cli';

const cli = path.join(__dirname, '..', '..', 'client', 'cli.js');
const script = execFileSync(process.execPath, [cli, 'completion', 'bash'], { encoding: 'utf8' });

/** What bash completes for each line (the words typed, the last one being completed), one call for all. */
function complete(lines: string[][]): string[][] {
  const calls = lines
    .map((words) => {
      const quoted = words.map((w) => `'${w}'`).join(' ');
      return `COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _ekm; printf '%s\\n' "\${COMPREPLY[*]}"`;
    })
    .join('\n');
  // An empty folder as cwd: an option's value falls back to file names, none here.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-completion-'));
  try {
    const out = execFileSync('bash', ['-c', `${script}\n${calls}`], { encoding: 'utf8', cwd });
    return out
      .split('\n')
      .slice(0, lines.length)
      .map((l) => l.split(' ').filter(Boolean));
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

/** Every command path of the program with the command. */
function commandPaths(command: Command, prefix: string[] = []): [string[], Command][] {
  return [
    [prefix, command],
    ...command.commands.flatMap((sub) => commandPaths(sub, [...prefix, sub.name()])),
  ];
}

describe('ekm completion bash', function () {
  const program = buildProgram();

  it('completes every command and option of the program at every level', function () {
    const paths = commandPaths(program);
    const answers = complete(paths.map(([words]) => ['ekm', ...words, '']));
    paths.forEach(([words, command], i) => {
      const want = [
        ...command.commands.map((c) => c.name()),
        ...command.options.map((o) => o.long ?? o.short!),
        '--help',
      ];
      for (const word of want)
        assert.ok(
          answers[i]!.includes(word),
          `ekm ${words.join(' ')} <TAB> lacks ${word}: ${answers[i]!.join(' ')}`,
        );
    });
    assert.ok(paths.length > 30, `only ${paths.length} command paths`);
  });

  it('completes a prefix, skips options and their values on the way, offers fixed argument values', function () {
    const [top, revoke, plan, sweep, shells, value] = complete([
      ['ekm', 'ch'],
      ['ekm', '--sandbox', 'revoke', 'st'],
      ['ekm', 'revoke', 'plan', '--pro'],
      // "revoke" here is the queue's name, not the command.
      ['ekm', 'schedule', 'sweep', '--task-queue', 'revoke', '--ev'],
      ['ekm', 'completion', ''],
      ['ekm', 'check', '--task-queue', ''],
    ]);
    assert.deepEqual(top, ['check']);
    assert.deepEqual(revoke, ['start']);
    assert.deepEqual(plan, ['--provider', '--project', '--probe', '--product']);
    assert.deepEqual(sweep, ['--every']);
    assert.deepEqual(shells, ['bash', 'zsh', '--help']);
    // A value is the user's to type: no command or option is offered for it.
    assert.ok(!value!.some((w) => w.startsWith('-') || w === 'check'), value!.join(' '));
  });

  it('the zsh script is generated from the same table', function () {
    const zsh = execFileSync(process.execPath, [cli, 'completion', 'zsh'], { encoding: 'utf8' });
    assert.match(zsh, /^#compdef ekm/);
    assert.match(zsh, /compdef _ekm ekm/);
    assert.match(zsh, /'revoke plan'\) candidates='[^']*--provider/);
  });
});
