// Guarantee: a JC or OC that JSON cannot store (a Date, a function, a Map, a bigint, a field that is
// always undefined…) does not compile; the error is at workflow(name) and names the field.
import { expectError, expectType } from 'tsd';
import { workflow, type WorkflowBuilder } from 'jorb-ts';
import type { ContextsAreJson, JsonProblems } from 'jorb-ts/types';
import type { JsonValue } from 'type-fest';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> }; now: () => Date };
type OC = { outDir: string };
type JC = { url: string; body?: string };

// Accepted: the README's contexts; AC may hold anything (it is never stored).
expectType<WorkflowBuilder<AC, OC, JC, never, never>>(workflow<AC, OC, JC>('crawl'));

// Accepted: no type arguments (unknown contexts), unknown, any, object and {}.
expectType<WorkflowBuilder<unknown, unknown, unknown, never, never>>(workflow('untyped'));
workflow<AC, unknown, unknown>('u');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
workflow<AC, any, any>('a');
workflow<object, object, object>('o');
workflow<object, {}, {}>('e');

// Accepted: every JSON shape, optional and possibly-undefined fields, interfaces, index signatures.
interface Page {
  url: string;
  status: number | null;
  tags: readonly string[];
  links?: { href: string; rel?: 'next' | 'prev' }[];
  headers: Record<string, string>;
  pair: [string, number];
  seen: boolean;
  note: string | undefined;
  raw: unknown;
  data: JsonValue;
}
workflow<AC, OC, Page>('pages');
workflow<AC, { dir: string; retries: number }, { id: string & { readonly brand: 'Id' }; depth: 1 | 2 | 3 }>('branded');
type Tree = { name: string; children: Tree[] };
workflow<AC, OC, Tree>('recursive');
const name: string = 'from-a-variable';
workflow<AC, OC, JC>(name);

// In code generic in JC the check cannot be decided: the name is refused (one plain error), and
// `name as never` is the way through.
export function generic<G extends { url: string }>(label: string): void {
  expectError(workflow<AC, OC, G>(label));
  workflow<AC, OC, G>(label as never);
}

// Rejected: a Date, at the top or nested, in OC or JC.
expectError(workflow<AC, OC, { url: string; when: Date }>('crawl'));
expectError(workflow<AC, OC, { url: string; meta: { when: Date } }>('crawl'));
expectError(workflow<AC, { startedAt: Date }, JC>('crawl'));
expectError(workflow<AC, OC, { events: { at: Date }[] }>('crawl'));
expectError(workflow<AC, OC, { byId: Record<string, Date> }>('crawl'));
expectError(workflow<AC, OC, Date>('crawl'));

// Rejected: a function, a Map, a Set, a bigint, a symbol, a class instance with toJSON.
expectError(workflow<AC, OC, { url: string; parse: (html: string) => string[] }>('crawl'));
expectError(workflow<AC, OC, { seen: Map<string, number> }>('crawl'));
expectError(workflow<AC, OC, { seen: Set<string> }>('crawl'));
expectError(workflow<AC, OC, { size: bigint }>('crawl'));
expectError(workflow<AC, OC, { id: symbol }>('crawl'));
declare class Money {
  amount: number;
  toJSON(): string;
}
expectError(workflow<AC, OC, { price: Money }>('crawl'));

// Rejected: a field that is always undefined (JSON drops it), optional or not.
expectError(workflow<AC, OC, { url: string; body: undefined }>('crawl'));
expectError(workflow<AC, OC, { url: string; body?: undefined }>('crawl'));

// Rejected: one bad member of a union.
expectError(workflow<AC, OC, { when: string | Date }>('crawl'));

// The readable error: the name's parameter type is the sentence, naming the field by its path.
expectType<'crawl'>({} as ContextsAreJson<OC, JC, 'crawl'>);
expectType<"JC field 'when' is a Date, which JSON cannot store: store an ISO string or epoch ms">(
  {} as ContextsAreJson<OC, { url: string; when: Date }, string>,
);
expectType<"JC field 'meta.when' is a Date, which JSON cannot store: store an ISO string or epoch ms">({} as JsonProblems<{ meta: { when: Date } }, 'JC'>);
expectType<"OC field 'startedAt' is a Date, which JSON cannot store: store an ISO string or epoch ms">({} as JsonProblems<{ startedAt: Date }, 'OC'>);
expectType<"JC field 'events[].at' is a Date, which JSON cannot store: store an ISO string or epoch ms">({} as JsonProblems<{ events: { at: Date }[] }, 'JC'>);
expectType<"JC field 'byId[key]' is a Date, which JSON cannot store: store an ISO string or epoch ms">({} as JsonProblems<{ byId: Record<string, Date> }, 'JC'>);
expectType<'JC is a Date, which JSON cannot store: store an ISO string or epoch ms'>({} as JsonProblems<Date, 'JC'>);
expectType<"JC field 'parse' is a function, which JSON cannot store: keep functions in AC, the app context">(
  {} as JsonProblems<{ parse: (html: string) => string[] }, 'JC'>,
);
expectType<"JC field 'seen' is a Map, which JSON stores as {}: store a plain object or an array of [key, value] pairs">(
  {} as JsonProblems<{ seen: Map<string, number> }, 'JC'>,
);
expectType<"JC field 'seen' is a Set, which JSON stores as {}: store an array">({} as JsonProblems<{ seen: Set<string> }, 'JC'>);
expectType<"JC field 'size' is a bigint, which JSON cannot store: store it as a string">({} as JsonProblems<{ size: bigint }, 'JC'>);
expectType<"JC field 'body' is always undefined, which JSON drops: remove it, or give it a type JSON can store">(
  {} as JsonProblems<{ body?: undefined }, 'JC'>,
);
expectType<"JC field 'price' has a toJSON method, so JSON stores what toJSON returns, not the object: store that value instead">(
  {} as JsonProblems<{ price: Money }, 'JC'>,
);
expectType<
  | "JC field 'when' is a Date, which JSON cannot store: store an ISO string or epoch ms"
  | "JC field 'size' is a bigint, which JSON cannot store: store it as a string"
>({} as JsonProblems<{ when: Date; size: bigint; ok: boolean }, 'JC'>);
expectType<never>({} as JsonProblems<Page, 'JC'>);
expectType<never>({} as JsonProblems<Tree, 'JC'>);
