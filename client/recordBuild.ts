// Run by `npm run build`: records the commit being built in dist/build.json, so `ekm --version` names it
// where the built files travel without their git checkout (an image, a copied dist/).
import * as fs from 'node:fs';
import { buildRecordFile, gitCommit } from './version';

const commit = gitCommit();
fs.writeFileSync(
  buildRecordFile,
  JSON.stringify({ ...(commit ? { commit } : {}), builtAt: new Date().toISOString() }, null, 2),
);
