// Guarantee: an exec may kick child jobs only into a state named in that state's .spawns(...), with a JC.
import { expectError, expectType } from 'tsd';
import { workflow, type Kick, type Workflow } from 'jorb-ts';
import type { NoSpawnsMessage } from 'jorb-ts/types';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };

declare function links(html: string | undefined): string[];

const crawl = workflow<AC, OC, JC>('crawl');

// Accepted: kicks into a .spawns(...) state, with a JC and an optional de-duplication key.
const wf = crawl
  .state('fetch', { concurrency: 10 })
  .to('parse')
  .exec(async ({ ac, jc, signal }) => ({ state: 'parse', jc: { ...jc, body: await ac.api.get(jc.url, signal) } }))
  .state('parse')
  .to('done')
  .spawns('fetch')
  .exec(({ jc }) => ({ state: 'done', jc, kicks: links(jc.body).map((url) => ({ state: 'fetch', jc: { url }, key: url })) }))
  .terminal('done')
  .build();
expectType<Workflow<AC, OC, JC, 'fetch' | 'parse' | 'done'>>(wf);

// Accepted: several spawn targets; a kick list typed ahead.
crawl
  .state('parse')
  .to('done')
  .spawns('fetch', 'fetch-robots')
  .exec(({ jc }) => {
    const kicks: Kick<JC, 'fetch' | 'fetch-robots'>[] = [
      { state: 'fetch', jc: { url: `${jc.url}/next` } },
      { state: 'fetch-robots', jc: { url: `${jc.url}/robots.txt` } },
    ];
    return { state: 'done', jc, kicks };
  });

// Accepted: kicks collected in a loop, each made by the exec's `kick`, which types it by the state's
// .spawns(...) (without it, `kicks.push({ state: 'fetch', … })` infers `state: string`).
crawl
  .state('parse')
  .to('done')
  .spawns('fetch', 'fetch-robots')
  .exec(({ jc, kick }) => {
    expectType<(this: void, kick: Kick<JC, 'fetch' | 'fetch-robots'>) => Kick<JC, 'fetch' | 'fetch-robots'>>(kick);
    const kicks = [];
    for (const url of links(jc.body)) kicks.push(kick({ state: 'fetch', jc: { url }, key: url }));
    kicks.push(kick({ state: 'fetch-robots', jc: { url: `${jc.url}/robots.txt` } }));
    expectType<Kick<JC, 'fetch' | 'fetch-robots'>[]>(kicks);
    return { state: 'done', jc, kicks };
  });

// Rejected: `kick` into a state that is not in .spawns(...), with a jc that is not a JC, or from a state with no .spawns(...).
crawl
  .state('parse')
  .to('done')
  .spawns('fetch')
  .exec(({ jc, kick }) => {
    expectError(kick({ state: 'parse', jc }));
    expectError(kick({ state: 'fetch', jc: { body: 'x' } }));
    return { state: 'done', jc };
  });
crawl
  .state('parse')
  .to('done')
  .exec(({ jc, kick }) => {
    expectError(kick({ state: 'fetch', jc }));
    return { state: 'done', jc };
  });

// Rejected: a kick into a state that is not in .spawns(...).
expectError(
  crawl
    .state('parse')
    .to('done')
    .spawns('fetch')
    .exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'fetch-robots', jc: { url: jc.url } }] })),
);

// Rejected: a kick into one of the .to(...) targets that is not a .spawns(...) target.
expectError(
  crawl
    .state('parse')
    .to('done')
    .spawns('fetch')
    .exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'done', jc }] })),
);

// Rejected: any kick from a state with no .spawns(...) at all.
expectError(
  crawl
    .state('parse')
    .to('done', 'fetch')
    .exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'fetch', jc: { url: jc.url } }] })),
);
expectError(
  crawl
    .state('parse')
    .to('done')
    .exec(async ({ jc }) => ({ state: 'done', jc, kicks: links(jc.body).map((url) => ({ state: 'fetch', jc: { url } })) })),
);

// Rejected: a kick whose jc is not a JC (missing field, wrong type, none at all).
expectError(
  crawl
    .state('parse')
    .to('done')
    .spawns('fetch')
    .exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'fetch', jc: { body: 'x' } }] })),
);
expectError(
  crawl
    .state('parse')
    .to('done')
    .spawns('fetch')
    .exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'fetch', jc: { url: 42 } }] })),
);
expectError(
  crawl
    .state('parse')
    .to('done')
    .spawns('fetch')
    .exec(({ jc }) => ({ state: 'done', jc, kicks: [{ state: 'fetch' }] })),
);

// A state with no .spawns(...) may kick only into the sentence that says what to add (no state is
// named like it), so its kicks are reported as "Type '\"fetch\"' is not assignable to type '\"add .spawns(…) to kick\"'".
expectType<'add .spawns(…) to kick'>({} as NoSpawnsMessage);
// Its exec may still return an empty list, or kicks typed `never`.
crawl
  .state('parse')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc, kicks: [] }));
crawl
  .state('parse')
  .to('done')
  .exec(({ jc }) => ({ state: 'done', jc, kicks: [] as Kick<JC, never>[] }));
