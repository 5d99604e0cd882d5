// The ekm search attributes in a namespace, through the operator API of the client's connection: which are
// registered, registering the missing ones (self-hosted), and the `tcld` command that does it on Temporal
// Cloud, where the operator API does not add search attributes. The list itself is common/searchAttributes.ts.
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ekmSearchAttributes, searchAttributeDeclarations } from '../common/searchAttributes';

const indexedValueType = temporal.api.enums.v1.IndexedValueType;
const indexedTypeOf: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: indexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KEYWORD_LIST: indexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  TEXT: indexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: indexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: indexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: indexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: indexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

/** gRPC status ALREADY_EXISTS: another operator (or a second `--fix`) registered the attribute first. */
const alreadyExists = 6;

export interface SearchAttributeState {
  registered: string[];
  missing: string[];
}

/** The ekm attributes the namespace has and lacks (ListSearchAttributes). */
export async function ekmSearchAttributeState(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
): Promise<SearchAttributeState> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set(Object.keys(customAttributes ?? {}));
  const names = ekmSearchAttributes.map((key) => key.name);
  return { registered: names.filter((n) => have.has(n)), missing: names.filter((n) => !have.has(n)) };
}

/**
 * Registers `names` (ekm attributes) with AddSearchAttributes, one call; a server answering that one
 * already exists is not an error (registration is idempotent), the caller lists again to see the outcome.
 */
export async function addEkmSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
  names: readonly string[] = ekmSearchAttributes.map((key) => key.name),
): Promise<void> {
  const keys = ekmSearchAttributes.filter((key) => names.includes(key.name));
  if (keys.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(keys.map((key) => [key.name, indexedTypeOf[key.type]!])),
    });
  } catch (err) {
    if ((err as { code?: number }).code !== alreadyExists) throw err;
  }
}

/** The Temporal Cloud command registering `names` in `namespace` (tcld takes `--search-attribute "NAME=Type"`). */
export function tcldAddCommand(namespace: string, names: readonly string[]): string {
  const flags = searchAttributeDeclarations()
    .filter((declaration) => names.includes(declaration.split('=')[0]!))
    .map((declaration) => `--search-attribute "${declaration}"`);
  return ['tcld namespace search-attributes add', `--namespace ${namespace}`, ...flags].join(' ');
}
