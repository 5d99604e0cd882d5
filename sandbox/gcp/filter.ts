// The part of the Cloud Logging query language that audit reads use: comparisons on entry fields
// (= != < <= > >= : =~ !~), a value list `field=("a" OR "b")`, AND (or just a space), OR, NOT and `-`,
// parentheses. As in Cloud Logging, OR binds tighter than AND. Anything else is refused with
// INVALID_ARGUMENT naming the part, rather than silently matching everything or nothing.
import { invalidArgument } from './errors';

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':' | '=~' | '!~';

type Node =
  | { kind: 'and' | 'or'; children: Node[] }
  | { kind: 'not'; child: Node }
  | { kind: 'cmp'; path: string[]; op: Op; values: string[] };

type Token =
  | { t: 'lparen' | 'rparen' | 'and' | 'or' | 'not'; at: number; text: string }
  | { t: 'op'; op: Op; at: number; text: string }
  | { t: 'string'; value: string; at: number; text: string }
  | { t: 'word'; value: string; at: number; text: string };

const ops: Op[] = ['!=', '<=', '>=', '=~', '!~', '=', '<', '>', ':'];
const wordStop = /[\s()"=<>!:~]/;

const topLevelFields = new Set([
  'logName',
  'log_name',
  'timestamp',
  'receiveTimestamp',
  'receive_timestamp',
  'severity',
  'insertId',
  'insert_id',
  'resource',
  'protoPayload',
  'proto_payload',
  'jsonPayload',
  'textPayload',
  'labels',
  'httpRequest',
  'operation',
  'trace',
  'spanId',
  'sourceLocation',
]);

const severities = [
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
];

function refuse(reason: string, part: string): never {
  throw invalidArgument(`Unparseable filter: ${reason} at '${part}'`);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === '(' || c === ')') {
      tokens.push({ t: c === '(' ? 'lparen' : 'rparen', at, text: c });
      i++;
      continue;
    }
    if (c === '"') {
      let value = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (i >= text.length) refuse('unterminated string', text.slice(at));
      i++;
      tokens.push({ t: 'string', value, at, text: text.slice(at, i) });
      continue;
    }
    const op = ops.find((o) => text.startsWith(o, i));
    if (op) {
      tokens.push({ t: 'op', op, at, text: op });
      i += op.length;
      continue;
    }
    const prev = tokens[tokens.length - 1];
    // A leading '-' negates a term; after an operator it is part of a value (e.g. =-1).
    if (c === '-' && prev?.t !== 'op') {
      tokens.push({ t: 'not', at, text: '-' });
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !wordStop.test(text[j]!)) j++;
    if (j === i) refuse('unexpected character', text.slice(at, at + 10));
    const word = text.slice(i, j);
    if (word === 'AND') tokens.push({ t: 'and', at, text: word });
    else if (word === 'OR') tokens.push({ t: 'or', at, text: word });
    else if (word === 'NOT') tokens.push({ t: 'not', at, text: word });
    else tokens.push({ t: 'word', value: word, at, text: word });
    i = j;
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  parse(): Node {
    const node = this.conjunction();
    const rest = this.peek();
    if (rest)
      refuse(`unexpected ${rest.t === 'rparen' ? "')'" : `'${rest.text}'`}`, this.text.slice(rest.at));
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token | undefined {
    return this.tokens[this.pos++];
  }

  private conjunction(): Node {
    const children = [this.disjunction()];
    for (;;) {
      const t = this.peek();
      if (!t || t.t === 'rparen') break;
      if (t.t === 'and') this.pos++;
      // Juxtaposition is an implicit AND, as in Cloud Logging.
      children.push(this.disjunction());
    }
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  }

  private disjunction(): Node {
    const children = [this.unary()];
    while (this.peek()?.t === 'or') {
      this.pos++;
      children.push(this.unary());
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }

  private unary(): Node {
    const t = this.next();
    if (!t) refuse('expression expected', this.text.slice(-20) || '(empty)');
    if (t.t === 'not') return { kind: 'not', child: this.unary() };
    if (t.t === 'lparen') {
      const inner = this.conjunction();
      if (this.next()?.t !== 'rparen') refuse("missing ')'", this.text.slice(t.at));
      return inner;
    }
    if (t.t !== 'word') refuse('field name expected', this.text.slice(t.at));
    const op = this.next();
    if (op?.t !== 'op') {
      refuse('global restrictions (a value without a field and comparison) are not supported', t.text);
    }
    const path = t.value.split('.');
    if (path.some((p) => p === '')) refuse('malformed field name', t.text);
    if (!topLevelFields.has(path[0]!)) refuse(`unknown field ${path[0]}`, t.text);
    return { kind: 'cmp', path, op: op.op, values: this.values(t) };
  }

  private values(field: Token): string[] {
    const t = this.next();
    if (t?.t === 'string' || t?.t === 'word') return [t.value];
    if (t?.t === 'lparen') {
      const values: string[] = [];
      for (;;) {
        const v = this.next();
        if (v?.t !== 'string' && v?.t !== 'word') refuse('value expected in the list', this.text.slice(t.at));
        values.push(v.value);
        const sep = this.next();
        if (sep?.t === 'rparen') return values;
        if (sep?.t !== 'or')
          refuse("a value list takes OR between values and ends with ')'", this.text.slice(t.at));
      }
    }
    return refuse('value expected after the comparison', this.text.slice(field.at));
  }
}

/** The field's values in an entry; arrays on the path fan out (any element may match). */
function resolve(entry: unknown, path: string[]): unknown[] {
  let current: unknown[] = [entry];
  for (const raw of path) {
    const key = raw.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
    const nextValues: unknown[] = [];
    for (const value of current) {
      if (value === null || typeof value !== 'object') continue;
      const child = (value as Record<string, unknown>)[raw] ?? (value as Record<string, unknown>)[key];
      if (Array.isArray(child)) nextValues.push(...child);
      else if (child !== undefined) nextValues.push(child);
    }
    current = nextValues;
  }
  return current;
}

const isTimeField = (path: string[]) =>
  path.length === 1 && ['timestamp', 'receiveTimestamp', 'receive_timestamp'].includes(path[0]!);

function compare(field: unknown, op: Op, wanted: string, path: string[]): boolean {
  if (op === ':') {
    if (wanted === '*') return true;
    return typeof field !== 'object' && String(field).toLowerCase().includes(wanted.toLowerCase());
  }
  if (op === '=~' || op === '!~') {
    let re: RegExp;
    try {
      re = new RegExp(wanted);
    } catch {
      return refuse('invalid regular expression', wanted);
    }
    return re.test(String(field)) === (op === '=~');
  }
  if (typeof field === 'object') return false;
  let order: number;
  if (isTimeField(path)) {
    const want = Date.parse(wanted);
    if (Number.isNaN(want)) refuse('not a timestamp', wanted);
    order = Math.sign(Date.parse(String(field)) - want);
  } else if (path.length === 1 && path[0] === 'severity') {
    const want = severities.indexOf(wanted.toUpperCase());
    if (want < 0) refuse('not a severity', wanted);
    order = Math.sign(severities.indexOf(String(field)) - want);
  } else if (typeof field === 'number' && wanted.trim() !== '' && !Number.isNaN(Number(wanted))) {
    order = Math.sign(field - Number(wanted));
  } else {
    const s = String(field);
    order = s === wanted ? 0 : s < wanted ? -1 : 1;
  }
  switch (op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

function evaluate(node: Node, entry: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return node.children.every((c) => evaluate(c, entry));
    case 'or':
      return node.children.some((c) => evaluate(c, entry));
    case 'not':
      return !evaluate(node.child, entry);
    case 'cmp': {
      const fields = resolve(entry, node.path);
      // != and !~ hold when no value of the field matches (a missing field included).
      if (node.op === '!=' || node.op === '!~') {
        const positive = node.op === '!=' ? '=' : '=~';
        return !node.values.some((v) => fields.some((f) => compare(f, positive, v, node.path)));
      }
      return node.values.some((v) => fields.some((f) => compare(f, node.op, v, node.path)));
    }
  }
}

/** Values that can only be wrong once compared (timestamps, severities, regexes), checked up front. */
function checkValues(node: Node): void {
  if (node.kind === 'not') return checkValues(node.child);
  if (node.kind !== 'cmp') return node.children.forEach(checkValues);
  for (const value of node.values) {
    if (node.op === '=~' || node.op === '!~') compare('', '=~', value, node.path);
    else if (node.op !== ':' && (isTimeField(node.path) || node.path.join('.') === 'severity')) {
      compare(node.path[0] === 'severity' ? 'DEFAULT' : '1970-01-01T00:00:00Z', '=', value, node.path);
    }
  }
}

/** Turns a filter into a predicate over entries in their JSON shape; an empty filter matches all. */
export function compileFilter(text: string | undefined): (entry: unknown) => boolean {
  if (!text || text.trim() === '') return () => true;
  const node = new Parser(tokenize(text), text).parse();
  checkValues(node);
  return (entry) => evaluate(node, entry);
}
