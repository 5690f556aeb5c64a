// Guarantee: the jc an exec returns must be a JC.
import { expectError } from 'tsd';
import { workflow } from 'jorb-ts';

type AC = { api: { get(url: string, signal: AbortSignal): Promise<string> } };
type OC = { outDir: string };
type JC = { url: string; body?: string };

const parse = workflow<AC, OC, JC>('crawl').state('parse').to('done');

// Accepted: the same jc, an updated copy, a fresh one; with an error recorded on the way.
parse.exec(({ jc }) => ({ state: 'done', jc }));
parse.exec(({ jc }) => ({ state: 'done', jc: { ...jc, body: jc.body?.trim() ?? '' } }));
parse.exec(() => ({ state: 'done', jc: { url: 'https://example.com' } }));
parse.exec(async ({ jc }) => ({ state: 'done', jc, error: new Error('no links') }));

// Rejected: a required field missing.
expectError(parse.exec(({ jc }) => ({ state: 'done', jc: { body: jc.body ?? '' } })));
expectError(parse.exec(async () => ({ state: 'done', jc: {} })));

// Rejected: a field of the wrong type.
expectError(parse.exec(({ jc }) => ({ state: 'done', jc: { url: jc.url.length } })));
expectError(parse.exec(({ jc }) => ({ state: 'done', jc: { ...jc, body: 42 } })));
expectError(parse.exec(async ({ jc }) => ({ state: 'done', jc: { ...jc, body: null } })));

// Rejected: no jc, or not an object at all.
expectError(parse.exec(() => ({ state: 'done' })));
expectError(parse.exec(({ jc }) => ({ state: 'done', jc: jc.url })));
