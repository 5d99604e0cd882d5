// Printing results: `--json` gives one JSON document on stdout, otherwise readable lines.
export interface OutputOptions {
  json?: boolean;
}

export function print(options: OutputOptions, value: unknown, human: () => string): void {
  console.log(options.json ? JSON.stringify(value, null, 2) : human());
}
