// `node dist/bench/countActions.js <history.json>…`: each recorded history's cost by the rule of
// docs/actions.md (actions, events, activities, and where the actions go), as a table or `--json`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { runCost } from './actions';

function main(args: string[]): void {
  const json = args.includes('--json');
  const files = args.filter((a) => a !== '--json');
  if (!files.length) {
    console.error(
      'usage: node dist/bench/countActions.js [--json] <history.json>… (as `temporal workflow show --output json` writes them)',
    );
    process.exitCode = 2;
    return;
  }
  const rows = files.map((file) => ({
    history: path.basename(file),
    ...runCost(historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8')))),
  }));
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log('| history | actions | events | activities |\n| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.history} | ${r.actions} | ${r.events} | ${r.activities} |`);
}

main(process.argv.slice(2));
