// What `npm start` is asked for beyond the demo: `--keys N` (EKM_SANDBOX_KEYS) more keys shaped like a
// fleet (sandbox/scaleKeys.ts), `--throttle` (EKM_SANDBOX_THROTTLE=1) to switch the quota layer's refusals
// on, `--quota-scale X` (EKM_SANDBOX_QUOTA_SCALE) to scale every published rate by X, and
// `--trail-events N` (EKM_SANDBOX_TRAIL_EVENTS) past uses of the first AWS demo key in the twin's trail.
// A flag wins over its variable; a bad value is refused before anything starts, naming the flag.

export interface ScaleOptions {
  keys: number;
  throttle: boolean;
  quotaScale: number;
  trailEvents: number;
}

const usage =
  'npm start -- [--keys N] [--throttle] [--quota-scale X] [--trail-events N] (or EKM_SANDBOX_KEYS, EKM_SANDBOX_THROTTLE=1, EKM_SANDBOX_QUOTA_SCALE, EKM_SANDBOX_TRAIL_EVENTS)';

function wholeNumber(value: string, name: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > max)
    throw new Error(`${name} ${value}: give a whole number from 0 to ${max}.`);
  return n;
}

export function scaleOptionsFrom(argv: readonly string[], env: NodeJS.ProcessEnv): ScaleOptions {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.split('=', 2) as [string, string | undefined];
    if (name === '--throttle') flags.set(name, true);
    else if (['--keys', '--quota-scale', '--trail-events'].includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value: ${usage}`);
      flags.set(name, value);
    } else throw new Error(`unknown option ${arg}: ${usage}`);
  }
  const pick = (flag: string, variable: string) => {
    const value = flags.get(flag);
    if (typeof value === 'string') return { value, name: flag };
    const fromEnv = env[variable];
    return fromEnv ? { value: fromEnv, name: variable } : undefined;
  };
  const keys = pick('--keys', 'EKM_SANDBOX_KEYS');
  const scale = pick('--quota-scale', 'EKM_SANDBOX_QUOTA_SCALE');
  const trail = pick('--trail-events', 'EKM_SANDBOX_TRAIL_EVENTS');
  const throttleEnv = env.EKM_SANDBOX_THROTTLE;
  if (throttleEnv && !['0', '1', 'true', 'false'].includes(throttleEnv))
    throw new Error(`EKM_SANDBOX_THROTTLE=${throttleEnv}: use 1 (on) or 0 (off).`);
  const quotaScale = scale ? Number(scale.value) : 1;
  if (!(Number.isFinite(quotaScale) && quotaScale > 0))
    throw new Error(
      `${scale!.name} ${scale!.value}: give a positive number, e.g. 0.1 for a tenth of every published rate.`,
    );
  return {
    keys: keys ? wholeNumber(keys.value, keys.name, 5000) : 0,
    throttle: flags.has('--throttle') || throttleEnv === '1' || throttleEnv === 'true',
    quotaScale,
    trailEvents: trail ? wholeNumber(trail.value, trail.name, 1_000_000) : 0,
  };
}
